// DualPrompt's initial parameters as the official modules create them, and the per-task copy of the
// shared pool (official shared_prompt_pool / shared_prompt_key).
import { mulberry32 } from '../../random.ts';
import type { Params } from '../../vit/params.ts';
import { dualPromptShapes, type DualPromptOptions, type EPrompt } from './options.ts';

export interface DualPromptInit {
  /** prompt_pool_param.initializer: flax uniform() is U[0, 0.01), normal() has stddev 0.01. */
  initializer: 'uniform' | 'normal';
  /** prompt_pool_param.prompt_key_init. */
  keyInit: 'uniform' | 'zero';
  seed: number;
}

function fill(n: number, kind: 'uniform' | 'normal' | 'zero', r: () => number): Float32Array {
  const a = new Float32Array(n);
  if (kind === 'uniform') for (let i = 0; i < n; i++) a[i] = 0.01 * r();
  if (kind === 'normal') {
    for (let i = 0; i < n; i += 2) {
      const m = 0.01 * Math.sqrt(-2 * Math.log(1 - r()));
      const t = 2 * Math.PI * r();
      a[i] = m * Math.cos(t);
      if (i + 1 < n) a[i + 1] = m * Math.sin(t);
    }
  }
  return a;
}

/**
 * 'prefix' is always uniform (official: nn.initializers.uniform()); the pool follows `initializer`,
 * the keys `keyInit`; the head starts at zero.
 */
export function initDualPromptParams(o: DualPromptOptions, init: DualPromptInit): Params {
  const r = mulberry32(init.seed);
  const params: Params = new Map();
  for (const [key, shape] of dualPromptShapes(o)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const kind = key === 'prefix' ? 'uniform' : key === 'prompt_pool/prompt' ? init.initializer : key === 'prompt_pool/key' ? init.keyInit : 'zero';
    params.set(key, { shape, data: fill(n, kind, r) });
  }
  return params;
}

/** Copies pool slots [from, from+n) to [to, to+n) along the pool axis of a row-major array, in place. */
export function copySlots(data: Float32Array, shape: number[], poolAxis: number, from: number, to: number, n: number): void {
  const outer = shape.slice(0, poolAxis).reduce((a, b) => a * b, 1);
  const pool = shape[poolAxis];
  const inner = shape.slice(poolAxis + 1).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) {
    const base = o * pool * inner;
    data.copyWithin(base + to * inner, base + from * inner, base + (from + n) * inner);
  }
}

/**
 * Before task t > 0, the official loop copies the previous task's top_k pool slots into the current
 * task's (shared_prompt_pool; the keys too with shared_prompt_key), unless either range runs past the pool.
 */
export function sharedPoolCopy(params: Params, e: EPrompt, taskId: number, copyKeys: boolean): void {
  if (taskId <= 0) return;
  const k = e.topK;
  const prev = (taskId - 1) * k;
  const cur = taskId * k;
  if (cur + k > e.poolSize) return;
  const prompt = params.get('prompt_pool/prompt')!;
  // Pool axis: [layers, 2, M, ...] for prefixes, [layers, M, ...] for prompt tokens.
  copySlots(prompt.data, prompt.shape, e.prefixTune ? 2 : 1, prev, cur, k);
  if (copyKeys) {
    const key = params.get('prompt_pool/key')!;
    copySlots(key.data, key.shape, 0, prev, cur, k);
  }
}
