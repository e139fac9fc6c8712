// The end-of-task prompt momentum (engines/hide_promtp_wtp_and_tap_engine.py:train_and_evaluate,
// prompt_momentum > 0 and t > 0): the task's prefix slot becomes (1 − m)·P[t] + m·mean(P[0..t−1]),
// on the official prefix layout [layers, 2, pool, length, heads, head_dim] (src/dualprompt's
// 'prompt_pool/prompt'). The same mix, with the old slots' mean held constant, is what the prompted
// model's forward uses while it trains task t (peft/prompt/hide_prompt.py:EPrompt.forward).

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
