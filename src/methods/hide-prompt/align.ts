// The classifier alignment of a task's end (train_task_adaptive_prediction, t > 0): crct_epochs
// epochs of SGD (momentum 0.9, no weight decay, no clipping, cosine per epoch) on batches sampled from
// every stored class component (alignment.ts), through head.ts's step graph, which a GraphRunner
// compiles once per batch size. Stage 1 aligns the TII MLP and head, stage 2 the prompted head.
import { hash32, Rng } from '../../data/rng.ts';
import type { HostTensor } from '../../runtime/ort.ts';
import { sgdInit, sgdStep } from '../../train/optim.ts';
import type { Params } from '../../vit/params.ts';
import type { GraphRunner } from '../method.ts';
import { alignmentComponents, cosineAnnealingLr, crctNum, drawAlignmentEpoch, seenClassMask, type ClassStore } from './alignment.ts';
import { buildHeadStep, headShapes } from './head.ts';

export interface AlignSpec {
  /** 'tii/' or '' (the prompted head): the prefix of head.ts's parameter names in the run's params. */
  prefix: string;
  mlpRatio: number;
  dim: number;
  numClasses: number;
  /** Samples per component and rows per batch (official: stage 1 batch_size, stage 2 batch_size × 5). */
  perComponent: number;
  lr: number;
  epochs: number;
  /** Seeds the draws with the task and the stage. */
  seed: number;
}

/** Aligns the head after task t on the classes of tasks 0..t (`classes` [task][class]), in place in `params`. */
export async function alignHead(params: Params, graphs: GraphRunner, s: AlignSpec, classes: readonly (readonly number[])[], t: number, stores: ReadonlyMap<number, ClassStore>): Promise<void> {
  const components = alignmentComponents(classes, t, stores);
  const batches = crctNum(classes, t);
  const mask = seenClassMask(classes, t, s.numClasses);
  const paths = [...headShapes({ dim: s.dim, numClasses: s.numClasses, mlpRatio: s.mlpRatio }).keys()];
  const tensors = new Map(paths.map((k) => [k, params.get(s.prefix + k)!.data] as const));
  const state = sgdInit(tensors);
  const rng = new Rng(hash32(s.seed, t, s.prefix.length));
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    const lr = cosineAnnealingLr(s.lr, epoch, s.epochs);
    for (const batch of drawAlignmentEpoch(components, s.perComponent, batches, rng)) {
      const n = batch.labels.length;
      const feeds: Record<string, HostTensor> = {
        features: { shape: [n, s.dim], data: batch.features },
        labels: { shape: [n], data: batch.labels },
        class_mask: { shape: [s.numClasses], data: mask },
      };
      for (const k of paths) feeds[k] = { shape: params.get(s.prefix + k)!.shape, data: tensors.get(k)! };
      const out = await graphs.run(
        {
          key: `hide:align:${s.prefix}:${n}`,
          build: () => ({ ...buildHeadStep({ batch: n, dim: s.dim, numClasses: s.numClasses, mlpRatio: s.mlpRatio }), trained: [], gradPaths: [] }),
          feeds: () => ({}),
        },
        feeds,
      );
      sgdStep(tensors, new Map(paths.map((k) => [k, out[`grad/${k}`].data as Float32Array] as const)), state, lr, 0.9, false);
    }
  }
}
