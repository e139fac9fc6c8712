// The ridge choice's one factorisation (src/linalg/tridiagonal.ts): S = Q T Qᵀ rebuilt from its parts,
// T's eigenvalues those of S, and (S + λI)⁻¹R through Q (T + λI)⁻¹ Qᵀ R as NumPy's solve gives it,
// for every λ of the grid, on a positive semi-definite S of deficient rank and on a full-rank one.
import assert from 'node:assert/strict';
import { runPython } from '../helpers/python-cache.ts';
import { test } from 'node:test';
import { RIDGE_GRID } from '../../src/linalg/index.ts';
import { applyQRight, applyQt, solveTridiagonalShifted, tridiagonalize } from '../../src/linalg/tridiagonal.ts';
import { mulberry32 } from '../../src/random.ts';

const REFERENCE = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
n, c = d['n'], d['c']
S = np.array(d['S']).reshape(n, n); R = np.array(d['R']).reshape(n, c)
T = np.diag(d['d']) + np.diag(d['e'], -1) + np.diag(d['e'], 1)
out = {'eig_S': np.linalg.eigvalsh(S).tolist(), 'eig_T': np.linalg.eigvalsh(T).tolist(),
       'X': [np.linalg.solve(S + lam * np.eye(n), R).ravel().tolist() for lam in d['grid']],
       'cond': [float(np.linalg.cond(S + lam * np.eye(n))) for lam in d['grid']]}
json.dump(out, sys.stdout)
`;

/** h [rows, n] with entries uniform in ±1, and S = hᵀh [n, n]. */
function gram(seed: number, rows: number, n: number): Float64Array {
  const next = mulberry32(seed);
  const h = Float64Array.from({ length: rows * n }, () => 2 * next() - 1);
  const s = new Float64Array(n * n);
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] += h[r * n + i] * h[r * n + j];
  return s;
}

for (const [name, rows, n] of [['rank 12 of 30', 12, 30], ['full rank, 40', 90, 40]] as const) {
  test(`S = Q T Qᵀ and every λ's solve as NumPy's, ${name}`, () => {
    const c = 3;
    const s = gram(rows, rows, n);
    const next = mulberry32(99);
    const R = Float64Array.from({ length: n * c }, () => next() - 0.5);
    const t = tridiagonalize(s.slice(), n);
    // Q = I Q, explicitly; then Q T Qᵀ by plain loops.
    const eye = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
    const q = applyQRight(t, eye, n); // [n, n]
    const T = (i: number, j: number) => (i === j ? t.d[i] : Math.abs(i - j) === 1 ? t.e[Math.min(i, j)] : 0);
    const qt = Float64Array.from({ length: n * n }, (_, k) => {
      let acc = 0;
      for (let m = 0; m < n; m++) acc += q[Math.floor(k / n) * n + m] * T(m, k % n);
      return acc;
    }); // Q T
    const rebuilt = Float64Array.from({ length: n * n }, (_, k) => {
      let acc = 0;
      for (let m = 0; m < n; m++) acc += qt[Math.floor(k / n) * n + m] * q[(k % n) * n + m];
      return acc;
    }); // Q T Qᵀ
    const scale = Math.max(...s.map(Math.abs));
    rebuilt.forEach((v, k) => assert.ok(Math.abs(v - s[k]) <= 1e-12 * scale, `S[${k}]: ${v} vs ${s[k]}`));
    const r = runPython(['-c', REFERENCE], JSON.stringify({ n, c, S: [...s], R: [...R], d: [...t.d], e: [...t.e], grid: RIDGE_GRID }), 1 << 26);
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as { eig_S: number[]; eig_T: number[]; X: number[][]; cond: number[] };
    want.eig_T.forEach((v, k) => assert.ok(Math.abs(v - want.eig_S[k]) <= 1e-12 * scale, `eigenvalue ${k}: T ${v} vs S ${want.eig_S[k]}`));
    const qtR = applyQt(t, R, c);
    RIDGE_GRID.forEach((lambda, g) => {
      const y = solveTridiagonalShifted(t, lambda, qtR, c);
      assert.ok(y, `λ = ${lambda}: T + λI positive definite`);
      const x = Float64Array.from({ length: n * c }, (_, k) => {
        let acc = 0;
        for (let m = 0; m < n; m++) acc += q[Math.floor(k / c) * n + m] * y![m * c + (k % c)];
        return acc;
      }); // X = Q y [n, c]
      const tol = 1e-13 * want.cond[g] + 1e-12;
      const xs = want.X[g];
      const big = Math.max(...xs.map(Math.abs));
      for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) assert.ok(Math.abs(x[i * c + j] - xs[i * c + j]) <= tol * big, `λ = ${lambda}: X[${i}, ${j}] ${x[i * c + j]} vs ${xs[i * c + j]} (cond ${want.cond[g].toExponential(1)})`);
    });
  });
}

test('a not positive definite T + λI is null, not a wrong answer', () => {
  const t = tridiagonalize(Float64Array.of(1, 2, 2, 1), 2); // eigenvalues 3 and −1
  assert.equal(solveTridiagonalShifted(t, 0.5, Float64Array.of(1, 1), 1), null);
  assert.ok(solveTridiagonalShifted(t, 2, Float64Array.of(1, 1), 1));
});
