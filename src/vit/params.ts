// Backbone checkpoints on disk: strict loading (the rules are in layout.ts for the official layout,
// in foreign.ts for timm's and transformers' names) and the inverse (saving a backbone we trained in
// the official layout). The format is told by the file's bytes (io/checkpoint-format.ts).
import { UserError, where } from '../errors.ts';
import { checkpointFormat, FORMAT_NAMES, type CheckpointFormat } from '../io/checkpoint-format.ts';
import { NpzReader, writeNpz } from '../io/npz.ts';
import { toFloat32 } from '../io/npy.ts';
import { SafetensorsFile } from '../io/safetensors.ts';
import type { TensorArchive } from '../io/tensor-archive.ts';
import { TorchZipFile } from '../io/torch-zip.ts';
import { findBackbone, foreignViT } from './foreign.ts';
import { checkViT, type LoadedViT, type Params } from './layout.ts';
import type { ViTConfig } from './variants.ts';

export { expectedShapes, checkViT, viTFromArrays, type BackboneFamily, type LoadedViT, type ParamArray, type Params } from './layout.ts';

export interface LoadOptions {
  /** The head count, where the file's shapes cannot tell it (timm, transformers); default: `expect`'s, else width / 64. An npz must hold this many. */
  heads?: number;
}

/**
 * Loads a backbone strictly from an npz (official layout), a PyTorch zip or a safetensors file
 * (timm or transformers names). `expect` (model_name's variant) must match the stored sizes.
 * Tensors are read one at a time, so the file is never held in memory twice.
 */
export function loadViT(file: string, expect?: ViTConfig, opts: LoadOptions = {}): LoadedViT & { format: CheckpointFormat } {
  const format = checkpointFormat(file);
  if (format === 'npz') {
    const vit = loadOfficial(file, expect);
    if (opts.heads !== undefined && opts.heads !== vit.config.heads) {
      throw new UserError(`${where(file)} holds ${vit.config.heads} heads (its attention kernels say so), not the ${opts.heads} asked for`);
    }
    return { ...vit, family: 'official', format };
  }
  const archive: TensorArchive = format === 'torch' ? TorchZipFile.open(file) : SafetensorsFile.open(file);
  try {
    const found = findBackbone(archive);
    if (!found) {
      const names = [...archive.tensors.keys()];
      const shown = names.slice(0, 3).map((k) => `'${k}'`).join(', ') + (names.length > 3 ? ', ...' : '');
      throw new UserError(`${where(file)} (${FORMAT_NAMES[format]}, ${names.length} tensors: ${shown}) holds no timm VisionTransformer ('patch_embed.proj.weight') or transformers ViTModel ('embeddings.patch_embeddings.projection.weight')`);
    }
    return { ...foreignViT(archive, found, expect, opts.heads), format };
  } finally {
    archive.close();
  }
}

function loadOfficial(file: string, expect?: ViTConfig): LoadedViT {
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

/** One line on what was loaded, printed by the commands that load a backbone. */
export function describeBackbone(file: string, vit: LoadedViT & { format: CheckpointFormat }): string {
  const { hidden, depth, heads, mlp, patch } = vit.config;
  const side = Math.sqrt(vit.numPatches);
  const grid = Number.isInteger(side) ? `${side}×${side}` : `${vit.numPatches}-patch`;
  const family = { official: 'official JAX layout', timm: 'timm VisionTransformer', transformers: 'transformers ViTModel' }[vit.family ?? 'official'];
  const act = vit.config.gelu === 'erf' ? 'exact (erf) GELU' : 'tanh GELU';
  return `backbone '${file}': ${family} (${FORMAT_NAMES[vit.format]}), width ${hidden}, depth ${depth}, ${heads} heads, MLP ${mlp}, patch ${patch}, ${grid} grid; trained with the ${act}`;
}

/** Writes a backbone in the official layout (what `loadViT` reads). */
export function saveViT(file: string, params: Params, extra: Params = new Map()): void {
  const arrays = new Map<string, { dtype: 'float32'; shape: number[]; data: Float32Array }>();
  for (const [k, v] of [...params, ...extra]) arrays.set(k, { dtype: 'float32', shape: v.shape, data: v.data });
  writeNpz(file, arrays);
}
