// The page's float64 Gemm, for RanPAC's blocked Cholesky (src/linalg/cholesky-blocked.ts reaches it
// through the runtime module, which the page's bundle serves from runtime.ts).
/** y = c − op(a) op(b) in float64, op(a) [m, k], op(b) [k, n], c [m, n]: src/runtime/ort.ts's Gemm64. */
export interface Gemm64 {
  run(a: Float64Array, b: Float64Array, c: Float64Array, m: number, k: number): Promise<Float64Array>;
  dispose(): Promise<void>;
}

/**
 * In plain JavaScript: WASM's ONNX Runtime has no float64 Gemm kernel, and at the page's sizes (M of a
 * thousand or so) a loop in doubles takes well under a second (docs/web.md, "Closed form").
 */
export async function openGemm64(n: number, trans: { a: boolean; b: boolean }): Promise<Gemm64> {
  return {
    async run(a, b, c, m, k) {
      const y = Float64Array.from(c); // [m, n]
      // op(b) as rows [k, n], so that each row of y is updated from contiguous rows.
      let ob = b;
      if (trans.b) {
        ob = new Float64Array(k * n);
        for (let j = 0; j < n; j++) for (let t = 0; t < k; t++) ob[t * n + j] = b[j * k + t];
      }
      for (let i = 0; i < m; i++) {
        const row = i * n;
        for (let t = 0; t < k; t++) {
          const v = trans.a ? a[t * m + i] : a[i * k + t];
          if (v === 0) continue;
          const at = t * n;
          for (let j = 0; j < n; j++) y[row + j] -= v * ob[at + j];
        }
      }
      return y;
    },
    async dispose() {},
  };
}
