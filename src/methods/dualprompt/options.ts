// DualPrompt's options and parameters, as the official code (google-research/l2p, models/vit.py and
// models/prompt.py) lays them out: the g-prompt 'prefix', the e-prompt pool 'prompt_pool/prompt' with its
// keys 'prompt_pool/key', and the head. Shapes are checked against the backbone with errors that name
// the key and the numbers.
import { UserError } from '../../errors.ts';
import type { ViTConfig } from '../../vit/variants.ts';

/** The g-prompt (official g_prompt_length, g_prompt_layer_idx, use_prefix_tune_for_g_prompt, same_key_value_for_shared). */
export interface GPrompt {
  length: number;
  layers: number[];
  /** true: keys/values prepended in attention (prefix-tuning); false: tokens prepended (prompt-tuning). */
  prefixTune: boolean;
  /** One stored prefix serves as both keys and values (prefix-tuning only). */
  sameKeyValue: boolean;
}

/**
 * The e-prompt pool (official prompt_pool_param.{length, pool_size, top_k}, e_prompt_layer_idx,
 * use_prefix_tune_for_e_prompt). Keys are always learned: the official mean-of-prompt keys are
 * undefined for prefixes. The official code never hands same_key_value_for_pool to the pool, so its keys
 * and values are always stored apart.
 */
export interface EPrompt {
  length: number;
  layers: number[];
  poolSize: number;
  topK: number;
  prefixTune: boolean;
}

export type DualPromptClassifier = 'token' | 'gap';

export interface DualPromptOptions {
  vit: ViTConfig;
  numClasses: number;
  g: GPrompt | null;
  e: EPrompt | null;
  /** 'token': encoder_norm output at the class token (behind any prepended tokens); 'gap': mean of all tokens. */
  classifier: DualPromptClassifier;
  temperature: number;
  normPreLogits: boolean;
}

/** How errors name the settings: the official config keys unless a caller's format names them otherwise. */
export interface DualPromptKeyNames {
  gLayers: string;
  gLength: string;
  eLayers: string;
  eLength: string;
  topK: string;
  poolSize: string;
}

export const OFFICIAL_KEYS: DualPromptKeyNames = {
  gLayers: 'g_prompt_layer_idx',
  gLength: 'g_prompt_length',
  eLayers: 'e_prompt_layer_idx',
  eLength: 'prompt_pool_param.length',
  topK: 'prompt_pool_param.top_k',
  poolSize: 'prompt_pool_param.pool_size',
};

/** Refuses settings the official code cannot run as written, naming the key and the numbers. */
export function validateDualPrompt(o: DualPromptOptions, keys: DualPromptKeyNames = OFFICIAL_KEYS): void {
  const depth = o.vit.depth;
  const checkLayers = (key: string, layers: number[]) => {
    if (layers.length === 0) throw new UserError(`${key} is empty`);
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l >= depth) throw new UserError(`${key} holds ${l}, outside the backbone's layers [0, ${depth})`);
    }
    if (new Set(layers).size !== layers.length) throw new UserError(`${key} repeats a layer: [${layers}]`);
  };
  if (o.g) {
    checkLayers(keys.gLayers, o.g.layers);
    if (!(o.g.length >= 1)) throw new UserError(`${keys.gLength} must be at least 1, got ${o.g.length}`);
    if (!o.g.prefixTune) {
      if (o.g.sameKeyValue) throw new UserError('same_key_value_for_shared applies to prefix-tuning only (use_prefix_tune_for_g_prompt is false)');
      // The official encoder prepends g-prompt tokens only together with e-prompt tokens, and reads the
      // class token behind all g_length × len(g_prompt_layer_idx) of them: other layouts misread it.
      if (!o.e || o.e.prefixTune) throw new UserError('use_prefix_tune_for_g_prompt false needs use_prefix_tune_for_e_prompt false: the official encoder prepends g-prompt tokens only beside e-prompt tokens');
      const missing = o.g.layers.filter((l) => !o.e!.layers.includes(l));
      if (missing.length) throw new UserError(`with prompt-tuning, every ${keys.gLayers} must also be in ${keys.eLayers} (official encoder); [${missing}] is not in [${o.e.layers}]`);
    }
  }
  if (o.e) {
    checkLayers(keys.eLayers, o.e.layers);
    if (!(o.e.length >= 1)) throw new UserError(`${keys.eLength} must be at least 1, got ${o.e.length}`);
    if (!(o.e.topK >= 1 && o.e.topK <= o.e.poolSize)) throw new UserError(`${keys.topK} ${o.e.topK} must lie in [1, ${keys.poolSize} ${o.e.poolSize}]`);
  }
  if (o.vit.hidden % o.vit.heads !== 0) throw new UserError(`hidden ${o.vit.hidden} is not a multiple of heads ${o.vit.heads}`);
}

