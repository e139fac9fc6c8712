// The L2P model graph: frozen query forward, prompt selection, prompted forward, classifier head.
import * as g from '../../graph/index.ts';
import type { Tensor } from '../../graph/index.ts';
import type { ParamFn } from '../../vit/model.ts';
import { encode, patchEmbed, withClassToken } from '../../vit/model.ts';
import { queryOf } from '../../vit/query.ts';
import type { ViTConfig } from '../../vit/variants.ts';
import { gatherPrompts, meanKeys, selectPrompts, type PoolSelection, type Selection } from './prompt-pool.ts';

export type PromptLayout = 'head' | 'cls_first';
export type Classifier = 'prompt' | 'token' | 'gap' | 'token+prompt';

export interface L2PModelOptions {
  vit: ViTConfig;
  numClasses: number;
  /** Prompts selected per input (N) and tokens per prompt (Lp); 0 prompts gives the plain ViT + head. */
  topK: number;
  /** Learnable keys (official prompt_key); without them keys are the prompts' mean tokens. */
  promptKey: boolean;
  /** 'head': official HEAD [prompts, cls, patches], prompts without position embedding.
   *  'cls_first': the Dec-2021 release / PyTorch port [cls, prompts, patches], prompts given the class
   *  token's position embedding. */
  layout: PromptLayout;
  /** 'prompt' needs prompts (the config check refuses it with prompt_pool false). */
  classifier: Classifier;
  temperature: number;
  /** Divide the pooled feature by its L2 norm before the head (official norm_pre_logits). */
  normPreLogits: boolean;
  /** The frozen query's arithmetic: fp32 (default), or int8 dense layers (opt-in, faster). */
  queryPrecision?: 'fp32' | 'int8';
  /**
   * The query (official embedding_key): 'cls' (default), the frozen original ViT's pre_logits; or a
   * pool over the prompted model's own patch embeddings (before class token and position embedding):
   * 'mean', 'max', or 'mean_max' = max + 2·mean. The pools carry gradients, as official.
   */
  embeddingKey?: EmbeddingKey;
}

export type EmbeddingKey = 'cls' | 'mean' | 'max' | 'mean_max';

export interface L2POutputs {
  /** The query [B, D]: the frozen, un-prompted backbone's pre_logits, or a pool of patch embeddings (embeddingKey). */
  query: Tensor;
  selection: PoolSelection | null;
  /** Head output [B, C], before any class mask. */
  logits: Tensor;
  /** The pooled feature the head sees [B, D]. */
  feature: Tensor;
}

/**
 * Builds the forward graph. `p` serves both backbone and L2P parameters by path: 'prompt_pool/prompt',
 * 'prompt_pool/key', 'head/kernel', 'head/bias'. With `selection` null no prompts are used.
 * `pq` serves the query's backbone: the official code computes the query with the original pretrained
 * weights, which differ from `p`'s when the backbone itself trains (freeze_part = []).
 */
export function l2pForward(p: ParamFn, o: L2PModelOptions, images: Tensor, selection: Selection | null, pq: ParamFn = p, fedQuery?: Tensor): L2POutputs {
  const patches = patchEmbed(p, o.vit, images); // [B, N, D]
  const x0 = withClassToken(p, o.vit, patches); // [B, 1+N, D], class token first, position embedding added
  const [b, t0, d] = x0.shape;
  let query: Tensor; // [B, D]
  const key = o.embeddingKey ?? 'cls';
  if (key === 'cls') {
    // The query never sees prompts or gradients: it only picks prompts. A caller that has it already
    // (evaluation caches it per test image) feeds it instead.
    const shareEmbedding = pq === p && o.queryPrecision !== 'int8';
    query = fedQuery ?? g.stopGradient(queryOf(pq, o, images, shareEmbedding ? x0 : undefined));
  } else {
    const mean = () => g.mean(patches, 1);
    query = key === 'mean' ? mean() : key === 'max' ? g.max(patches, 1) : g.add(g.max(patches, 1), g.mul(mean(), 2));
  }

  let sel: PoolSelection | null = null;
  let tokens: Tensor;
  let np = 0;
  if (selection) {
    const prompt = p('prompt_pool/prompt'); // [1, M, Lp, D]
    const key = o.promptKey ? p('prompt_pool/key') : meanKeys(prompt); // [M, D]
    sel = selectPrompts(query, key, o.topK, selection);
    const prompts = gatherPrompts(prompt, sel.idx); // [B, N·Lp, D]
    np = prompts.shape[1];
    if (o.layout === 'head') {
      tokens = g.concat([prompts, x0], 1); // [B, N·Lp + 1 + P, D]
    } else {
      const pos0 = g.slice(p('Transformer/posembed_input/pos_embedding'), 1, 0, 1); // [1, 1, D]
      tokens = g.concat([g.slice(x0, 1, 0, 1), g.add(prompts, pos0), g.slice(x0, 1, 1, t0)], 1); // [B, 1 + N·Lp + P, D]
    }
  } else {
    tokens = x0;
  }
  const out = encode(p, o.vit, tokens); // [B, T, D]
  const promptStart = o.layout === 'head' ? 0 : 1;
  const clsAt = o.layout === 'head' ? np : 0;
  let feature: Tensor;
  switch (o.classifier) {
    case 'prompt':
      feature = g.mean(g.slice(out, 1, promptStart, promptStart + np), 1);
      break;
    case 'token':
      feature = g.reshape(g.slice(out, 1, clsAt, clsAt + 1), [b, d]);
      break;
    case 'gap':
      feature = g.mean(out, 1);
      break;
    case 'token+prompt':
      // The class token and the prompt tokens are adjacent in both layouts.
      feature = g.mean(g.slice(out, 1, Math.min(clsAt, promptStart), Math.min(clsAt, promptStart) + np + 1), 1);
      break;
  }
  if (o.normPreLogits) feature = g.div(feature, g.add(g.sqrt(g.sum(g.mul(feature, feature), -1, true)), 1e-10));
  let logits = g.dense(feature, p('head/kernel'), p('head/bias')); // [B, C]
  if (o.temperature !== 1) logits = g.div(logits, o.temperature);
  return { query, selection: sel, logits, feature };
}
