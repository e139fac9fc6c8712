// k-means as the official 'multi-centroid' storage calls it: sklearn.cluster.KMeans(n_clusters=10)
// with scikit-learn 1.0.2's defaults (requirements.txt): k-means++ seeding with 2 + ⌊ln k⌋ local
// trials, Lloyd iterations (max_iter 300) stopped when no label changes or the squared centre shift
// falls to tol · mean per-feature variance (tol 1e-4), n_init 10 restarts keeping the least inertia,
// and an empty cluster moved to the point farthest from its centre. The arithmetic is float64.
import { UserError } from '../../errors.ts';

export interface KMeansResult {
  centers: Float64Array; // [k, D]
  labels: Int32Array; // [n]
  inertia: number;
  iterations: number;
}

export interface KMeansOptions {
  nInit?: number;
  maxIter?: number;
  tol?: number;
}

function sqDist(x: ArrayLike<number>, i: number, c: ArrayLike<number>, k: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = x[i * d + j] - c[k * d + j];
    s += t * t;
  }
  return s;
}

/** sklearn's `_tolerance`: tol times the mean over features of each feature's (population) variance. */
export function kmeansTolerance(x: ArrayLike<number>, n: number, d: number, tol: number): number {
  let total = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * d + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * d + j] - m) ** 2;
    total += v / n;
  }
  return (total / d) * tol;
}

/**
 * k-means++ seeding as sklearn's `_kmeans_plusplus`: the first centre is row ⌊u·n⌋; each next one is
 * the best (least summed distance) of 2 + ⌊ln k⌋ candidates drawn with probability ∝ squared distance.
 * `uniform` gives draws in [0, 1).
 */
export function kmeansPlusPlus(x: ArrayLike<number>, n: number, d: number, k: number, uniform: () => number): Float64Array {
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const take = (c: number, row: number) => {
    for (let j = 0; j < d; j++) centers[c * d + j] = x[row * d + j];
  };
  take(0, Math.min(n - 1, Math.floor(uniform() * n)));
  let closest: Float64Array = Float64Array.from({ length: n }, (_, i) => sqDist(x, i, centers, 0, d));
  let pot = closest.reduce((a, b) => a + b, 0);
  for (let c = 1; c < k; c++) {
    const cum = new Float64Array(n);
    closest.reduce((acc, v, i) => (cum[i] = acc + v), 0);
    let best: { pot: number; row: number; dist: Float64Array } | null = null;
    for (let t = 0; t < trials; t++) {
      const target = uniform() * pot;
      let row = 0; // searchsorted(cum, target, 'left'), clipped to n − 1
      while (row < n - 1 && cum[row] < target) row++;
      const dist = Float64Array.from({ length: n }, (_, i) => Math.min(closest[i], sqDist(x, i, x, row, d)));
      const p = dist.reduce((a, b) => a + b, 0);
      if (!best || p < best.pot) best = { pot: p, row, dist };
    }
    take(c, best!.row);
    closest = best!.dist;
    pot = best!.pot;
  }
  return centers;
}

function assign(x: ArrayLike<number>, n: number, d: number, centers: Float64Array, k: number, labels: Int32Array, dist: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      const s = sqDist(x, i, centers, c, d);
      if (s < bestD) [best, bestD] = [c, s];
    }
    labels[i] = best;
    dist[i] = bestD;
  }
}

/** Lloyd's iterations from `init` [k, D], as sklearn's `_kmeans_single_lloyd`. */
export function lloyd(x: ArrayLike<number>, n: number, d: number, init: Float64Array, k: number, maxIter = 300, tolAbs = 0): KMeansResult {
  let centers = Float64Array.from(init);
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  let strict = false;
  let it = 0;
  for (; it < maxIter; it++) {
    const old = Int32Array.from(labels);
    assign(x, n, d, centers, k, labels, dist);
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      counts[labels[i]] += 1;
      for (let j = 0; j < d; j++) sums[labels[i] * d + j] += x[i * d + j];
    }
    const empty = [...counts.keys()].filter((c) => counts[c] === 0);
    if (empty.length > 0) {
      // sklearn `_relocate_empty_clusters_dense`: the farthest points (from their own centres) become
      // the empty clusters' centres, leaving their old clusters' sums; labels are not changed.
      const far = [...dist.keys()].sort((a, b) => dist[b] - dist[a] || a - b).slice(0, empty.length);
      empty.forEach((c, e) => {
        const p = far[e];
        const from = labels[p];
        counts[from] -= 1;
        counts[c] = 1;
        for (let j = 0; j < d; j++) {
          sums[from * d + j] -= x[p * d + j];
          sums[c * d + j] = x[p * d + j];
        }
      });
    }
    // A cluster left without points keeps its (zero) sum, as sklearn's `_average_centers` leaves it.
    const next = Float64Array.from(sums, (s, idx) => (counts[Math.floor(idx / d)] > 0 ? s / counts[Math.floor(idx / d)] : s));
    let shift = 0;
    for (let q = 0; q < next.length; q++) shift += (next[q] - centers[q]) ** 2;
    centers = next;
    if (old.every((v, i) => v === labels[i])) {
      strict = true;
      it++;
      break;
    }
    if (shift <= tolAbs) {
      it++;
      break;
    }
  }
  if (!strict) assign(x, n, d, centers, k, labels, dist);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(x, i, centers, labels[i], d);
  return { centers, labels, inertia, iterations: it };
}

/** KMeans(n_clusters=k).fit(x): n_init seedings and Lloyd runs, the least inertia kept (first on ties). */
export function kmeans(x: ArrayLike<number>, n: number, d: number, k: number, uniform: () => number, o: KMeansOptions = {}, what = 'k-means'): KMeansResult {
  if (n < k) throw new UserError(`${what}: ${n} examples for ${k} centroids; the official KMeans(n_clusters=${k}) needs at least ${k} (lower n_centroids or use another ca_storage_efficient_method)`);
  const tolAbs = kmeansTolerance(x, n, d, o.tol ?? 1e-4);
  let best: KMeansResult | null = null;
  for (let r = 0; r < (o.nInit ?? 10); r++) {
    const run = lloyd(x, n, d, kmeansPlusPlus(x, n, d, k, uniform), k, o.maxIter ?? 300, tolAbs);
    if (!best || run.inertia < best.inertia) best = run;
  }
  return best!;
}

export interface Centroids {
  means: Float64Array[]; // k × [D]
  /** Population variance per feature (np.var, ddof 0) of each cluster's rows: k × [D]. */
  vars: Float64Array[];
  counts: number[];
}

/** Each cluster's mean and per-feature variance, as the official loop after kmeans.fit computes them. */
export function clusterMoments(x: ArrayLike<number>, n: number, d: number, labels: ArrayLike<number>, k: number, what = 'k-means'): Centroids {
  const means = Array.from({ length: k }, () => new Float64Array(d));
  const vars = Array.from({ length: k }, () => new Float64Array(d));
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    counts[labels[i]] += 1;
    for (let j = 0; j < d; j++) means[labels[i]][j] += x[i * d + j];
  }
  const empty = counts.indexOf(0);
  if (empty >= 0) throw new UserError(`${what}: k-means left centroid ${empty} without examples (fewer distinct features than centroids); its mean and variance are undefined`);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c][j] /= counts[c];
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) vars[labels[i]][j] += (x[i * d + j] - means[labels[i]][j]) ** 2;
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) vars[c][j] /= counts[c];
  return { means, vars, counts };
}
