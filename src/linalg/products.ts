// The heavy arithmetic of the ridge machinery behind one interface, so the same code runs on the
// engine (float32 products summed into float64 by the caller, float64 Cholesky updates) or on the
// host in float64 (the reference the engine is checked against, and small problems where a session
// costs more).
import { hostCholesky, type Cholesky } from './cholesky.ts';

/** Row-major float32 matrices in; products out in float64 (host) or float32 (engine, read back as is). */
export interface Products {
  /** aᵀb [p, q] for a [n, p] and b [n, q]: the Gram-type product, contracting the rows. */
  tn(a: Float32Array, b: Float32Array, n: number, p: number, q: number): Promise<Float32Array | Float64Array>;
  /** a bᵀ [n, p] for a [n, k] and b [p, k]: the kernel-type product, contracting the columns. */
  nt(a: Float32Array, b: Float32Array, n: number, p: number, k: number): Promise<Float32Array | Float64Array>;
  /** The float64 Cholesky of A + λI and its solves (cholesky.ts). */
  cholesky: Cholesky;
  /** Releases what the products hold (sessions). */
  dispose(): Promise<void>;
}

/** Products computed on the host with float64 accumulation. */
export const hostProducts: Products = {
  async tn(a, b, n, p, q) {
    const out = new Float64Array(p * q); // [p, q]
    for (let r = 0; r < n; r++) {
      const ar = r * p;
      const br = r * q;
      for (let i = 0; i < p; i++) {
        const v = a[ar + i];
        if (v === 0) continue;
        const o = i * q;
        for (let j = 0; j < q; j++) out[o + j] += v * b[br + j];
      }
    }
    return out;
  },
  async nt(a, b, n, p, k) {
    const out = new Float64Array(n * p); // [n, p]
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t];
        out[i * p + j] = s;
      }
    }
    return out;
  },
  cholesky: hostCholesky,
  async dispose() {},
};
