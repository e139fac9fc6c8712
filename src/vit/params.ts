// The ViT's parameters in the official checkpoint layout (ViT-B_16.npz): expected keys and shapes,
// strict loading, and the inverse (saving a backbone we trained in the same layout).
import { UserError } from '../errors.ts';
import { NpzReader, writeNpz } from '../io/npz.ts';
import { toFloat32 } from '../io/npy.ts';
import type { ViTConfig } from './variants.ts';

export interface ParamArray {
  shape: number[];
  data: Float32Array;
}
/** Parameters keyed by their checkpoint path ('Transformer/encoderblock_0/LayerNorm_0/scale'). */
export type Params = Map<string, ParamArray>;

const BLOCK = 'Transformer/encoderblock_';

/** Every backbone key with its shape, for `numPatches` patch tokens. */
export function expectedShapes(cfg: ViTConfig, numPatches: number): Map<string, number[]> {
  const { hidden: d, heads: h, mlp, patch: p } = cfg;
  const hd = d / h;
  const s = new Map<string, number[]>([
    ['embedding/kernel', [p, p, 3, d]],
    ['embedding/bias', [d]],
    ['cls', [1, 1, d]],
    ['Transformer/posembed_input/pos_embedding', [1, numPatches + 1, d]],
  ]);
  for (let i = 0; i < cfg.depth; i++) {
    const b = `${BLOCK}${i}/`;
    for (const ln of ['LayerNorm_0', 'LayerNorm_2']) {
      s.set(`${b}${ln}/scale`, [d]);
      s.set(`${b}${ln}/bias`, [d]);
    }
    const att = `${b}MultiHeadDotProductAttention_1/`;
    for (const n of ['query', 'key', 'value']) {
      s.set(`${att}${n}/kernel`, [d, h, hd]);
      s.set(`${att}${n}/bias`, [h, hd]);
    }
    s.set(`${att}out/kernel`, [h, hd, d]);
    s.set(`${att}out/bias`, [d]);
    s.set(`${b}MlpBlock_3/Dense_0/kernel`, [d, mlp]);
    s.set(`${b}MlpBlock_3/Dense_0/bias`, [mlp]);
    s.set(`${b}MlpBlock_3/Dense_1/kernel`, [mlp, d]);
    s.set(`${b}MlpBlock_3/Dense_1/bias`, [d]);
  }
  s.set('Transformer/encoder_norm/scale', [d]);
  s.set('Transformer/encoder_norm/bias', [d]);
  return s;
}

/** Keys that official checkpoints carry but the backbone does not use (the pretraining head). */
const IGNORED = [/^pre_logits\//, /^head\//];
const PREFIX = 'opt/target/';

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Reads the sizes a checkpoint implies, so a wrong `--model` is reported against what the file holds. */
function inferConfig(shapes: Map<string, number[]>, file: string): ViTConfig & { numPatches: number } {
  const need = (k: string): number[] => {
    const s = shapes.get(k);
    if (!s) throw new UserError(`'${file}' is not a ViT checkpoint in the official layout: key '${k}' is missing`);
    return s;
  };
  const kernel = need('embedding/kernel');
  const q = need(`${BLOCK}0/MultiHeadDotProductAttention_1/query/kernel`);
  const mlp = need(`${BLOCK}0/MlpBlock_3/Dense_0/kernel`);
  const pos = need('Transformer/posembed_input/pos_embedding');
  let depth = 0;
  while (shapes.has(`${BLOCK}${depth}/LayerNorm_0/scale`)) depth++;
  if (kernel.length !== 4 || q.length !== 3 || mlp.length !== 2 || pos.length !== 3) {
    throw new UserError(`'${file}': unexpected ranks for embedding/kernel ${fmt(kernel)}, query/kernel ${fmt(q)} or pos_embedding ${fmt(pos)}`);
  }
  return { hidden: kernel[3], depth, heads: q[1], mlp: mlp[1], patch: kernel[0], numPatches: pos[1] - 1 };
}

export interface LoadedViT {
  config: ViTConfig;
  /** Patch tokens the position embedding was trained for (excluding the class token). */
  numPatches: number;
  params: Params;
}

/**
 * Loads a backbone strictly: every expected key must be present with its exact shape, and no key may
 * be left over except the pretraining head (`pre_logits/*`, `head/*`). An `opt/target/` prefix (Flax
 * optimizer checkpoints) is accepted. When `expect` is given, the file must hold that variant.
 * Entries are read one at a time, so the file is never held in memory twice.
 */
export function loadViT(file: string, expect?: ViTConfig): LoadedViT {
  const npz = NpzReader.open(file);
  try {
    const stored = new Map<string, string>(); // key without prefix -> entry name
    for (const k of npz.keys()) stored.set(k.startsWith(PREFIX) ? k.slice(PREFIX.length) : k, k);
    const shapes = new Map<string, number[]>();
    for (const [k, entry] of stored) shapes.set(k, npz.info(entry).shape);
    const found = inferConfig(shapes, file);
    const { numPatches: _n, ...inferred } = found;
    const config: ViTConfig = expect ?? inferred;
    if (config.hidden % config.heads !== 0) throw new UserError(`'${file}': hidden ${config.hidden} is not divisible by ${config.heads} heads`);
    const want = expectedShapes(config, found.numPatches);
    for (const [k, shape] of want) {
      const got = shapes.get(k);
      if (!got) throw new UserError(`'${file}': key '${k}' is missing (expected shape ${fmt(shape)})`);
      if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
        throw new UserError(`'${file}': key '${k}' has shape ${fmt(got)}, expected ${fmt(shape)}`);
      }
    }
    for (const k of shapes.keys()) {
      if (!want.has(k) && !IGNORED.some((r) => r.test(k))) throw new UserError(`'${file}': unexpected key '${k}' ${fmt(shapes.get(k)!)}`);
    }
    const params: Params = new Map();
    for (const [k, shape] of want) {
      const entry = stored.get(k)!;
      params.set(k, { shape, data: toFloat32(npz.read(entry), `'${file}' entry '${entry}'`) });
    }
    return { config, numPatches: found.numPatches, params };
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
