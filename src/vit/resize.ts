// Position embeddings at another resolution, as the official loader (libml/utils_vit.py,
// load_pretrained) makes them: the class token's embedding kept, the grid of patch embeddings
// resized by scipy.ndimage.zoom with order 1 (linear, the grid's corners on the corners).
import { UserError } from '../errors.ts';
import type { ParamArray } from './params.ts';

/**
 * Linear resampling of a [n, n, D] grid to [m, m, D] along both grid axes, as scipy.ndimage.zoom
 * (order 1, grid_mode false): output index o samples input coordinate o · (n − 1) / (m − 1), and 0
 * when m is 1. Arithmetic in float64, as scipy's.
 */
export function zoomGrid(grid: Float32Array, n: number, m: number, d: number): Float32Array {
  const coord = (o: number) => (m > 1 ? (o * (n - 1)) / (m - 1) : 0);
  const taps = Array.from({ length: m }, (_, o) => {
    const x = coord(o);
    const i0 = Math.min(Math.floor(x), n - 1);
    const i1 = Math.min(i0 + 1, n - 1);
    return { i0, i1, w: x - i0 };
  });
  const out = new Float32Array(m * m * d);
  for (let r = 0; r < m; r++) {
    const a = taps[r];
    for (let c = 0; c < m; c++) {
      const b = taps[c];
      const at = (i: number, j: number, k: number) => grid[(i * n + j) * d + k];
      for (let k = 0; k < d; k++) {
        const top = (1 - b.w) * at(a.i0, b.i0, k) + b.w * at(a.i0, b.i1, k);
        const bottom = (1 - b.w) * at(a.i1, b.i0, k) + b.w * at(a.i1, b.i1, k);
        out[(r * m + c) * d + k] = (1 - a.w) * top + a.w * bottom;
      }
    }
  }
  return out;
}

/**
 * The position embedding [1, 1 + n², D] of a checkpoint resized for `numPatches` = m² patch tokens.
 * Only square grids resize; anything else is refused, naming the file and the shapes.
 */
export function resizePosEmbedding(pos: ParamArray, numPatches: number, file: string): ParamArray {
  const [, tokens, d] = pos.shape;
  const n = Math.round(Math.sqrt(tokens - 1));
  const m = Math.round(Math.sqrt(numPatches));
  if (n * n !== tokens - 1 || m * m !== numPatches) {
    throw new UserError(`'${file}': its position embedding [${pos.shape.join(', ')}] cannot be resized to ${numPatches} patches: only a square grid of patches is resized (class token first)`);
  }
  const data = new Float32Array((1 + numPatches) * d);
  data.set(pos.data.subarray(0, d)); // the class token's embedding, kept
  data.set(zoomGrid(pos.data.subarray(d), n, m, d), d);
  return { shape: [1, 1 + numPatches, d], data };
}
