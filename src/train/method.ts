// What trains under each method, and which prompt ids a task is given: data, not branches in the model.
import type { L2PConfig } from '../config/l2p.ts';
import { matchesPattern } from '../vit/bind.ts';

/**
 * 'l2p': the prompt pool with key-query selection. Baselines on the same backbone and stream:
 * 'shared_prompt': one prompt (pool of 1, no keys) and the head, tuned task after task;
 * 'head_only': the head alone; 'joint': L2P trained once on all tasks together (the upper bound).
 */
export type Method = L2PConfig['method'];

/**
 * The parameter paths the optimiser updates. Official freeze_part semantics: a path is frozen when it
 * contains one of the freeze_part strings ('encoder', 'embedding', 'cls' freeze the backbone; []
 * trains it all). A baseline narrows the L2P parameters further.
 */
export function trainedPaths(c: L2PConfig, method: Method, paths: readonly string[]): string[] {
  return paths.filter((p) => {
    if (c.freeze_part.some((part) => p.includes(part))) return false;
    return !(method === 'head_only' && matchesPattern(p, 'prompt_pool'));
  });
}

/**
 * The fixed prompt ids of task `t`, or null when selection decides. Official use_prompt_mask: task t
 * trains ids t·N .. t·N+N−1 while they fit in the pool (past the pool, selection decides again).
 * The shared-prompt baseline always uses prompt 0.
 */
export function promptIdsFor(c: L2PConfig, method: Method, t: number): number[] | null {
  if (method === 'shared_prompt') return [0];
  const { top_k: n, pool_size: m, use_prompt_mask } = c.prompt_pool_param;
  if (!use_prompt_mask || (t + 1) * n > m) return null;
  return Array.from({ length: n }, (_, i) => t * n + i);
}
