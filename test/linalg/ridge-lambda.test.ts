// The ridge-λ choice against scripts/golden/ranpac_ref.py, which runs the official
// `optimise_ridge_parameter` (17 M×M solves) in NumPy float64 and in torch float32: the same λ, and
// with float64 products the same 17 losses to 1e-6 relative wherever the reference's own system is
// conditioned well enough to be that accurate (cond(G_val + λI) < 1e8), in the primal form (fit
// rows ≥ M) and in the dual form (fewer fit rows than M), near-ties included.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRidge, EngineProducts, hostProducts, RIDGE_GRID } from '../../src/linalg/index.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { throwsUserAsync } from './throws.ts';
import { ranpacFeaturesHost, runReference, type RefTask } from './ref.ts';

after(() => disposeAll());

function assertLosses(got: number[], ref: RefTask, what: string): void {
  let checked = 0;
  for (let k = 0; k < RIDGE_GRID.length; k++) {
    if (ref.conds[k] >= 1e8) continue;
    checked++;
    const rel = Math.abs(got[k] - ref.losses[k]) / ref.losses[k];
    assert.ok(rel <= 1e-6, `${what}: λ = ${RIDGE_GRID[k]}: ${got[k]} vs ${ref.losses[k]} (rel ${rel.toExponential(2)})`);
  }
  assert.ok(checked >= 6, `${what}: only ${checked} λ conditioned well enough to compare`);
}

const cases = [
  { name: 'primal (240 fit rows, M = 64)', seed: 1, n: 300, d: 16, M: 64, C: 5, noise: 2 },
  { name: 'dual (80 fit rows, M = 256)', seed: 2, n: 100, d: 24, M: 256, C: 4, noise: 1.5 },
  { name: 'dual at M = 512', seed: 3, n: 150, d: 32, M: 512, C: 10, noise: 3 },
];

for (const c of cases) {
  test(`λ and the 17 losses match the official code, ${c.name}`, async () => {
    const { h, labels } = ranpacFeaturesHost(c.seed, c.n, c.d, c.M, c.C, c.noise);
    const ref = runReference(h, labels, c.M, c.C, [[0, c.n]]).tasks[0];
    // Both solvers: one tridiagonal reduction for all λ, and one factorisation per λ.
    for (const solver of ['reduction', 'factorisations'] as const) {
      const host = await chooseRidge(h, labels, c.M, c.C, hostProducts, solver);
      assert.equal(host.form, c.n * 0.8 >= c.M ? 'primal' : 'dual');
      assert.equal(host.index, ref.argmin, `${solver}: float64 reference losses ${ref.losses}`);
      assertLosses(host.losses, ref, `${c.name}, ${solver}`);
    }
    // On the engine (float32 products): the same λ as the float64 reference and as the official
    // float32 run, the losses near where the system is well conditioned.
    const engine = new EngineProducts();
    const eng = await chooseRidge(h, labels, c.M, c.C, engine);
    await engine.dispose();
    assert.equal(eng.index, ref.argmin);
    assert.equal(ref.torch_argmin, ref.argmin, 'the official float32 run picks the float64 λ here');
    for (let k = 0; k < RIDGE_GRID.length; k++) {
      if (ref.conds[k] < 1e3) assert.ok(Math.abs(eng.losses[k] - ref.losses[k]) <= 1e-3 * ref.losses[k], `engine λ = ${RIDGE_GRID[k]}`);
    }
  });
}

