// L2P's training loss: cross-entropy over the logits with classes outside the current task's mask
// at -inf (official continual.train_mask), minus pull_constraint_coeff × reduce_sim.
import * as g from '../graph/index.ts';
import type { Tensor } from '../graph/index.ts';

export interface LossTerms {
  ce: Tensor;
  loss: Tensor;
}

/** Mean cross-entropy of integer `labels` [B] under `logits` [B, C]; `classMask` [C] bool keeps classes. */
export function maskedCrossEntropy(logits: Tensor, labels: Tensor, classMask: Tensor | null): Tensor {
  const [b, c] = logits.shape;
  const masked = classMask ? g.where(classMask, logits, -Infinity) : logits; // [B, C]
  const logp = g.logSoftmax(masked, -1);
  const isLabel = g.greater(g.oneHot(labels, c), 0.5); // [B, C] bool
  // `where`, not a product with the one-hot: 0 × -inf at masked classes would be NaN.
  const picked = g.sum(g.where(isLabel, logp, 0), [0, 1]);
  return g.div(g.neg(picked), b);
}

export function l2pLoss(logits: Tensor, labels: Tensor, classMask: Tensor | null, reduceSim: Tensor | null, pull: number): LossTerms {
  const ce = maskedCrossEntropy(logits, labels, classMask);
  const loss = reduceSim && pull !== 0 ? g.sub(ce, g.mul(reduceSim, pull)) : ce;
  return { ce, loss };
}
