// The ViT's parameters in the official checkpoint layout (ViT-B_16.npz): expected keys and shapes and
// the strict check of a checkpoint's arrays against them. No file access here: the page reads
// checkpoints from bytes with the same rules (src/web/page), the CLI from files (params.ts).
import { UserError } from '../errors.ts';
import { toFloat32, type NpyArray } from '../io/npy.ts';
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

/** Where a backbone's parameters came from: the official JAX layout (and ours), or a PyTorch family's names. */
export type BackboneFamily = 'official' | 'timm' | 'transformers';

export interface LoadedViT {
  config: ViTConfig;
  /** Patch tokens the position embedding was trained for (excluding the class token). */
  numPatches: number;
  params: Params;
  /** Unset: 'official'. */
  family?: BackboneFamily;
}

/**
 * Checks a checkpoint's keys and shapes strictly: every expected key must be present with its exact
 * shape, and no key may be left over except the pretraining head (`pre_logits/*`, `head/*`). An
 * `opt/target/` prefix (Flax optimizer checkpoints) is accepted. When `expect` is given, the file
 * must hold that variant. Returns the sizes and, per expected key, the stored entry name.
 */
export function checkViT(entryShapes: Map<string, number[]>, file: string, expect?: ViTConfig): { config: ViTConfig; numPatches: number; want: Map<string, number[]>; entryOf: Map<string, string> } {
  const entryOf = new Map<string, string>(); // key without prefix -> entry name
  const shapes = new Map<string, number[]>();
  for (const [k, shape] of entryShapes) {
    const key = k.startsWith(PREFIX) ? k.slice(PREFIX.length) : k;
    entryOf.set(key, k);
    shapes.set(key, shape);
  }
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
  return { config, numPatches: found.numPatches, want, entryOf };
}

/** A backbone from arrays already in memory (the page's download of a checkpoint), checked as checkViT. */
export function viTFromArrays(arrays: Map<string, NpyArray>, file: string, expect?: ViTConfig): LoadedViT {
  const { config, numPatches, want, entryOf } = checkViT(new Map([...arrays].map(([k, a]) => [k, a.shape])), file, expect);
  const params: Params = new Map();
  for (const [k, shape] of want) {
    const entry = entryOf.get(k)!;
    params.set(k, { shape, data: toFloat32(arrays.get(entry)!, `'${file}' entry '${entry}'`) });
  }
  return { config, numPatches, params };
}
