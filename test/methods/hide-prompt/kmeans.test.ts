// k-means as sklearn 1.0.2 runs it inside the official 'multi-centroid' storage: Lloyd from fed
// centres and k-means++ from fed uniforms against a NumPy transcription of sklearn's functions, the
// per-cluster mean and np.var of the official loop, and the n < k bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterMoments, kmeans, kmeansPlusPlus, lloyd, kmeansTolerance } from '../../../src/methods/hide-prompt/kmeans.ts';
import { Rng } from '../../../src/data/rng.ts';
import { rng, uniform } from '../../helpers/rng.ts';
import { throwsUser } from '../../helpers/errors.ts';
import { close, reference } from './reference.ts';

const D = 4;
const N = 60;
const K = 5;
const r = rng(11);
// Five blobs, so the clustering is well posed and the labels compare exactly.
const x = Float32Array.from({ length: N * D }, (_, i) => 4 * (Math.floor(i / D) % K) * ((i % D) - 1.5) + uniform(r, 1)[0]);
const init = Float64Array.from(x.subarray(0, K * D)); // the first K rows: one per blob
const spread = Float64Array.from({ length: K * D }, (_, i) => x[(7 * Math.floor(i / D)) * D + (i % D)]);
// A centre far from every row: its cluster empties on the first step and takes the farthest point.
const withEmpty = Float64Array.from(init, (v, i) => (i >= (K - 1) * D ? 1e3 : v));
const uniforms = uniform(r, 1 + (K - 1) * (2 + Math.floor(Math.log(K))), 0, 1);
const labelsOf = Int32Array.from({ length: N }, (_, i) => i % 3);

const [fromInit, fromSpread, fromEmpty, pp, moments] = reference([
  { op: 'lloyd', dim: D, k: K, features: x, init },
  { op: 'lloyd', dim: D, k: K, features: x, init: spread },
  { op: 'lloyd', dim: D, k: K, features: x, init: withEmpty },
  { op: 'kmeans_plusplus', dim: D, k: K, features: x, uniforms },
  { op: 'cluster_moments', dim: D, k: 3, features: x, labels: labelsOf },
]);

const tol = kmeansTolerance(x, N, D, 1e-4);
for (const [name, start, ref] of [['one centre per blob', init, fromInit], ['centres from one blob', spread, fromSpread], ['an empty cluster', withEmpty, fromEmpty]] as const) {
  test(`Lloyd from fed centres (${name}) gives sklearn's labels, centres, inertia and iteration count`, () => {
    const out = lloyd(x, N, D, start, K, 300, tol);
    assert.deepEqual(Array.from(out.labels), ref.labels);
    close(out.centers, ref.centers, 1e-12, 'centres');
    close([out.inertia], [ref.inertia], 1e-12, 'inertia');
    assert.equal(out.iterations, ref.iterations);
  });
}

test("k-means++ from fed uniforms picks sklearn's centres", () => {
  let i = 0;
  const centers = kmeansPlusPlus(x, N, D, K, () => uniforms[i++]);
  close(centers, pp.centers, 0, 'centres');
  assert.equal(i, uniforms.length);
});

test("each cluster's mean and np.var, as the official loop after kmeans.fit", () => {
  const m = clusterMoments(x, N, D, labelsOf, 3);
  m.means.forEach((mean, c) => close(mean, moments.means[c], 1e-12, `mean ${c}`));
  m.vars.forEach((v, c) => close(v, moments.vars[c], 1e-12, `var ${c}`));
  assert.deepEqual(m.counts, [20, 20, 20]);
});

test('KMeans with n_init restarts: reproducible by seed, and never worse than its own first restart', () => {
  const rng1 = new Rng(5);
  const a = kmeans(x, N, D, K, () => rng1.float());
  const rng2 = new Rng(5);
  const b = kmeans(x, N, D, K, () => rng2.float());
  assert.deepEqual(a.labels, b.labels);
  const rng3 = new Rng(5);
  const single = kmeans(x, N, D, K, () => rng3.float(), { nInit: 1 });
  assert.ok(a.inertia <= single.inertia);
  // The blobs are found: every cluster holds exactly one blob's 12 rows.
  const sizes = new Array<number>(K).fill(0);
  a.labels.forEach((l) => sizes[l]++);
  assert.deepEqual(sizes, [12, 12, 12, 12, 12]);
});

test('fewer examples than centroids: one line', () => {
  throwsUser(() => kmeans(x, 3, D, 10, () => 0.5, {}, 'class 17'), /^class 17: 3 examples for 10 centroids; the official KMeans\(n_clusters=10\) needs at least 10/);
});
