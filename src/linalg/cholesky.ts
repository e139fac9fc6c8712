// (A + λI) X = B in float64 by Cholesky, for a symmetric A [m, m] of which only the upper triangle
// (diagonal included) is read. The factor L is written into A's strictly lower triangle and a
// separate diagonal, so A's upper triangle survives: at m = 10,000 A is 800 MB and stays one copy,
// still valid for the next task's accumulation and the next λ.
import { UserError } from '../errors.ts';

/** Rows of L computed together: each finished row j is read once per block instead of once per row. */
const BLOCK = 48;

/**
 * Factors A + λI = L Lᵀ in place (L below A's diagonal, its diagonal returned). Throws a UserError
 * naming the pivot when A + λI is not positive definite in float64 (A singular, or not a Gram matrix).
 */
export function choleskyInPlace(a: Float64Array, m: number, lambda: number, what = 'A'): Float64Array {
  if (a.length !== m * m) throw new RangeError(`cholesky: ${what} has ${a.length} values, not ${m}×${m}`);
  const d = new Float64Array(m); // L's diagonal
  for (let i = 0; i < m; i++) {
    d[i] = a[i * m + i] + lambda;
    for (let j = 0; j < i; j++) a[i * m + j] = a[j * m + i]; // the upper triangle mirrored below
  }
  for (let i0 = 0; i0 < m; i0 += BLOCK) {
    const i1 = Math.min(m, i0 + BLOCK);
    // Columns before the block: every row j < i0 is final.
    for (let j = 0; j < i0; j++) {
      const rj = j * m;
      for (let i = i0; i < i1; i++) {
        const ri = i * m;
        a[ri + j] = (a[ri + j] - dot(a, ri, rj, j)) / d[j];
      }
    }
    // The block's own triangle, row by row.
    for (let i = i0; i < i1; i++) {
      const ri = i * m;
      for (let j = i0; j < i; j++) a[ri + j] = (a[ri + j] - dot(a, ri, j * m, j)) / d[j];
      const pivot = d[i] - dot(a, ri, ri, i);
      if (!(pivot > 0)) throw notPositiveDefinite(what, lambda, m, i, pivot);
      d[i] = Math.sqrt(pivot);
    }
  }
  return d;
}

/** The one line a failed pivot gives, whichever factorisation met it. */
export function notPositiveDefinite(what: string, lambda: number, m: number, i: number, pivot: number): UserError {
  return new UserError(
    `${what} + λI (λ = ${lambda}, ${m}×${m}) is not positive definite in float64: pivot ${i} is ${pivot.toPrecision(3)} ` +
      `(${what} is singular or not a Gram matrix, or holds NaN); a larger λ or more examples make it solvable`,
  );
}

/** Σ_{t<len} a[x+t]·a[y+t], four partial sums. */
function dot(a: Float64Array, x: number, y: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < len; t += 4) {
    s0 += a[x + t] * a[y + t];
    s1 += a[x + t + 1] * a[y + t + 1];
    s2 += a[x + t + 2] * a[y + t + 2];
    s3 += a[x + t + 3] * a[y + t + 3];
  }
  for (; t < len; t++) s0 += a[x + t] * a[y + t];
  return s0 + s1 + s2 + s3;
}

/** X [m, c] with L Lᵀ X = B for B [m, c], L from choleskyInPlace (strictly lower in `a`, diagonal `d`). */
export function choleskySolve(a: Float64Array, d: Float64Array, b: ArrayLike<number>, m: number, c: number): Float64Array {
  const x = Float64Array.from(b as ArrayLike<number>); // [m, c]
  // L Y = B, rows of L read contiguously.
  for (let i = 0; i < m; i++) {
    const ri = i * m;
    const xi = i * c;
    for (let k = 0; k < i; k++) {
      const l = a[ri + k];
      if (l === 0) continue;
      const xk = k * c;
      for (let t = 0; t < c; t++) x[xi + t] -= l * x[xk + t];
    }
    for (let t = 0; t < c; t++) x[xi + t] /= d[i];
  }
  // Lᵀ X = Y: row i of X is final once every later row has been subtracted from it.
  for (let i = m - 1; i >= 0; i--) {
    const ri = i * m;
    const xi = i * c;
    for (let t = 0; t < c; t++) x[xi + t] /= d[i];
    for (let k = 0; k < i; k++) {
      const l = a[ri + k];
      if (l === 0) continue;
      const xk = k * c;
      for (let t = 0; t < c; t++) x[xk + t] -= l * x[xi + t];
    }
  }
  return x;
}

/**
 * A float64 Cholesky: `factor` as choleskyInPlace (L below A's diagonal, its diagonal returned),
 * `solve` as choleskySolve. The host's is below; the engine's is in cholesky-blocked.ts.
 */
export interface Cholesky {
  factor(a: Float64Array, m: number, lambda: number, what: string): Promise<Float64Array>;
  solve(a: Float64Array, d: Float64Array, b: ArrayLike<number>, m: number, c: number): Promise<Float64Array>;
}

export const hostCholesky: Cholesky = {
  factor: async (a, m, lambda, what) => choleskyInPlace(a, m, lambda, what),
  solve: async (a, d, b, m, c) => choleskySolve(a, d, b, m, c),
};

/**
 * (A + λI)⁻¹ B [m, c] in float64 by `chol` (the host's or the engine's), reading only A's upper
 * triangle and leaving it as it was (its strictly lower triangle is scratch).
 */
export async function solveShifted(chol: Cholesky, a: Float64Array, m: number, lambda: number, b: ArrayLike<number>, c: number, what = 'A'): Promise<Float64Array> {
  if (a.length !== m * m) throw new RangeError(`solve: ${what} has ${a.length} values, not ${m}×${m}`);
  if (b.length !== m * c) throw new RangeError(`solve: the right-hand side has ${b.length} values, not ${m}×${c}`);
  const d = await chol.factor(a, m, lambda, what);
  return chol.solve(a, d, b, m, c);
}