/** The e-prompt layers in the order of the pool's first axis (official: ascending layer index). */
export function eRows(e: EPrompt): number[] {
  return [...e.layers].sort((a, b) => a - b);
}

/** Every DualPrompt parameter with its official shape. */
export function dualPromptShapes(o: DualPromptOptions): Map<string, number[]> {
  const { depth, hidden: d, heads: h } = o.vit;
  const hd = d / h;
  const s = new Map<string, number[]>();
  if (o.g) {
    // [depth, kv, Lg, H, hd]: every layer has a row, only g_prompt_layer_idx's are used.
    if (o.g.prefixTune) s.set('prefix', [depth, o.g.sameKeyValue ? 1 : 2, o.g.length, h, hd]);
    else s.set('prefix', [depth, o.g.length, d]);
  }
  if (o.e) {
    const n = o.e.layers.length;
    if (o.e.prefixTune) s.set('prompt_pool/prompt', [n, 2, o.e.poolSize, o.e.length, h, hd]);
    else s.set('prompt_pool/prompt', [n, o.e.poolSize, o.e.length, d]);
    s.set('prompt_pool/key', [o.e.poolSize, d]);
  }
  s.set('head/kernel', [d, o.numClasses]);
  s.set('head/bias', [o.numClasses]);
  return s;
}

/** What each axis of a parameter means, for error messages. */
export function describeShape(o: DualPromptOptions, key: string): string {
  const { depth, hidden: d, heads: h } = o.vit;
  const hd = d / h;
  switch (key) {
    case 'prefix':
      return o.g!.prefixTune
        ? `[depth ${depth}, ${o.g!.sameKeyValue ? '1 (same_key_value_for_shared)' : '2 (key, value)'}, g_prompt_length ${o.g!.length}, heads ${h}, head_dim ${hd}]`
        : `[depth ${depth}, g_prompt_length ${o.g!.length}, hidden ${d}]`;
    case 'prompt_pool/prompt':
      return o.e!.prefixTune
        ? `[len(e_prompt_layer_idx) ${o.e!.layers.length}, 2 (key, value), pool_size ${o.e!.poolSize}, length ${o.e!.length}, heads ${h}, head_dim ${hd}]`
        : `[len(e_prompt_layer_idx) ${o.e!.layers.length}, pool_size ${o.e!.poolSize}, length ${o.e!.length}, hidden ${d}]`;
    case 'prompt_pool/key':
      return `[pool_size ${o.e!.poolSize}, hidden ${d}]`;
    case 'head/kernel':
      return `[hidden ${d}, classes ${o.numClasses}]`;
    default:
      return `[classes ${o.numClasses}]`;
  }
}

/**
 * The prompt mask at training (official use_prompt_mask): task t uses pool ids t·top_k .. t·top_k + top_k − 1,
 * while they fit in the pool (`maskFits`); past it the official code selects by similarity instead.
 */
export function promptMaskIds(e: EPrompt, taskId: number): number[] {
  if (!maskFits(e, taskId)) throw new UserError(`prompt mask of task ${taskId}: ids ${taskId * e.topK}..${taskId * e.topK + e.topK - 1} run past prompt_pool_param.pool_size ${e.poolSize}`);
  const start = taskId * e.topK;
  return Array.from({ length: e.topK }, (_, i) => start + i);
}

/** Whether task t's masked ids lie inside the pool (official: (t + 1) · top_k <= pool_size). */
export function maskFits(e: EPrompt, taskId: number): boolean {
  return (taskId + 1) * e.topK <= e.poolSize;
}

/**
 * Strict reading of stored DualPrompt tensors (a case's l2p.npz, a checkpoint): every key of
 * `dualPromptShapes` present with its shape, nothing else. Errors name the file, the key and the numbers.
 */
export function takeDualPromptParams(stored: Map<string, { shape: number[] }>, o: DualPromptOptions, file: string): Map<string, number[]> {
  const shapes = dualPromptShapes(o);
  for (const [k, shape] of shapes) {
    const a = stored.get(k);
    if (!a) throw new UserError(`'${file}': key '${k}' is missing (expected ${describeShape(o, k)})`);
    if (a.shape.join(',') !== shape.join(',')) throw new UserError(`'${file}': key '${k}' has shape [${a.shape}], expected ${describeShape(o, k)} for this backbone`);
  }
  for (const [k, a] of stored) if (!shapes.has(k)) throw new UserError(`'${file}': unexpected key '${k}' [${a.shape}]`);
  return shapes;
}
