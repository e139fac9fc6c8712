// The same Cholesky as cholesky.ts, blocked, with every product that is not inside a block run as
// a float64 Gemm on ONNX Runtime: float64 throughout, so no refinement step is needed. Same storage
// as choleskyInPlace: A's upper triangle read and kept, L below the diagonal, L's diagonal returned.
//   factor (left-looking): A[J:, J:J+b] −= L[J:, :J] L[J:J+b, :J]ᵀ per block column J, the diagonal
//     block by substitution on the host, the panel below it times the block's inverse (a Gemm);
//   solve: L Y = B by block rows (Y[I] −= L[I, :I] Y[:I]), then Lᵀ X = Y (X[I] −= L[I+b:, I]ᵀ X[I+b:]).
import { openGemm64, type Gemm64, type RuntimeOptions } from '../runtime/ort.ts';
import { notPositiveDefinite, type Cholesky } from './cholesky.ts';

/** The engine's Cholesky with blocks of `block`; dispose() closes its Gemm sessions. */
export function engineCholesky(opts: RuntimeOptions = {}, block = 256): Cholesky & { dispose: () => Promise<void> } {
  const sessions = new Map<string, Promise<Gemm64>>();
  const gemm = (n: number, ta: boolean, tb: boolean) => {
    const key = `${n} ${ta} ${tb}`;
    let s = sessions.get(key);
    if (!s) sessions.set(key, (s = openGemm64(n, { a: ta, b: tb }, opts)));
    return s;
  };

  async function factor(a: Float64Array, m: number, lambda: number, what: string): Promise<Float64Array> {
    const d = new Float64Array(m); // L's diagonal
    for (let i = 0; i < m; i++) {
      d[i] = a[i * m + i] + lambda;
      for (let j = 0; j < i; j++) a[i * m + j] = a[j * m + i];
    }
    for (let J = 0; J < m; J += block) {
      const nb = Math.min(block, m - J);
      const rows = m - J;
      // Block column J of A + λI, the diagonal block's lower triangle: [rows, nb].
      let y: Float64Array = new Float64Array(rows * nb);
      for (let r = 0; r < rows; r++) {
        const i = J + r;
        for (let c = 0; c < nb && J + c <= i; c++) y[r * nb + c] = J + c === i ? d[i] : a[i * m + J + c];
      }
      if (J > 0) {
        const p = new Float64Array(rows * J); // L[J:, :J]; its first nb rows are L[J:J+nb, :J]
        for (let r = 0; r < rows; r++) p.set(a.subarray((J + r) * m, (J + r) * m + J), r * J);
        y = await (await gemm(nb, false, true)).run(p, p.subarray(0, nb * J), y, rows, J);
      }
      for (let c = 0; c < nb; c++) {
        for (let t = 0; t < c; t++) y[c * nb + t] = (y[c * nb + t] - dot(y, c * nb, t * nb, t)) / y[t * nb + t];
        const pivot = y[c * nb + c] - dot(y, c * nb, c * nb, c);
        if (!(pivot > 0)) throw notPositiveDefinite(what, lambda, m, J + c, pivot);
        y[c * nb + c] = Math.sqrt(pivot);
      }
      if (rows > nb) {
        // The panel below: L[J+nb:, J:J+nb] = Y_below L_JJ⁻ᵀ, one Gemm with the block's inverse.
        const below = y.subarray(nb * nb);
        const solved = await (await gemm(nb, false, true)).run(below, negInverse(y, nb), new Float64Array(below.length), rows - nb, nb);
        below.set(solved);
      }
      for (let r = 0; r < rows; r++) {
        const i = J + r;
        for (let c = 0; c < nb && J + c <= i; c++) {
          if (J + c === i) d[i] = y[r * nb + c];
          else a[i * m + J + c] = y[r * nb + c];
        }
      }
    }
    return d;
  }

  async function solve(a: Float64Array, d: Float64Array, b: ArrayLike<number>, m: number, c: number): Promise<Float64Array> {
    const x = Float64Array.from(b as ArrayLike<number>); // [m, c]
    for (let I = 0; I < m; I += block) {
      const nb = Math.min(block, m - I);
      if (I > 0) {
        const l = new Float64Array(nb * I); // L[I:I+nb, :I]
        for (let r = 0; r < nb; r++) l.set(a.subarray((I + r) * m, (I + r) * m + I), r * I);
        x.set(await (await gemm(c, false, false)).run(l, x.subarray(0, I * c), x.subarray(I * c, (I + nb) * c), nb, I), I * c);
      }
      for (let i = I; i < I + nb; i++) {
        for (let k = I; k < i; k++) {
          const v = a[i * m + k];
          for (let t = 0; t < c; t++) x[i * c + t] -= v * x[k * c + t];
        }
        for (let t = 0; t < c; t++) x[i * c + t] /= d[i];
      }
    }
    const last = Math.floor((m - 1) / block) * block;
    for (let I = last; I >= 0; I -= block) {
      const nb = Math.min(block, m - I);
      const R = I + nb;
      if (R < m) {
        const l = new Float64Array((m - R) * nb); // L[R:, I:I+nb], read transposed
        for (let r = 0; r < m - R; r++) l.set(a.subarray((R + r) * m + I, (R + r) * m + R), r * nb);
        x.set(await (await gemm(c, true, false)).run(l, x.subarray(R * c), x.subarray(I * c, R * c), nb, m - R), I * c);
      }
      for (let i = R - 1; i >= I; i--) {
        for (let t = 0; t < c; t++) x[i * c + t] /= d[i];
        for (let k = I; k < i; k++) {
          const v = a[i * m + k];
          for (let t = 0; t < c; t++) x[k * c + t] -= v * x[i * c + t];
        }
      }
    }
    return x;
  }

  const dispose = async () => {
    const all = [...sessions.values()];
    sessions.clear();
    for (const s of all) await (await s).dispose();
  };
  return { factor, solve, dispose };
}

/** −L⁻¹ [nb, nb] for the lower-triangular L held in the first nb rows of y ([·, nb]), by substitution. */
function negInverse(y: Float64Array, nb: number): Float64Array {
  const inv = new Float64Array(nb * nb); // lower triangular
  for (let j = 0; j < nb; j++) {
    inv[j * nb + j] = 1 / y[j * nb + j];
    for (let i = j + 1; i < nb; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += y[i * nb + k] * inv[k * nb + j];
      inv[i * nb + j] = -s / y[i * nb + i];
    }
  }
  for (let k = 0; k < inv.length; k++) inv[k] = -inv[k];
  return inv;
}

function dot(a: Float64Array, x: number, y: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let t = 0;
  for (; t + 1 < len; t += 2) {
    s0 += a[x + t] * a[y + t];
    s1 += a[x + t + 1] * a[y + t + 1];
  }
  if (t < len) s0 += a[x + t] * a[y + t];
  return s0 + s1;
}
