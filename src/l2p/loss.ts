// L2P's training loss: cross-entropy over the logits with classes outside the current task's mask
// at -inf (official continual.train_mask), minus pull_constraint_coeff × reduce_sim.
import * as g from '../graph/index.ts';
import type { Tensor } from '../graph/index.ts';

export interface LossTerms {
  ce: Tensor;
  loss: Tensor;
}

export function l2pLoss(logits: Tensor, labels: Tensor, classMask: Tensor | null, reduceSim: Tensor | null, pull: number): LossTerms {
  const ce = g.maskedCrossEntropy(logits, labels, classMask);
  const loss = reduceSim && pull !== 0 ? g.sub(ce, g.mul(reduceSim, pull)) : ce;
  return { ce, loss };
}
