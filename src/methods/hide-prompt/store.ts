// From gathered features to what HiDe-Prompt keeps per class at the end of a task (the official
// cls_mean / cls_cov dictionaries of _compute_mean), and the centroid matrix the prototype-contrast
// term reads from them (orth_loss stacks every stored mean, in the order classes were stored).
import { hash32, Rng } from '../../data/rng.ts';
import type { ClassStore } from './alignment.ts';
import type { ClassFeatures } from './class-features.ts';
import type { ClassMoments } from './class-moments.ts';
import { clusterMoments, kmeans } from './kmeans.ts';

/** 'multi-centroid': k-means of each class's rows (seeded per class from `seed`), then each cluster's mean and variance. */
export function storeCentroids(features: ClassFeatures, nCentroids: number, seed: number): Map<number, ClassStore> {
  const out = new Map<number, ClassStore>();
  for (const cls of features.classes()) {
    const { n, data } = features.of(cls);
    const rng = new Rng(hash32(seed, cls));
    const fit = kmeans(data, n, features.dim, nCentroids, () => rng.float(), {}, `class ${cls}`);
    out.set(cls, { kind: 'multi-centroid', c: clusterMoments(data, n, features.dim, fit.labels, nCentroids, `class ${cls}`) });
  }
  return out;
}

/** 'covariance' or 'variance': each class's mean and (diagonal of the) covariance + 1e-4·I. */
export function storeMoments(moments: ClassMoments, kind: 'covariance' | 'variance'): Map<number, ClassStore> {
  return new Map(moments.classes().map((cls) => [cls, { kind, g: moments.stats(cls, kind) }] as const));
}

/**
 * Every stored mean [K, D] in `order` (the classes as they were stored: task by task, class_mask
 * order), all of a class's centroids together, one-row clusters included as the official keeps them.
 */
export function prototypeMatrix(stores: ReadonlyMap<number, ClassStore>, order: readonly number[], dim: number): { k: number; data: Float32Array } {
  const means = order.flatMap((cls) => {
    const s = stores.get(cls);
    if (!s) throw new Error(`prototypeMatrix: class ${cls} is not stored`);
    return s.kind === 'multi-centroid' ? s.c.means : [s.g.mean];
  });
  const data = new Float32Array(means.length * dim);
  means.forEach((m, i) => data.set(m, i * dim));
  return { k: means.length, data };
}
