// The float64 Cholesky solve, on the host and blocked on the engine (float64 Gemm updates), against
// an independent solve (Gaussian elimination with partial pivoting written here) and a hand-computed
// 2×2; the upper triangle survives the solve.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { choleskyInPlace, engineCholesky, hostCholesky, solveShifted } from '../../src/linalg/index.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { mulberry32 } from '../../src/random.ts';
import { throwsUser } from '../helpers/errors.ts';
import { throwsUserAsync } from './throws.ts';

// Blocks of 16 so that small cases cross several block columns and a short last one.
const engine = engineCholesky({}, 16);
after(async () => {
  await engine.dispose();
  await disposeAll();
});

/** x with a x = b by Gaussian elimination with partial pivoting (a [m, m] full, b [m, c]). */
function gaussSolve(a0: Float64Array, b0: Float64Array, m: number, c: number): Float64Array {
  const a = Float64Array.from(a0);
  const b = Float64Array.from(b0);
  for (let k = 0; k < m; k++) {
    let p = k;
    for (let i = k + 1; i < m; i++) if (Math.abs(a[i * m + k]) > Math.abs(a[p * m + k])) p = i;
    for (let j = 0; j < m; j++) [a[k * m + j], a[p * m + j]] = [a[p * m + j], a[k * m + j]];
    for (let j = 0; j < c; j++) [b[k * c + j], b[p * c + j]] = [b[p * c + j], b[k * c + j]];
    for (let i = k + 1; i < m; i++) {
      const f = a[i * m + k] / a[k * m + k];
      for (let j = k; j < m; j++) a[i * m + j] -= f * a[k * m + j];
      for (let j = 0; j < c; j++) b[i * c + j] -= f * b[k * c + j];
    }
  }
  const x = new Float64Array(m * c);
  for (let i = m - 1; i >= 0; i--) {
    for (let j = 0; j < c; j++) {
      let s = b[i * c + j];
      for (let k = i + 1; k < m; k++) s -= a[i * m + k] * x[k * c + j];
      x[i * c + j] = s / a[i * m + i];
    }
  }
  return x;
}

/** A Gram matrix XᵀX [m, m] of n random rows. */
function gram(seed: number, n: number, m: number): Float64Array {
  const r = mulberry32(seed);
  const x = Float64Array.from({ length: n * m }, () => r() - 0.5);
  const g = new Float64Array(m * m);
  for (let t = 0; t < n; t++) for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) g[i * m + j] += x[t * m + i] * x[t * m + j];
  return g;
}

for (const [name, chol] of [['host', hostCholesky], ['engine', engine]] as const) {
  test(`${name}: a 2×2 by hand: [[4, 2], [2, 3]] + 1·I, b = [1, 2]`, async () => {
    // (A + I) = [[5, 2], [2, 4]], det 16: x = [[4, −2], [−2, 5]]·[1, 2] / 16 = [0, 8] / 16.
    const x = await solveShifted(chol, Float64Array.from([4, 2, 99, 3]), 2, 1, [1, 2], 1);
    assert.ok(Math.abs(x[0]) < 1e-15 && Math.abs(x[1] - 0.5) < 1e-15, String(x));
  });

  test(`${name}: the solve matches Gaussian elimination across block boundaries, and keeps the upper triangle`, async () => {
    for (const m of [1, 15, 16, 17, 47, 48, 49, 130]) {
      const a = gram(m, m + 20, m);
      const c = 3;
      const b = Float64Array.from({ length: m * c }, (_, i) => Math.sin(i));
      const full = Float64Array.from(a);
      for (let i = 0; i < m; i++) full[i * m + i] += 0.1;
      const want = gaussSolve(full, b, m, c);
      const upper = a.filter((_, k) => k % m >= Math.floor(k / m));
      const got = await solveShifted(chol, a, m, 0.1, b, c);
      for (let k = 0; k < want.length; k++) assert.ok(Math.abs(got[k] - want[k]) <= 1e-9 * (1 + Math.abs(want[k])), `m=${m} [${k}]: ${got[k]} vs ${want[k]}`);
      assert.deepEqual(a.filter((_, k) => k % m >= Math.floor(k / m)), upper);
      // The lower triangle is scratch: a second solve reads only the upper one and agrees.
      const again = await solveShifted(chol, a, m, 0.1, b, c);
      assert.deepEqual(again, got);
    }
  });
}

test('engine and host agree on an ill-conditioned Gram (ReLU features, rows ≈ columns) down to λ = 1e-8', async () => {
  const [m, n, c] = [200, 205, 4];
  const r = mulberry32(3);
  const x = Float64Array.from({ length: n * m }, () => Math.max(0, r() + r() - 1));
  const a = new Float64Array(m * m);
  for (let t = 0; t < n; t++) for (let i = 0; i < m; i++) for (let j = i; j < m; j++) a[i * m + j] += x[t * m + i] * x[t * m + j];
  const b = Float64Array.from({ length: m * c }, (_, i) => Math.sin(i));
  for (const lambda of [1e-8, 1e-2, 1e3]) {
    const got = await solveShifted(engine, a, m, lambda, b, c);
    const want = await solveShifted(hostCholesky, a, m, lambda, b, c);
    let err = 0;
    let scale = 0;
    for (let k = 0; k < want.length; k++) {
      err = Math.max(err, Math.abs(got[k] - want[k]));
      scale = Math.max(scale, Math.abs(want[k]));
    }
    assert.ok(err <= 1e-9 * scale, `λ = ${lambda}: ${err / scale}`);
  }
});

test('engine: a pivot that fails in a later block column names its global index', async () => {
  const m = 40;
  // Rank 20: XᵀX of 20 rows; with λ = 0 pivot 20 (in the second block column of 16) vanishes.
  const a = gram(5, 20, m);
  await throwsUserAsync(() => engine.factor(a, m, 0, 'G'), /^G \+ λI \(λ = 0, 40×40\) is not positive definite in float64: pivot 2\d is /);
});

test('a singular or indefinite matrix: one line naming the pivot, λ and size', () => {
  const m = 4;
  // Rank 1: ones [4, 4]; with λ = 0 the second pivot is 0.
  throwsUser(() => choleskyInPlace(new Float64Array(m * m).fill(1), m, 0, 'G'), /^G \+ λI \(λ = 0, 4×4\) is not positive definite in float64: pivot 1 is 0\.00 /);
  // [[1.5, 2], [2, 1.5]]: the second pivot is 1.5 − 2²/1.5.
  throwsUser(() => choleskyInPlace(Float64Array.from([1, 2, 2, 1]), 2, 0.5, 'G'), /pivot 1 is -1\.17 /);
  throwsUser(() => choleskyInPlace(Float64Array.from([NaN, 0, 0, 1]), 2, 1, 'G'), /pivot 0 is NaN.*holds NaN/);
  // The same rank-1 matrix is solvable once λ > 0.
  assert.ok(choleskyInPlace(new Float64Array(m * m).fill(1), m, 1e-3).every(Number.isFinite));
});
