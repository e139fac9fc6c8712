// Which parameters a run's optimiser updates, the L2 coefficient of its loss, and the rows of a step's
// micro-batches joined: small pure helpers of the learner (src/train/learner.ts).
import type { L2PConfig } from '../config/l2p.ts';
import type { MethodModel } from '../methods/index.ts';
import { matchesPattern } from '../vit/bind.ts';

/**
 * The parameter paths the optimiser updates: the method's own that match its `trains` patterns, and
 * the backbone's under official freeze_part semantics (a path containing one of the freeze_part
 * strings is frozen: 'encoder', 'embedding', 'cls' freeze the backbone; [] trains it all).
 */
export function trainedPaths(c: Pick<L2PConfig, 'freeze_part'>, model: Pick<MethodModel, 'params' | 'trains'>, paths: readonly string[]): string[] {
  return paths.filter((p) => {
    if (c.freeze_part.some((part) => p.includes(part))) return false;
    return !model.params.has(p) || model.trains.some((pattern) => matchesPattern(p, pattern));
  });
}

/** Rows of several [n_i, D] blocks, one after another. */
export function concatRows(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

/**
 * The coefficient of the L2 term 0.5 · wd · Σ‖W‖² in the loss: the official train_step adds it for
 * 'adam' and 'sgd'; 'adamw' decays only through the optimiser (official disable_l2_wd).
 */
export function l2Coefficient(c: Pick<L2PConfig, 'optim' | 'weight_decay'>): number {
  return c.optim === 'adamw' ? 0 : c.weight_decay;
}
