// The data of HiDe-Prompt's classifier alignment (train_task_adaptive_prediction in both
// engines/hide_tii_engine.py and engines/hide_promtp_wtp_and_tap_engine.py), in the official order:
// each epoch draws `perComponent` samples from every stored component of every class seen so far
// (tasks 0..t in class_mask order, a class's centroids in cluster order, a centroid whose variance
// averages 0 skipped), concatenates them, shuffles with one permutation, and runs crct_num batches of
// `perComponent` rows, crct_num being the number of classes of the tasks before t. Only the head (and
// the TII model's MLP) trains, by SGD with momentum 0.9 under a per-epoch cosine schedule.
import { UserError } from '../../errors.ts';
import { permutation, type Rng } from '../../data/rng.ts';
import { fromCovariance, fromVariance, sampleComponent, standardNormal, type Component } from './sampling.ts';
import type { Centroids } from './kmeans.ts';
import type { ClassGaussian } from './class-moments.ts';

/** What is stored for one class at the end of its task, by the official ca_storage_efficient_method ('multi-centroid' by default). */
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

/** The classes of tasks 0..t as a [C] mask: the logits the alignment and the TII's arg-max keep. */
export function seenClassMask(classMask: readonly (readonly number[])[], taskId: number, numClasses: number): Uint8Array {
  const m = new Uint8Array(numClasses);
  for (let t = 0; t <= taskId; t++) for (const c of classMask[t]) m[c] = 1;
  return m;
}

export interface Batch {
  features: Float32Array; // [B, D]
  labels: Int32Array; // [B]
}

/** Fills `out` [D] with the standard normal noise of sampled row `row` (row = component · perComponent + j). */
export type NoiseRow = (row: number, out: Float64Array) => void;

/**
 * Batch `b` of an epoch. The official samples perComponent rows from every component (row
 * i·perComponent + j is component i's j-th draw), shuffles all of them with `perm` (torch.randperm) and
 * reads batch b as rows perm[b·B .. (b+1)·B), B = perComponent. Only those rows are drawn here: the
 * epoch's crct_num batches use a fraction of the rows, and the whole sample (120 rows per centroid) of
 * a late task runs to hundreds of megabytes.
 */
export function alignmentBatch(components: readonly Component[], perComponent: number, perm: ArrayLike<number>, b: number, noiseRow: NoiseRow): Batch {
  if (components.length === 0) throw new UserError('classifier alignment: no class has a component to sample (every centroid has zero variance)');
  const d = components[0].mean.length;
  const total = components.length * perComponent;
  if (perm.length !== total) throw new Error(`alignmentBatch: permutation of ${perm.length} for ${total} rows`);
  const lo = b * perComponent;
  const hi = Math.min(total, lo + perComponent);
  if (lo >= hi) throw new UserError(`classifier alignment: batch ${b} is empty (${total} sampled rows)`);
  const features = new Float32Array((hi - lo) * d);
  const labels = new Int32Array(hi - lo);
  const eps = new Float64Array(d);
  for (let r = lo; r < hi; r++) {
    const row = perm[r];
    const c = components[Math.floor(row / perComponent)];
    noiseRow(row, eps);
    features.set(sampleComponent(c, 1, eps), (r - lo) * d);
    labels[r - lo] = c.label;
  }
  return { features, labels };
}

/** The epoch's `batches` batches from full noise [Σ components · perComponent, D] (a test's fed draws). */
export function alignmentEpoch(components: readonly Component[], perComponent: number, noise: Float64Array | Float32Array, perm: ArrayLike<number>, batches: number): Batch[] {
  const d = components[0]?.mean.length ?? 0;
  const fed: NoiseRow = (row, out) => out.set(noise.subarray(row * d, (row + 1) * d));
  return Array.from({ length: batches }, (_, b) => alignmentBatch(components, perComponent, perm, b, fed));
}

/**
 * The epoch drawn from `rng` (src/data/rng.ts): one permutation of all rows, then each used row's noise
 * in batch order. Batches are made when asked for, one at a time.
 */
export function* drawAlignmentEpoch(components: readonly Component[], perComponent: number, batches: number, rng: Rng): Generator<Batch> {
  const perm = permutation(components.length * perComponent, rng);
  const draw: NoiseRow = (_row, out) => void standardNormal(rng, out);
  for (let b = 0; b < batches; b++) yield alignmentBatch(components, perComponent, perm, b, draw);
}

/** torch.optim.lr_scheduler.CosineAnnealingLR(T_max, eta_min 0) stepped once per epoch: the lr of `epoch`. */
export function cosineAnnealingLr(base: number, epoch: number, tMax: number): number {
  return (base * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
}
