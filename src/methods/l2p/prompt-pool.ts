// L2P's prompt pool: M learnable prompts [1, M, Lp, D] with learnable keys [M, D]; each input picks
// the N prompts whose keys are most similar (cosine) to its query, the frozen ViT's pre_logits.
import * as g from '../../graph/index.ts';
import type { Tensor } from '../../graph/index.ts';

/** How the N prompt ids of each input are chosen. */
export type Selection =
  /** Each input takes its own top-N keys, in descending similarity (or penalised score, see `Diversify`). */
  | ({ kind: 'per_instance' } & Diversify)
  /**
   * Official `batchwise_prompt`: inside each vote group of `group` consecutive inputs, the N ids chosen
   * most often win (ties to the lower id, ordered by count) and every input of the group uses them.
   */
  | ({ kind: 'batchwise'; group: number } & Diversify)
  /** Official `prompt_mask` (use_prompt_mask at training): the ids are fed as input `ids` [B, N]. */
  | { kind: 'fixed'; ids: Tensor };

/**
 * The paper's diversified selection (§3.4): while training, inputs pick the N prompts of least
 * (1 − cos(query, key_i)) · h_i, where h [M] is each prompt's normalised selection frequency in the
 * earlier tasks, so prompts used often before are chosen less. Absent: plain similarity.
 */
export interface Diversify {
  frequency?: Tensor;
}

export interface PoolSelection {
  /** Selected prompt ids, in concatenation order: [B, N] int32. */
  idx: Tensor;
  /** Cosine similarity of each query with each key: [B, M]. */
  sim: Tensor;
  /** The normalised keys of the selected prompts: [B, N, D]. */
  selectedKeys: Tensor;
  /** Σ over the batch and the selected keys of cos(key, query), divided by B: the pull term. */
  reduceSim: Tensor;
}

/** Picks prompts for `query` [B, D] from `key` [M, D]. */
export function selectPrompts(query: Tensor, key: Tensor, topK: number, selection: Selection): PoolSelection {
  const [b] = query.shape;
  const [m, d] = key.shape;
  const keyNorm = g.l2Normalize(key, -1); // [M, D]
  const queryNorm = g.l2Normalize(query, -1); // [B, D]
  const sim = g.matmul(queryNorm, g.transpose(keyNorm, [1, 0])); // [B, M]
  let idx: Tensor;
  if (selection.kind === 'fixed') {
    idx = g.cast(selection.ids, 'int32');
  } else {
    // Diversified: the largest −(1 − cos)·h is the least frequency-weighted distance.
    const score = selection.frequency ? g.mul(g.sub(sim, 1), g.reshape(selection.frequency, [1, m])) : sim; // [B, M]
    idx = g.topk(score, topK); // [B, N]
    if (selection.kind === 'batchwise') idx = majorityVote(idx, m, topK, selection.group);
  }
  const selectedKeys = g.gather(keyNorm, idx); // [B, N, D]
  const cos = g.mul(selectedKeys, g.reshape(queryNorm, [b, 1, d])); // [B, N, D]
  const reduceSim = g.div(g.sum(cos, [0, 1, 2]), b);
  return { idx, sim, selectedKeys, reduceSim };
}

/** The batch-wise vote: ids [B, N] -> the group's N most frequent ids, repeated per input [B, N]. */
export function majorityVote(idx: Tensor, poolSize: number, topK: number, group: number): Tensor {
  const [b, n] = idx.shape;
  const groups = Math.ceil(b / group);
  if (groups * group !== b) {
    throw new Error(`batch-wise vote: batch ${b} is not a multiple of the vote group ${group}`);
  }
  const votes = g.reshape(g.oneHot(idx, poolSize), [groups, group * n, poolSize]); // [G, g·N, M]
  const counts = g.sum(votes, 1); // [G, M]
  // Counts are small integers: top-k on them keeps equal counts in id order, as lax.top_k does.
  const winners = g.topk(counts, topK); // [G, N]
  return g.reshape(g.expand(g.reshape(winners, [groups, 1, topK]), [groups, group, topK]), [b, topK]); // [B, N]
}

/** The selected prompts as tokens: prompt [1, M, Lp, D] and ids [B, N] -> [B, N·Lp, D]. */
export function gatherPrompts(prompt: Tensor, idx: Tensor): Tensor {
  const [, m, lp, d] = prompt.shape;
  const [b, n] = idx.shape;
  const table = g.reshape(prompt, [m, lp, d]); // [M, Lp, D]
  return g.reshape(g.gather(table, idx), [b, n * lp, d]); // [B, N·Lp, D]
}

/** Without learnable keys (prompt_key false) a prompt's key is its mean token: [M, D]. */
export function meanKeys(prompt: Tensor): Tensor {
  const [, m, lp, d] = prompt.shape;
  return g.mean(g.reshape(prompt, [m, lp, d]), 1);
}
