// SimpleCIL (Zhou et al., "Revisiting class-incremental learning with pre-trained models"), as
// LAMDA-PILOT runs it: nothing trains; after each task the frozen backbone's features of the task's
// training data (evaluation transform) give each new class its prototype, the class mean, and a
// cosine classifier over the prototypes ranks the classes seen so far.
import { UserError } from '../../errors.ts';
import type { Method, MethodModel } from '../method.ts';
import { buildSimpleCilEvalStep, initSimpleCilParams } from './model.ts';
import { prototypePass, prototypesKept } from './prototypes.ts';

export const simplecil: Method = {
  name: 'simplecil',
  summary: 'SimpleCIL: class-mean prototypes of the frozen backbone, cosine classifier',
  create: (_c, vit, numClasses): MethodModel => ({
    vit: vit.config,
    numClasses,
    params: initSimpleCilParams(vit.config.hidden, numClasses),
    trains: [],
    fitted: ['head/*'],
    phases: () => ['statistics'],
    statistics: (t) => prototypePass(t, vit.config.hidden, numClasses),
    // Commands that time or run a training step (bench, doctor's estimate) have none to run here.
    train: () => {
      throw new UserError("method 'simplecil' has no training step: each task is fitted in closed form from its features");
    },
    eval: (s) => ({
      key: `eval:${s.batch}:${s.queryFed}:${s.features}`,
      build: () => buildSimpleCilEvalStep(s.params, { vit: vit.config, batch: s.batch, imageSize: s.imageSize, isTrained: s.isTrained, isFitted: s.isFitted, queryFed: s.queryFed, features: s.features }),
      feeds: () => ({}),
    }),
    evalSelection: 'none',
    usesQuery: true,
    startTask: () => {},
    selectionAccuracy: () => null,
    kept: (_usage, params) => prototypesKept(params, 'SimpleCIL'),
  }),
  trainTasks: (tasks) => [...tasks],
  sequential: true,
  // The head has the seen classes' columns only (update_fc(total_classes)).
  evalClasses: 'seen',
};
