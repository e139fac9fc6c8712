// The data of HiDe-Prompt's classifier alignment (train_task_adaptive_prediction in both
// engines/hide_tii_engine.py and engines/hide_promtp_wtp_and_tap_engine.py), in the official order:
// each epoch draws `perComponent` samples from every stored component of every class seen so far
// (tasks 0..t in class_mask order, a class's centroids in cluster order, a centroid whose variance
// averages 0 skipped), concatenates them, shuffles with one permutation, and runs crct_num batches of
// `perComponent` rows, crct_num being the number of classes of the tasks before t. Only the head (and
// the TII model's MLP) trains, by SGD with momentum 0.9 under a per-epoch cosine schedule.
import { UserError } from '../../errors.ts';
import { fromCovariance, fromVariance, sampleComponent, type Component } from './sampling.ts';
import type { Centroids } from './kmeans.ts';
import type { ClassGaussian } from './class-moments.ts';

/** The official ca_storage_efficient_method values; 'multi-centroid' is the default. */
export type Storage = 'covariance' | 'variance' | 'multi-centroid';

/** What is stored for one class at the end of its task. */
export type ClassStore = { kind: 'covariance' | 'variance'; g: ClassGaussian } | { kind: 'multi-centroid'; c: Centroids };

/** The multi-centroid ridge on diag(var) when sampling: 1e-4 · I. */
export const CENTROID_RIDGE = 1e-4;

/** The components to sample at task `taskId`, in the official order. */
export function alignmentComponents(classMask: readonly (readonly number[])[], taskId: number, stores: ReadonlyMap<number, ClassStore>): Component[] {
  const out: Component[] = [];
  for (let t = 0; t <= taskId; t++) {
    for (const cls of classMask[t]) {
      const s = stores.get(cls);
      if (!s) throw new UserError(`classifier alignment: class ${cls} of task ${t} has no stored statistics`);
      if (s.kind === 'covariance') out.push(fromCovariance(cls, s.g.mean, s.g.cov));
      else if (s.kind === 'variance') out.push(fromVariance(cls, s.g.mean, s.g.cov, 0));
      else if (s.kind === 'multi-centroid') {
        const centroids = s.c;
        centroids.means.forEach((mean, k) => {
          const v = centroids.vars[k];
          if (v.reduce((a, b) => a + b, 0) / v.length === 0) return; // a one-row cluster: no spread to sample
          out.push(fromVariance(cls, mean, v, CENTROID_RIDGE));
        });
      }
    }
  }
  return out;
}

/** crct_num: the classes of tasks 0..t−1, the number of alignment batches per epoch. */
export function crctNum(classMask: readonly (readonly number[])[], taskId: number): number {
  let n = 0;
  for (let t = 0; t < taskId; t++) n += classMask[t].length;
  return n;
}

/** The classes of tasks 0..t as a [C] mask: the logits the alignment (and the TII query) keep. */
export function seenClassMask(classMask: readonly (readonly number[])[], taskId: number, numClasses: number): Uint8Array {
  const m = new Uint8Array(numClasses);
  for (let t = 0; t <= taskId; t++) for (const c of classMask[t]) m[c] = 1;
  return m;
}

export interface Batch {
  features: Float32Array; // [B, D]
  labels: Int32Array; // [B]
}

/**
 * One epoch's batches. `noise` [Σ components · perComponent, D] is consumed component by component;
 * `perm` is the shuffle of all sampled rows (torch.randperm); batch i is rows perm[i·B .. (i+1)·B).
 */
export function alignmentEpoch(components: readonly Component[], perComponent: number, noise: Float64Array | Float32Array, perm: ArrayLike<number>, batches: number): Batch[] {
  if (components.length === 0) throw new UserError('classifier alignment: no class has a component to sample (every centroid has zero variance)');
  const d = components[0].mean.length;
  const total = components.length * perComponent;
  if (perm.length !== total) throw new Error(`alignmentEpoch: permutation of ${perm.length} for ${total} rows`);
  const rows = new Float32Array(total * d);
  const labels = new Int32Array(total);
  components.forEach((c, i) => {
    const off = i * perComponent * d;
    rows.set(sampleComponent(c, perComponent, noise.subarray(off, off + perComponent * d)), off);
    labels.fill(c.label, i * perComponent, (i + 1) * perComponent);
  });
  const out: Batch[] = [];
  for (let b = 0; b < batches; b++) {
    const lo = b * perComponent;
    const hi = Math.min(total, lo + perComponent);
    if (lo >= hi) throw new UserError(`classifier alignment: batch ${b} of ${batches} is empty (${total} sampled rows)`);
    const features = new Float32Array((hi - lo) * d);
    const y = new Int32Array(hi - lo);
    for (let r = lo; r < hi; r++) {
      features.set(rows.subarray(perm[r] * d, (perm[r] + 1) * d), (r - lo) * d);
      y[r - lo] = labels[perm[r]];
    }
    out.push({ features, labels: y });
  }
  return out;
}

/** torch.optim.lr_scheduler.CosineAnnealingLR(T_max, eta_min 0) stepped once per epoch: the lr of `epoch`. */
export function cosineAnnealingLr(base: number, epoch: number, tMax: number): number {
  return (base * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
}
