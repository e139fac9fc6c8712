// The DualPrompt model graph (official google-research/l2p, models/vit.py and prefix_attention.py):
// the frozen ViT's pre_logits pick e-prompts from the pool by key; the g-prompt and the selected e-prompts
// enter the encoder at their layers, either as prefixes of the attention keys and values (prefix-tuning,
// g first, no tokens added) or as tokens prepended to the layer's input (prompt-tuning).
import * as g from '../../graph/index.ts';
import type { Tensor } from '../../graph/index.ts';
import { selectPrompts, type PoolSelection, type Selection } from '../l2p/prompt-pool.ts';
import { embed, encode, type EncoderHooks, type KVPrefix, type ParamFn } from '../../vit/model.ts';
import { eRows, type DualPromptOptions } from './options.ts';

export interface DualPromptOutputs {
  /** The frozen, un-prompted backbone's pre_logits [B, D]: the query. */
  query: Tensor;
  selection: PoolSelection | null;
  /** Head output [B, C], before any class mask. */
  logits: Tensor;
  /** The feature the head sees [B, D]. */
  feature: Tensor;
}

/** Row `i` of a parameter, its leading axis dropped: [n, ...rest] -> [...rest]. */
function row(t: Tensor, i: number): Tensor {
  return g.reshape(g.slice(t, 0, i, i + 1), t.shape.slice(1));
}

/** The g-prompt of `layer` for a batch of `b`: prefix keys/values [B, Lg, H, hd], or tokens [B, Lg, D]. */
function gPrompt(prefix: Tensor, layer: number, b: number, prefixTune: boolean): KVPrefix | Tensor {
  const r = row(prefix, layer); // [kv, Lg, H, hd] or [Lg, D]
  if (!prefixTune) return g.expand(g.unsqueeze(r, 0), [b, ...r.shape]); // [B, Lg, D]
  const kv = r.shape[0]; // 1 with same_key_value_for_shared: the one prefix is both
  const part = (j: number) => g.expand(g.slice(r, 0, j, j + 1), [b, ...r.shape.slice(1)]); // [B, Lg, H, hd]
  return { key: part(0), value: part(kv - 1) };
}

/** The selected e-prompts of pool row `i`, concatenated in selection order. */
export function ePrompt(pool: Tensor, i: number, idx: Tensor, prefixTune: boolean): KVPrefix | Tensor {
  const [b, k] = idx.shape;
  const r = row(pool, i); // [2, M, Le, H, hd] or [M, Le, D]
  const pick = (table: Tensor) => {
    const [, le, ...rest] = table.shape; // table [M, Le, ...]
    return g.reshape(g.gather(table, idx), [b, k * le, ...rest]); // [B, k·Le, ...]
  };
  if (!prefixTune) return pick(r); // [B, k·Le, D]
  return { key: pick(row(r, 0)), value: pick(row(r, 1)) }; // [B, k·Le, H, hd] each
}

function joinPrefixes(parts: KVPrefix[]): KVPrefix | null {
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0];
  return { key: g.concat(parts.map((x) => x.key), 1), value: g.concat(parts.map((x) => x.value), 1) }; // [B, Lg + k·Le, H, hd]
}

/**
 * Builds the forward graph. `p` serves backbone and DualPrompt parameters by path ('prefix',
 * 'prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias'); `selection` says how e-prompts
 * are chosen (null only without an e-prompt). `pq` serves the query's backbone (the original pretrained
 * weights); a caller that has the query already feeds it as `fedQuery`.
 */
export function dualPromptForward(p: ParamFn, o: DualPromptOptions, images: Tensor, selection: Selection | null, pq: ParamFn = p, fedQuery?: Tensor): DualPromptOutputs {
  const x0 = embed(p, o.vit, images); // [B, 1+N, D]
  const [b, , d] = x0.shape;
  const queryTokens = () => encode(pq, o.vit, pq === p ? x0 : embed(pq, o.vit, images)); // [B, 1+N, D]
  const query = fedQuery ?? g.stopGradient(g.reshape(g.slice(queryTokens(), 1, 0, 1), [b, d])); // [B, D]

  let sel: PoolSelection | null = null;
  const eRow = new Map<number, number>();
  if (o.e) {
    if (!selection) throw new Error('DualPrompt with an e-prompt needs a selection');
    sel = selectPrompts(query, p('prompt_pool/key'), o.e.topK, selection);
    eRows(o.e).forEach((layer, i) => eRow.set(layer, i));
  }
  const gLayers = new Set(o.g?.layers ?? []);
  const at = (layer: number, prefixTune: boolean): (KVPrefix | Tensor)[] => {
    const parts: (KVPrefix | Tensor)[] = [];
    if (o.g && o.g.prefixTune === prefixTune && gLayers.has(layer)) parts.push(gPrompt(p('prefix'), layer, b, prefixTune));
    const i = eRow.get(layer);
    if (o.e && sel && o.e.prefixTune === prefixTune && i !== undefined) parts.push(ePrompt(p('prompt_pool/prompt'), i, sel.idx, prefixTune));
    return parts;
  };
  const hooks: EncoderHooks = {
    prefix: (layer) => joinPrefixes(at(layer, true) as KVPrefix[]),
    prepend: (layer) => {
      const tokens = at(layer, false) as Tensor[];
      return tokens.length === 0 ? null : tokens.length === 1 ? tokens[0] : g.concat(tokens, 1); // [B, Lg + k·Le, D]
    },
  };
  const out = encode(p, o.vit, x0, undefined, hooks); // [B, P + 1 + N, D]

  let feature: Tensor;
  if (o.classifier === 'token') {
    const cls = out.shape[1] - x0.shape[1]; // the class token sits behind every prepended token
    feature = g.reshape(g.slice(out, 1, cls, cls + 1), [b, d]);
  } else {
    feature = g.mean(out, 1);
  }
  if (o.normPreLogits) feature = g.div(feature, g.add(g.sqrt(g.sum(g.mul(feature, feature), -1, true)), 1e-10));
  let logits = g.dense(feature, p('head/kernel'), p('head/bias')); // [B, C]
  if (o.temperature !== 1) logits = g.div(logits, o.temperature);
  return { query, selection: sel, logits, feature };
}
