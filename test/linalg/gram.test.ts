// G = Σ HᵀH and Q = Σ HᵀY over two tasks, fed in batches that straddle the engine's chunks, and the
// head solved from them, against scripts/golden/ranpac_ref.py (the official `replace_fc` in float64).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRidge, EngineProducts, hostProducts, ridgeHead, RidgeStats, type Products } from '../../src/linalg/index.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { throwsUserAsync } from './throws.ts';
import { ranpacFeaturesHost, relErr, runReference } from './ref.ts';

after(() => disposeAll());

const n = 260;
const M = 96;
const C = 6;
const tasks: [number, number][] = [[0, 140], [140, 260]];

/** The stream as a method sees it: task 1's classes then task 2's, each task cut into batches of 50. */
async function feed(stats: RidgeStats, h: Float32Array, labels: Int32Array, products: Products): Promise<{ lambda: number; wo: Float32Array }> {
  let lambda = 0;
  let wo: Float32Array = new Float32Array(0);
  for (const [start, end] of tasks) {
    for (let b = start; b < end; b += 50) {
      const e = Math.min(end, b + 50);
      await stats.add(h.subarray(b * M, e * M), labels.subarray(b, e), `${b / 50}`);
    }
    lambda = (await chooseRidge(h.subarray(start * M, end * M), labels.subarray(start, end), M, C, products)).lambda;
    wo = await ridgeHead(stats, lambda, C);
  }
  return { lambda, wo };
}

function upper(G: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < M; i++) for (let j = i; j < M; j++) out.push(G[i * M + j]);
  return out;
}

const data = ranpacFeaturesHost(21, n, 12, M, C, 1.5);
// Task 1 holds classes 0–2, task 2 classes 3–5, as in class-incremental learning.
data.labels.forEach((y, i) => (data.labels[i] = (i < 140 ? 0 : 3) + (y % 3)));
const ref = runReference(data.h, data.labels, M, C, tasks, false);

for (const [name, products, tol] of [
  ['host float64 products', hostProducts, 1e-12],
  ['engine float32 products', new EngineProducts(), 1e-5],
] as const) {
  test(`G, Q and the head after two tasks match the reference (${name})`, async () => {
    const stats = new RidgeStats(M, C, products, 64);
    const { lambda, wo } = await feed(stats, data.h, data.labels, products);
    assert.equal(stats.count, n);
    assert.equal(lambda, 10 ** (ref.tasks[1].argmin - 8));
    assert.ok(relErr(upper(stats.G), upper(ref.G)) <= tol, `G ${relErr(upper(stats.G), upper(ref.G))}`);
    assert.ok(relErr(stats.Q, ref.Q) <= tol, `Q ${relErr(stats.Q, ref.Q)}`);
    // The head's error is G's times the system's condition number at this λ.
    const woTol = products === hostProducts ? 1e-6 : 1e-2;
    assert.ok(relErr(wo, ref.Wo) <= woTol, `Wo ${relErr(wo, ref.Wo)}`);
    await products.dispose();
  });
}

test('a batch with NaN or Inf: one line naming the batch and the value, G and Q unchanged', async () => {
  const stats = new RidgeStats(4, 2, hostProducts, 8);
  await stats.add(Float32Array.from([1, 2, 3, 4]), [1], 'a');
  await stats.flush();
  const before = [Float64Array.from(stats.G), Float64Array.from(stats.Q)];
  const bad = Float32Array.from([1, 1, 1, 1, 0, 0, Infinity, 0]);
  await throwsUserAsync(() => stats.add(bad, [0, 1], '7 of task 2'), 'batch 7 of task 2: feature [1, 2] is Infinity; G and Q are left as they were');
  await throwsUserAsync(() => stats.add(Float32Array.from([1, 1, 1]), [0], 'b'), 'batch b: 3 feature values are not rows of M = 4');
  await throwsUserAsync(() => stats.add(Float32Array.from([1, 1, 1, 1]), [2], 'c'), 'batch c: label 2 in row 0 is not a class in 0…1');
  await stats.flush();
  assert.deepEqual([stats.G, stats.Q], before);
  assert.equal(stats.count, 1);
  // Hand-computed: h = [1, 2, 3, 4], y = class 1.
  assert.deepEqual(Array.from(stats.Q), [0, 1, 0, 2, 0, 3, 0, 4]);
  assert.equal(stats.gram(3, 1), 8);
  assert.equal(stats.gram(1, 3), 8);
});

test('a singular G: the head says so in one line, and G survives for a larger λ', async () => {
  const stats = new RidgeStats(3, 2, hostProducts, 4);
  await stats.add(Float32Array.from([1, 1, 0, 2, 2, 0]), [0, 1], 'only');
  await throwsUserAsync(() => ridgeHead(stats, 1e-300, 2), /^G \+ λI \(λ = 1e-300, 3×3\) is not positive definite in float64: pivot 1 is /);
  const wo = await ridgeHead(stats, 1, 2); // [2, 3]
  // (G + I) = [[6, 5, 0], [5, 6, 0], [0, 0, 1]], Q = [[1, 2], [1, 2], [0, 0]]: each column of Q is
  // along [1, 1, 0], an eigenvector with eigenvalue 11, so X = Q / 11.
  const want = [1 / 11, 1 / 11, 0, 2 / 11, 2 / 11, 0];
  wo.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-7, `${k}: ${v}`));
  await throwsUserAsync(() => ridgeHead(new RidgeStats(3, 2, hostProducts), 1, 2), 'the ridge head has no examples: G and Q are empty');
});
