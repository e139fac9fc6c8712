// The classification loss of every graph that trains here: pretraining uses it as it is, L2P adds its
// pull constraint on top (l2p/loss.ts).
import { logSoftmax, oneHot } from './nn.ts';
import { div, greater, neg, where } from './ops/elementwise.ts';
import { sum } from './ops/reduce.ts';
import type { Tensor } from './tensor.ts';

/**
 * Mean cross-entropy of integer `labels` [B] under `logits` [B, C]. `classMask` [C] (bool) keeps the
 * classes it marks: the others get -inf logits, as the official continual.train_mask does.
 */
export function maskedCrossEntropy(logits: Tensor, labels: Tensor, classMask: Tensor | null): Tensor {
  const [b, c] = logits.shape;
  const masked = classMask ? where(classMask, logits, -Infinity) : logits; // [B, C]
  const logp = logSoftmax(masked, 1); // over C
  const isLabel = greater(oneHot(labels, c), 0.5); // [B, C] bool
  // `where`, not a product with the one-hot: 0 × -inf at masked classes would be NaN.
  const picked = sum(where(isLabel, logp, 0), [0, 1]);
  return div(neg(picked), b);
}
