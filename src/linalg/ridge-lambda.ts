// The official ridge-λ choice (RanPAC's `optimise_ridge_parameter`): on the current task's features
// H [n, M] in the order they came, fit on the first int(0.8·n) rows, score the rest by the mean
// squared error of the one-hot targets over all C classes, for λ = 10^-8 … 10^8, and take the first
// minimum (np.argmin). The official solves 17 M×M systems; when the fit rows are fewer than M the
// same predictions come from the kernel form H_val H_fitᵀ (H_fit H_fitᵀ + λI)⁻¹ Y_fit, since
// (HᵀH + λI)⁻¹Hᵀ = Hᵀ(HHᵀ + λI)⁻¹: systems of the smaller size, in float64. Up to REDUCTION_MAX all 17
// come from one reduction of that matrix to tridiagonal form (tridiagonal.ts); above, from one
// Cholesky factorisation each (RidgeSolver).
import { UserError } from '../errors.ts';
import { checkFeatures, checkLabels } from './gram.ts';
import { solveShifted } from './cholesky.ts';
import type { Products } from './products.ts';
import { applyQRight, applyQt, solveTridiagonalShifted, tridiagonalize } from './tridiagonal.ts';

/** 10^-8 … 10^8, each the double nearest the power of ten (as NumPy's 10.0 ** k gives). */
export const RIDGE_GRID: readonly number[] = Array.from({ length: 17 }, (_, k) => Number(`1e${k - 8}`));

export interface RidgeChoice {
  /** The chosen λ: RIDGE_GRID[index]. */
  lambda: number;
  index: number;
  /** The 17 validation losses, in RIDGE_GRID's order; +∞ where the system was not solvable. */
  losses: number[];
  /** 'primal': M×M systems (fit rows ≥ M); 'dual': (fit rows)×(fit rows) systems. */
  form: 'primal' | 'dual';
  /** 'lower' or 'upper' when the chosen λ is the grid's first or last value. */
  edge: 'lower' | 'upper' | null;
  /** One line for the log: the grid's edge, or the λ values whose systems were not positive definite. */
  notice: string | null;
}

/** Row-major one-hot [n, C] of labels[from … from+n). */
function oneHot(labels: ArrayLike<number>, from: number, n: number, C: number): Float32Array {
  const y = new Float32Array(n * C);
  for (let r = 0; r < n; r++) y[r * C + labels[from + r]] = 1;
  return y;
}

/** a [n, k] @ b [k, c] in float64. */
function hostMatmul(a: ArrayLike<number>, b: Float64Array, n: number, k: number, c: number): Float64Array {
  const out = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const v = a[i * k + t];
      if (v === 0) continue;
      for (let j = 0; j < c; j++) out[i * c + j] += v * b[t * c + j];
    }
  }
  return out;
}

/**
 * How the 17 systems are solved: 'reduction', one tridiagonal reduction (plain TypeScript, one
 * thread) serving every λ; 'factorisations', one Cholesky factorisation per λ (blocked, its updates
 * on ONNX Runtime's float64 Gemm). Unset: the reduction up to systems of REDUCTION_MAX, where it
 * measured faster on this project's 2-core machine (docs/benchmarks.md), the factorisations above.
 */
export type RidgeSolver = 'reduction' | 'factorisations';
export const REDUCTION_MAX = 1024;

/** (S + λI)⁻¹ rhs by one factorisation, or null where S + λI is not positive definite. */
async function factorised(products: Products, s: Float64Array, size: number, lambda: number, rhs: ArrayLike<number>, C: number): Promise<Float64Array | null> {
  try {
    return await solveShifted(products.cholesky, s, size, lambda, rhs, C, "the fit rows' Gram matrix");
  } catch (e) {
    if (e instanceof UserError) return null;
    throw e;
  }
}

/**
 * The classes of the task whose examples all fall on one side of the 80/20 split (a class with one
 * example always does): the official scores them as they fall (a class only scored has a zero
 * column in the fit, one only fitted adds nothing to the score), and so do we; said in one line.
 */
function splitNotice(labels: ArrayLike<number>, nFit: number, n: number, C: number): string | null {
  const fit = new Int32Array(C);
  const val = new Int32Array(C);
  for (let r = 0; r < n; r++) (r < nFit ? fit : val)[labels[r]]++;
  const onlyFit: string[] = [];
  const onlyVal: string[] = [];
  for (let c = 0; c < C; c++) {
    if (fit[c] > 0 && val[c] === 0) onlyFit.push(`${c} (${fit[c]})`);
    if (val[c] > 0 && fit[c] === 0) onlyVal.push(`${c} (${val[c]})`);
  }
  if (!onlyFit.length && !onlyVal.length) return null;
  const parts = [onlyVal.length ? `class ${onlyVal.join(', ')} only in the scored 20 %` : '', onlyFit.length ? `class ${onlyFit.join(', ')} only in the fitted 80 %` : ''].filter(Boolean);
  return `the λ choice's split has ${parts.join(' and ')} (examples in parentheses); λ is chosen as the official chooses it`;
}

