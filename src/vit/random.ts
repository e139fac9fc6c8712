// Random backbones in the official layout, for benchmarks and tests (no pretrained weights exist here).
import { mulberry32 } from '../random.ts';
import { expectedShapes, type Params } from './layout.ts';
import type { ViTConfig } from './variants.ts';

/** LayerNorm scales near 1, biases near 0, kernels uniform with fan-in scaling (LeCun-like). */
export function randomViT(cfg: ViTConfig, numPatches: number, seed = 0): Params {
  const r = mulberry32(seed);
  const params: Params = new Map();
  for (const [key, shape] of expectedShapes(cfg, numPatches)) {
    const n = shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(n);
    const leaf = key.slice(key.lastIndexOf('/') + 1);
    if (leaf === 'scale') data.fill(1);
    else if (leaf === 'bias') for (let i = 0; i < n; i++) data[i] = 0.02 * (r() - 0.5);
    else {
      const fanIn = leaf === 'kernel' ? (key.includes('/out/') ? cfg.hidden : shape.slice(0, key.startsWith('embedding') ? 3 : 1).reduce((p, d) => p * d, 1)) : cfg.hidden;
      const a = Math.sqrt(3 / fanIn);
      for (let i = 0; i < n; i++) data[i] = a * (2 * r() - 1);
    }
    params.set(key, { shape, data });
  }
  return params;
}
