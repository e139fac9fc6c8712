// One factorisation for every λ of the ridge choice: a symmetric S [n, n] (positive semi-definite)
// is reduced by Householder reflections to S = Q T Qᵀ, T tridiagonal, Q orthogonal (the first half of
// a symmetric eigendecomposition; Golub & Van Loan, Matrix Computations, §8.3.1). Then
// (S + λI)⁻¹ = Q (T + λI)⁻¹ Qᵀ, and for each λ only the tridiagonal system (T + λI) Y = Qᵀ R is new:
// O(n·c) per λ after one O(n³) reduction, instead of one Cholesky factorisation per λ. All in float64.

/** S = Q T Qᵀ: T's diagonal and sub-diagonal, and the reflectors H_k = I − β_k v_k v_kᵀ whose product is Q. */
export interface Tridiagonal {
  n: number;
  /** T's diagonal [n]. */
  d: Float64Array;
  /** T's sub-diagonal [n − 1]: T[k + 1, k] = e[k]. */
  e: Float64Array;
  /** Reflector k acts on indices k+1 … n−1: v_k is vs[k] (length n − k − 1), β_k is betas[k]. */
  vs: Float64Array[];
  betas: Float64Array;
}

/**
 * Reduces s [n, n] (row-major, symmetric; only its lower triangle is read, and it is overwritten) to
 * tridiagonal form. Q = H_0 H_1 … H_{n−3}, each H_k = I − β v vᵀ chosen so that it zeroes column k
 * below the sub-diagonal. Each step's symmetric product and rank-2 update touch the lower triangle
 * only: one pass over half the trailing block each.
 */
export function tridiagonalize(s: Float64Array, n: number): Tridiagonal {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const vs: Float64Array[] = [];
  const betas = new Float64Array(Math.max(n - 2, 0));
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const m = n - k - 1;
    const o = k + 1; // the trailing block's first index
    d[k] = s[k * n + k];
    const v = new Float64Array(m); // x = S[k+1…, k]
    let norm = 0;
    for (let i = 0; i < m; i++) {
      v[i] = s[(o + i) * n + k];
      norm += v[i] * v[i];
    }
    norm = Math.sqrt(norm);
    if (norm === 0) {
      e[k] = 0;
      vs.push(v);
      continue;
    }
    // α = −sign(x₀)‖x‖, v = x − α e₁, β = 2 / vᵀv: H x = α e₁ without cancellation.
    const alpha = v[0] >= 0 ? -norm : norm;
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < m; i++) vv += v[i] * v[i];
    const beta = 2 / vv;
    e[k] = alpha;
    // p = β A v over the trailing block A = S[o…, o…] [m, m], from its lower triangle: each
    // off-diagonal entry serves its row and its column.
    p.fill(0, 0, m);
    for (let i = 0; i < m; i++) {
      const row = (o + i) * n + o;
      const vi = v[i];
      let acc = s[row + i] * vi;
      for (let j = 0; j < i; j++) {
        const a = s[row + j];
        acc += a * v[j];
        p[j] += a * vi;
      }
      p[i] += acc;
    }
    // w = p − (β pᵀv / 2) v with p scaled by β; A ← A − v wᵀ − w vᵀ on the lower triangle.
    let pv = 0;
    for (let i = 0; i < m; i++) {
      p[i] *= beta;
      pv += p[i] * v[i];
    }
    const half = (beta * pv) / 2;
    for (let i = 0; i < m; i++) p[i] -= half * v[i];
    for (let i = 0; i < m; i++) {
      const row = (o + i) * n + o;
      const vi = v[i];
      const wi = p[i];
      for (let j = 0; j <= i; j++) s[row + j] -= vi * p[j] + wi * v[j];
    }
    vs.push(v);
    betas[k] = beta;
  }
  if (n >= 2) {
    d[n - 2] = s[(n - 2) * n + n - 2];
    e[n - 2] = s[(n - 1) * n + n - 2];
  }
  if (n >= 1) d[n - 1] = s[(n - 1) * n + n - 1];
  return { n, d, e, vs, betas };
}

/** Qᵀ r for r [n, c] (row-major; returns a new array): H_{n−3} … H_0 r. */
export function applyQt(t: Tridiagonal, r: ArrayLike<number>, c: number): Float64Array {
  const { n, vs, betas } = t;
  const out = Float64Array.from(r); // [n, c]
  const u = new Float64Array(c);
  vs.forEach((v, k) => {
    const beta = betas[k];
    if (beta === 0) return;
    const o = k + 1;
    u.fill(0);
    for (let i = 0; i < n - o; i++) for (let j = 0; j < c; j++) u[j] += v[i] * out[(o + i) * c + j];
    for (let i = 0; i < n - o; i++) {
      const f = beta * v[i];
      for (let j = 0; j < c; j++) out[(o + i) * c + j] -= f * u[j];
    }
  });
  return out;
}

/** p Q for p [rows, n] (row-major; returns a new array): p H_0 H_1 … H_{n−3}. */
export function applyQRight(t: Tridiagonal, p: ArrayLike<number>, rows: number): Float64Array {
  const { n, vs, betas } = t;
  const out = Float64Array.from(p); // [rows, n]
  vs.forEach((v, k) => {
    const beta = betas[k];
    if (beta === 0) return;
    const o = k + 1;
    for (let r = 0; r < rows; r++) {
      const at = r * n + o;
      let dot = 0;
      for (let i = 0; i < n - o; i++) dot += out[at + i] * v[i];
      const f = beta * dot;
      for (let i = 0; i < n - o; i++) out[at + i] -= f * v[i];
    }
  });
  return out;
}

/**
 * Y = (T + λI)⁻¹ b for b [n, c] by T + λI = L D Lᵀ (L unit lower bidiagonal), or null when a pivot
 * of D is not positive (T + λI not positive definite in float64).
 */
export function solveTridiagonalShifted(t: Tridiagonal, lambda: number, b: Float64Array, c: number): Float64Array | null {
  const { n, d, e } = t;
  const piv = new Float64Array(n);
  const l = new Float64Array(Math.max(n - 1, 0));
  for (let i = 0; i < n; i++) {
    piv[i] = d[i] + lambda - (i > 0 ? l[i - 1] * e[i - 1] : 0);
    if (!(piv[i] > 0)) return null;
    if (i < n - 1) l[i] = e[i] / piv[i];
  }
  const y = Float64Array.from(b); // [n, c]
  for (let i = 1; i < n; i++) for (let j = 0; j < c; j++) y[i * c + j] -= l[i - 1] * y[(i - 1) * c + j];
  for (let j = 0; j < c; j++) y[(n - 1) * c + j] /= piv[n - 1];
  for (let i = n - 2; i >= 0; i--) for (let j = 0; j < c; j++) y[i * c + j] = y[i * c + j] / piv[i] - l[i] * y[(i + 1) * c + j];
  return y;
}
