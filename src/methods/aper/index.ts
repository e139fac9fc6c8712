// APER with VPT (Zhou et al., "Revisiting class-incremental learning with pre-trained models"), as
// LAMDA-PILOT's models/aper_vpt.py runs it: task 0 tunes prompts on a copy of the backbone (its
// gradient phase), then every task's statistics pass gives each new class the mean of its
// concatenated [frozen, adapted] features as its prototype (SimpleCIL's fit on the wider features).
// Nothing trains after task 0: the adapted branch is fixed from then on. The official tunes the
// prompts only (freeze_part's default); with the backbone unfrozen task 0 tunes it too, and the
// frozen branch stays the pretrained backbone.
import type { L2PConfig } from '../../config/l2p.ts';
import type { LoadedViT } from '../../vit/params.ts';
import type { Method, MethodModel } from '../method.ts';
import { prototypePass, prototypesKept } from '../simplecil/prototypes.ts';
import { VPT_SESSION_TRAINS, vptSessionTrain, type VptOptions } from '../vpt-session.ts';
import { buildAperEvalStep, initAperParams } from './model.ts';

function create(c: L2PConfig, vit: LoadedViT, numClasses: number): MethodModel {
  const o: VptOptions = { vit: vit.config, numClasses, vptType: c.vpt_type!, tokens: c.prompt_token_num! };
  const d = vit.config.hidden;
  return {
    vit: vit.config,
    numClasses,
    params: initAperParams(o, c.seed),
    trains: VPT_SESSION_TRAINS,
    fitted: ['head/*'],
    phases: (t) => (t === 0 ? ['gradient', 'statistics'] : ['statistics']),
    statistics: (t) => prototypePass(t, 2 * d, numClasses),
    // aper_vpt.py tunes in the first session only; later sessions run replace_fc alone.
    train: vptSessionTrain(o, 'aper'),
    eval: (s) => ({
      key: `eval:${s.batch}:${s.queryFed}:${s.features}`,
      build: () => buildAperEvalStep(s.params, o, { batch: s.batch, imageSize: s.imageSize, isTrained: s.isTrained, isFitted: s.isFitted, original: s.original, queryFed: s.queryFed, features: s.features }),
      feeds: () => ({}),
    }),
    evalSelection: 'none',
    usesQuery: true,
    startTask: () => {},
    selectionAccuracy: () => null,
    // the prototypes are [frozen, adapted] features: width 2D
    kept: (_usage, params) => prototypesKept(params, 'APER'),
  };
}

export const aper: Method = {
  name: 'aper',
  summary: 'APER: VPT tuned on task 0, prototypes of [frozen, adapted] features, cosine classifier',
  create,
  trainTasks: (tasks) => [...tasks],
  sequential: true,
  // The head has the seen classes' columns only (update_fc(total_classes)).
  evalClasses: 'seen',
};
