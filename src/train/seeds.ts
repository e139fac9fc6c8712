// The input pipeline's seeds of a run: task t's training stream and the evaluation stream under
// eval_augment. Browser-safe: the Node loop (loop.ts, evaluate.ts) and the page (src/web/page) share them.
import type { L2PConfig } from '../config/l2p.ts';

/** The seed of task t's training stream (its shuffle order and its augmentation). */
export function trainSeed(c: Pick<L2PConfig, 'seed'>, t: number): number {
  return c.seed * 1009 + t;
}

/** The seed of an evaluation through the training pipeline (eval_augment): the same crops at every evaluation. */
export function evalAugmentSeed(c: Pick<L2PConfig, 'seed'>): number {
  return c.seed * 1009 + 0x5e7;
}
