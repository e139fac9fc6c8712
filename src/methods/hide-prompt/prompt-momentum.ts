// The end-of-task prompt momentum (engines/hide_promtp_wtp_and_tap_engine.py:train_and_evaluate,
// prompt_momentum > 0 and t > 0): the task's prefix slot becomes (1 − m)·P[t] + m·mean(P[0..t−1]),
// on the official prefix layout [layers, 2, pool, length, heads, head_dim] (src/dualprompt's
// 'prompt_pool/prompt'). The same mix, with the old slots' mean held constant, is what the prompted
// model's forward uses while it trains task t (peft/prompt/hide_prompt.py:EPrompt.forward).
import * as g from '../../graph/index.ts';
import type { Tensor } from '../../graph/index.ts';

/** Mixes slot `task` of the pool axis (axis 2) toward the mean of slots 0..task−1, in place. */
export function promptMomentum(prompt: Float32Array, shape: readonly number[], task: number, m: number): void {
  if (task <= 0 || m <= 0) return;
  const [layers, dual, pool] = shape;
  const inner = shape.slice(3).reduce((a, b) => a * b, 1);
  for (let o = 0; o < layers * dual; o++) {
    const base = o * pool * inner;
    for (let j = 0; j < inner; j++) {
      let mean = 0;
      for (let s = 0; s < task; s++) mean += prompt[base + s * inner + j];
      mean /= task;
      const q = base + task * inner + j;
      prompt[q] = (1 - m) * prompt[q] + m * mean;
    }
  }
}

/**
 * The pool as the prompted forward sees it while task `task` > 0 trains: slot `task` replaced by
 * (1 − m)·P[task] + m·mean(P[0..task−1]), the mean a constant to the gradient (the official takes it
 * under no_grad), so P[task]'s gradient is scaled by 1 − m and the earlier slots get none through it.
 * pool: [layers, 2, M, length, heads, head_dim].
 */
export function momentumPool(pool: Tensor, task: number, m: number): Tensor {
  if (task <= 0 || m <= 0) return pool;
  const slots = pool.shape[2];
  const before = g.slice(pool, 2, 0, task); // [n, 2, t, L, H, hd]
  const cur = g.slice(pool, 2, task, task + 1); // [n, 2, 1, L, H, hd]
  const mean = g.stopGradient(g.mean(before, [2], true)); // [n, 2, 1, L, H, hd]
  const mixed = g.add(g.mul(cur, 1 - m), g.mul(mean, m));
  const parts = [before, mixed];
  if (task + 1 < slots) parts.push(g.slice(pool, 2, task + 1, slots));
  return g.concat(parts, 2); // [n, 2, M, L, H, hd]
}
