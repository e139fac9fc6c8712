// The extra loss term of HiDe-Prompt's within-task prompt training (engines/hide_promtp_wtp_and_tap_engine.py:
// orth_loss): the stored class centroids of earlier tasks (all K of them, constants) and the batch's
// pre_logits are stacked into M [K + B, D]; the similarities M·Mᵀ / 0.8 are read as logits whose target
// for row i is i itself, and the mean cross-entropy, scaled by `reg`, is added to the loss. It pushes
// each new feature away from every old centroid and from the batch's other features. With nothing
// stored yet (the first task) M is the batch alone.
import * as g from '../../graph/index.ts';
import type { Tensor } from '../../graph/index.ts';

/** The official temperature of the similarity logits. */
export const CONTRAST_TEMPERATURE = 0.8;

/** reg · mean_i CE(M·Mᵀ/τ row i, target i), M = [prototypes; features]: a scalar. */
export function prototypeContrast(features: Tensor, prototypes: Tensor | null, reg: number, temperature = CONTRAST_TEMPERATURE): Tensor {
  const m = prototypes ? g.concat([prototypes, features], 0) : features; // [N, D], N = K + B
  const sim = g.div(g.matmul(m, g.swapLast(m)), temperature); // [N, N]
  const top = g.stopGradient(g.max(sim, -1, true)); // [N, 1]
  const lse = g.add(g.log(g.sum(g.exp(g.sub(sim, top)), -1)), g.reshape(top, [m.shape[0]])); // [N]
  const self = g.div(g.sum(g.mul(m, m), -1), temperature); // [N]: the target logit sim[i, i]
  return g.mul(g.mean(g.sub(lse, self), 0), reg);
}
