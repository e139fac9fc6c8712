// Initial L2P parameters, as the official modules initialise them: prompts uniform [0, 0.01)
// (flax's nn.initializers.uniform()) or normal with stddev 0.01; keys uniform or zero; the head zero.
import { mulberry32 } from '../../random.ts';
import type { Params } from '../../vit/params.ts';

export interface PoolInit {
  poolSize: number;
  length: number;
  hidden: number;
  numClasses: number;
  initializer: 'uniform' | 'normal' | 'zero';
  keyInit: 'uniform' | 'zero';
  promptKey: boolean;
  seed: number;
}

function fill(n: number, kind: 'uniform' | 'normal' | 'zero', r: () => number): Float32Array {
  const a = new Float32Array(n);
  if (kind === 'uniform') for (let i = 0; i < n; i++) a[i] = 0.01 * r();
  if (kind === 'normal') {
    // Box–Muller; flax's normal() has stddev 0.01.
    for (let i = 0; i < n; i += 2) {
      const u = 1 - r();
      const v = r();
      const m = 0.01 * Math.sqrt(-2 * Math.log(u));
      a[i] = m * Math.cos(2 * Math.PI * v);
      if (i + 1 < n) a[i + 1] = m * Math.sin(2 * Math.PI * v);
    }
  }
  return a;
}

/** 'prompt_pool/prompt' [1, M, Lp, D], 'prompt_pool/key' [M, D] (when used), 'head/kernel' [D, C], 'head/bias' [C]. */
export function initL2PParams(o: PoolInit, withPool: boolean): Params {
  const r = mulberry32(o.seed);
  const { poolSize: m, length: lp, hidden: d, numClasses: c } = o;
  const params: Params = new Map();
  if (withPool) {
    params.set('prompt_pool/prompt', { shape: [1, m, lp, d], data: fill(m * lp * d, o.initializer, r) });
    if (o.promptKey) params.set('prompt_pool/key', { shape: [m, d], data: fill(m * d, o.keyInit, r) });
  }
  params.set('head/kernel', { shape: [d, c], data: new Float32Array(d * c) });
  params.set('head/bias', { shape: [c], data: new Float32Array(c) });
  return params;
}
