// Backbone checkpoints on disk: strict loading (the rules are in layout.ts) and the inverse (saving a
// backbone we trained in the same layout).
import { NpzReader, writeNpz } from '../io/npz.ts';
import { toFloat32 } from '../io/npy.ts';
import { checkViT, type LoadedViT, type Params } from './layout.ts';
import type { ViTConfig } from './variants.ts';

export { expectedShapes, checkViT, viTFromArrays, type LoadedViT, type ParamArray, type Params } from './layout.ts';

/**
 * Loads a backbone strictly (checkViT). Entries are read one at a time, so the file is never held in
 * memory twice.
 */
export function loadViT(file: string, expect?: ViTConfig): LoadedViT {
  const npz = NpzReader.open(file);
  try {
    const shapes = new Map<string, number[]>();
    for (const k of npz.keys()) shapes.set(k, npz.info(k).shape);
    const { config, numPatches, want, entryOf } = checkViT(shapes, file, expect);
    const params: Params = new Map();
    for (const [k, shape] of want) {
      const entry = entryOf.get(k)!;
      params.set(k, { shape, data: toFloat32(npz.read(entry), `'${file}' entry '${entry}'`) });
    }
    return { config, numPatches, params };
  } finally {
    npz.close();
  }
}
/** Writes a backbone in the official layout (what `loadViT` reads). */
export function saveViT(file: string, params: Params, extra: Params = new Map()): void {
  const arrays = new Map<string, { dtype: 'float32'; shape: number[]; data: Float32Array }>();
  for (const [k, v] of [...params, ...extra]) arrays.set(k, { dtype: 'float32', shape: v.shape, data: v.data });
  writeNpz(file, arrays);
}
