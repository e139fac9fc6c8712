// What HiDe-Prompt keeps between tasks beyond its parameters, as checkpoint state: each task's classes
// (in the order their statistics were stored) and, per stage ('tii', 'prompt'), every stored class's
// statistics in float64: 'multi-centroid' the k centroids' means and variances [rows, D] and cluster
// sizes; 'covariance' / 'variance' the mean [D] and the covariance [D, D] or its diagonal [D].
import { UserError } from '../../errors.ts';
import { isStateArray, type MethodState, type StateArray } from '../method.ts';
import type { ClassStore } from './alignment.ts';

export type Stage = 'tii' | 'prompt';

/** A stage's stores as named state entries ('<stage>_classes', '<stage>_mean', ...). */
export function storesState(stage: Stage, stores: ReadonlyMap<number, ClassStore>, dim: number): MethodState {
  const classes = [...stores.keys()];
  const rows = (s: ClassStore) => (s.kind === 'multi-centroid' ? s.c.means : [s.g.mean]);
  const spread = (s: ClassStore) => (s.kind === 'multi-centroid' ? s.c.vars : [s.g.cov]);
  const stack = (parts: Float64Array[], width: number): StateArray => {
    const data = new Float64Array(parts.length * width);
    parts.forEach((p, i) => data.set(p, i * width));
    return { shape: [parts.length, width], data };
  };
  const all = classes.map((c) => stores.get(c)!);
  const width = all[0]?.kind === 'covariance' ? dim * dim : dim;
  return {
    [`${stage}_classes`]: [classes],
    [`${stage}_counts`]: all.map((s) => (s.kind === 'multi-centroid' ? s.c.counts : [s.g.count])),
    [`${stage}_mean`]: stack(all.flatMap(rows), dim),
    [`${stage}_spread`]: stack(all.flatMap(spread), width),
  };
}

/** The stores of a stage back from checkpoint state (empty where the state has none). */
export function storesOf(stage: Stage, s: MethodState | undefined, kind: ClassStore['kind'], dim: number): Map<number, ClassStore> {
  const out = new Map<number, ClassStore>();
  const classes = (s?.[`${stage}_classes`] as number[][] | undefined)?.[0] ?? [];
  if (classes.length === 0) return out;
  const counts = s![`${stage}_counts`] as number[][];
  const mean = s![`${stage}_mean`];
  const spread = s![`${stage}_spread`];
  const bad = (why: string) => new UserError(`the checkpoint's HiDe-Prompt ${stage} statistics ('method/${stage}_mean', 'method/${stage}_spread', '${stage}_counts') ${why}`);
  if (!isStateArray(mean) || !isStateArray(spread) || mean.shape[1] !== dim) throw bad(`are missing or not ${dim} wide`);
  const perClass = kind === 'multi-centroid' ? (i: number) => counts[i]?.length ?? 0 : () => 1;
  if (!Array.isArray(counts) || counts.length !== classes.length || !counts.every((r) => Array.isArray(r) && r.length > 0 && r.every(Number.isFinite))) throw bad(`have no finite counts for each of their ${classes.length} classes`);
  const rows = classes.reduce((a, _, i) => a + perClass(i), 0);
  const spreadWidth = kind === 'covariance' ? dim * dim : dim;
  if (mean.shape[0] !== rows || spread.shape[0] !== rows || spread.shape[1] !== spreadWidth) throw bad(`hold [${mean.shape}] and [${spread.shape}] where ${rows} rows of ${dim} and ${spreadWidth} belong`);
  const row = (a: StateArray, i: number) => Float64Array.from(a.data.subarray(i * a.shape[1], (i + 1) * a.shape[1]));
  let at = 0;
  classes.forEach((cls, i) => {
    if (kind === 'multi-centroid') {
      const k = counts[i].length;
      const idx = Array.from({ length: k }, (_, j) => at + j);
      out.set(cls, { kind, c: { means: idx.map((r) => row(mean, r)), vars: idx.map((r) => row(spread, r)), counts: counts[i].slice() } });
      at += k;
    } else {
      out.set(cls, { kind, g: { mean: row(mean, at), cov: row(spread, at), count: counts[i][0] } });
      at += 1;
    }
  });
  return out;
}