test('a near-tie inside the grid: the two best λ within 1e-6 relative, told apart as the reference does', async () => {
  // Many rows for few features: the fit barely feels λ up to ~1e-2, so the losses there differ only in
  // their eighth digit and the argmin (λ = 1e-1) is decided there.
  const { h, labels } = ranpacFeaturesHost(5, 2000, 8, 12, 3, 0.5);
  const ref = runReference(h, labels, 12, 3, [[0, 2000]], false).tasks[0];
  const sorted = [...ref.losses].sort((a, b) => a - b);
  assert.ok((sorted[1] - sorted[0]) / sorted[0] < 1e-6, `not a near-tie: ${sorted[0]}, ${sorted[1]}`);
  assert.ok(ref.argmin > 0 && ref.argmin < 16);
  const got = await chooseRidge(h, labels, 12, 3, hostProducts);
  assert.equal(got.index, ref.argmin, `ours ${got.losses} vs ${ref.losses}`);
  assert.equal((await chooseRidge(h, labels, 12, 3, hostProducts, 'factorisations')).index, ref.argmin, 'one factorisation per λ');
  assert.equal(got.edge, null);
  assert.equal(got.notice, null);
  assertLosses(got.losses, ref, 'near-tie');
});

test("λ at the grid's edge is a notice naming the edge, not an error (a near-tie with its neighbour too)", async () => {
  const { h, labels } = ranpacFeaturesHost(4, 2000, 4, 8, 2, 0.02);
  const ref = runReference(h, labels, 8, 2, [[0, 2000]], false).tasks[0];
  assert.ok((ref.losses[1] - ref.losses[0]) / ref.losses[0] < 1e-6);
  const got = await chooseRidge(h, labels, 8, 2, hostProducts);
  assert.equal(ref.argmin, 0);
  assert.equal(got.index, 0);
  assert.equal(got.lambda, 1e-8);
  assert.equal(got.edge, 'lower');
  assert.equal(got.notice, "ridge λ = 1e-8 is the grid's lower edge (1e-8…1e8): a smaller λ might score better");
  assertLosses(got.losses, ref, 'edge');
});

test('bad input: one line each, naming what is wrong', async () => {
  const { h, labels } = ranpacFeaturesHost(5, 20, 4, 8, 2, 1);
  const nan = h.slice();
  nan[3 * 8 + 5] = NaN;
  await throwsUserAsync(() => chooseRidge(nan, labels, 8, 2, hostProducts), 'batch of the task: feature [3, 5] is NaN; G and Q are left as they were');
  await throwsUserAsync(() => chooseRidge(h, labels, 8, 1, hostProducts), /^batch of the task: label 1 in row 1 is not a class in 0…0$/);
});

test('a task of one example: no row to fit, every λ scores 1/C, the first is taken, as the official; said in a notice', async () => {
  const { h, labels } = ranpacFeaturesHost(6, 1, 4, 8, 3, 1);
  const ref = runReference(h, labels, 8, 3, [[0, 1]]).tasks[0];
  const got = await chooseRidge(h, labels, 8, 3, hostProducts);
  assert.equal(got.index, ref.argmin);
  assert.equal(ref.torch_argmin, 0);
  got.losses.forEach((v, k) => assert.ok(Math.abs(v - ref.losses[k]) <= 1e-12, `λ = ${RIDGE_GRID[k]}: ${v} vs ${ref.losses[k]}`));
  assert.equal(got.notice, 'the task has 1 example: the λ choice has no row to fit (int(0.8 · 1) = 0), every λ scores 1/C, and the first, 1e-8, is taken, as the official');
});

test('a class with one example, scored only or fitted only: λ and its losses as the official, and a notice naming the class', async () => {
  const { h, labels } = ranpacFeaturesHost(7, 40, 6, 8, 3, 1);
  // 32 fit rows, 8 scored: class 3's single example first among the scored, then among the fitted.
  for (const [row, where] of [[35, 'only in the scored 20 %'], [4, 'only in the fitted 80 %']] as const) {
    const y = labels.slice();
    y[row] = 3;
    const ref = runReference(h, y, 8, 4, [[0, 40]], false).tasks[0];
    const got = await chooseRidge(h, y, 8, 4, hostProducts);
    assert.equal(got.index, ref.argmin, `${where}: ${got.losses} vs ${ref.losses}`);
    assertLosses(got.losses, ref, where);
    assert.ok(got.notice?.startsWith(`the λ choice's split has class 3 (1) ${where}`), got.notice ?? 'no notice');
    assert.ok(!got.notice!.includes('\n'));
  }
});