/**
 * The official λ choice on one task's features h [n, M] (after projection and ReLU) and labels [n]
 * in 0…C−1. A value that is not finite throws a UserError. A task of one example, or a class whose
 * examples fall on one side of the split, is chosen for as the official does, with a notice.
 */
export async function chooseRidge(h: Float32Array, labels: ArrayLike<number>, M: number, C: number, products: Products, solver?: RidgeSolver): Promise<RidgeChoice> {
  const n = checkFeatures(h, M, 'of the task');
  checkLabels(labels, n, C, 'of the task');
  const nFit = Math.trunc(n * 0.8);
  const nVal = n - nFit;
  if (nFit === 0) {
    // One example: the official fits on no row (G_val = 0, so Wo = 0 for every λ), each λ scores
    // the mean of Y² = 1/C, and np.argmin takes the first.
    const losses = RIDGE_GRID.map(() => 1 / C);
    return { lambda: RIDGE_GRID[0], index: 0, losses, form: 'dual', edge: 'lower', notice: `the task has 1 example: the λ choice has no row to fit (int(0.8 · 1) = 0), every λ scores 1/C, and the first, ${RIDGE_GRID[0]}, is taken, as the official` };
  }
  const split = splitNotice(labels, nFit, n, C);
  const hFit = h.subarray(0, nFit * M); // [nFit, M]
  const hVal = h.subarray(nFit * M); // [nVal, M]
  const yFit = oneHot(labels, 0, nFit, C); // [nFit, C]
  const yVal = oneHot(labels, nFit, nVal, C); // [nVal, C]
  const form = nFit >= M ? 'primal' : 'dual';
  // primal: S = H_fitᵀH_fit [M, M], rhs = H_fitᵀY_fit [M, C], scored through P = H_val [nVal, M].
  // dual:   S = H_fitH_fitᵀ [nFit, nFit], rhs = Y_fit, scored through P = H_val H_fitᵀ [nVal, nFit].
  const s = form === 'primal' ? Float64Array.from(await products.tn(hFit, hFit, nFit, M, M)) : Float64Array.from(await products.nt(hFit, hFit, nFit, nFit, M));
  const rhs = form === 'primal' ? await products.tn(hFit, yFit, nFit, M, C) : yFit;
  const p = form === 'primal' ? hVal : await products.nt(hVal, hFit, nVal, nFit, M);
  const size = form === 'primal' ? M : nFit;
  const losses: number[] = [];
  const unsolvable: number[] = [];
  const reduce = (solver ?? (size <= REDUCTION_MAX ? 'reduction' : 'factorisations')) === 'reduction';
  // One reduction S = Q T Qᵀ serves all 17 λ: pred(λ) = (P Q) (T + λI)⁻¹ (Qᵀ rhs).
  const tri = reduce ? tridiagonalize(s, size) : null;
  const qtRhs = tri ? applyQt(tri, rhs, C) : null; // [size, C]
  const pq = tri ? applyQRight(tri, p, nVal) : p; // [nVal, size]
  for (const lambda of RIDGE_GRID) {
    const x = tri ? solveTridiagonalShifted(tri, lambda, qtRhs!, C) : await factorised(products, s, size, lambda, rhs, C); // [size, C] (in Q's basis when reduced)
    if (!x) {
      losses.push(Infinity);
      unsolvable.push(lambda);
      continue;
    }
    const pred = hostMatmul(pq, x, nVal, size, C); // [nVal, C]
    let sq = 0;
    for (let k = 0; k < pred.length; k++) sq += (pred[k] - yVal[k]) ** 2;
    losses.push(sq / (nVal * C));
  }
  let index = 0;
  for (let k = 1; k < losses.length; k++) if (losses[k] < losses[index]) index = k;
  if (!Number.isFinite(losses[index])) {
    throw new UserError(`the ridge-λ choice found no λ in 1e-8…1e8 for which the fit rows' Gram matrix + λI is positive definite (features of ${n} examples)`);
  }
  const lambda = RIDGE_GRID[index];
  const edge = index === 0 ? 'lower' : index === RIDGE_GRID.length - 1 ? 'upper' : null;
  const notes: string[] = split ? [split] : [];
  if (edge) notes.push(`ridge λ = ${lambda} is the grid's ${edge} edge (1e-8…1e8): a ${edge === 'lower' ? 'smaller' : 'larger'} λ might score better`);
  if (unsolvable.length) notes.push(`λ = ${unsolvable.join(', ')} left the system not positive definite in float64 (scored +∞)`);
  return { lambda, index, losses, form, edge, notice: notes.length ? notes.join('; ') : null };
}
