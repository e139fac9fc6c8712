// The Vision Transformer forward pass as an IR graph, with the official (flax) semantics:
// conv patch embedding (HWIO kernel), class token, learned position embedding, pre-LN blocks with
// [D, heads, head_dim] attention kernels, GELU MLP (tanh approximation unless the config says 'erf'),
// LayerNorm eps 1e-6, final encoder_norm.
import * as g from '../graph/index.ts';
import type { Tensor } from '../graph/index.ts';
import type { ViTConfig } from './variants.ts';

/** Looks a parameter up by checkpoint path: a constant when frozen, a fed input when trained. */
export type ParamFn = (path: string) => Tensor;

/** A dense layer x @ kernel + bias: fp32 by default, int8 on the opt-in fast query path. */
export type Dense = (x: Tensor, kernel: Tensor, bias: Tensor) => Tensor;
const fp32Dense: Dense = (x, k, b) => g.dense(x, k, b);

const EPS = 1e-6;

/** Patch tokens plus class token, position embedding added: [B, 1+N, D], class token first. */
export function embed(p: ParamFn, cfg: ViTConfig, images: Tensor, dense: Dense = fp32Dense): Tensor {
  return withClassToken(p, cfg, patchEmbed(p, cfg, images, dense));
}

/** The patch embedding alone: [B, N, D], before the class token and the position embedding. */
export function patchEmbed(p: ParamFn, cfg: ViTConfig, images: Tensor, dense: Dense = fp32Dense): Tensor {
  const [b, h, w, c] = images.shape; // [B, H, W, 3]
  const ps = cfg.patch;
  const gh = h / ps;
  const gw = w / ps;
  const d = cfg.hidden;
  // A stride-P convolution with a PxP kernel is a matmul over flattened (row, col, channel) patches.
  let x = g.reshape(images, [b, gh, ps, gw, ps, c]); // [B, gh, P, gw, P, C]
  x = g.transpose(x, [0, 1, 3, 2, 4, 5]); // [B, gh, gw, P, P, C]
  x = g.reshape(x, [b, gh * gw, ps * ps * c]); // [B, N, P·P·C]
  return dense(x, g.reshape(p('embedding/kernel'), [ps * ps * c, d]), p('embedding/bias')); // [B, N, D]
}

/** Class token prepended and position embedding added: [B, N, D] -> [B, 1+N, D]. */
export function withClassToken(p: ParamFn, cfg: ViTConfig, patches: Tensor): Tensor {
  const [b, , d] = patches.shape;
  const cls = g.expand(p('cls'), [b, 1, d]); // [B, 1, D]
  const x = g.concat([cls, patches], 1); // [B, 1+N, D]
  return g.add(x, p('Transformer/posembed_input/pos_embedding'));
}

/** Keys and values joined ahead of one block's projected keys and values (prefix-tuning): [B, P, H, hd] each. */
export interface KVPrefix {
  key: Tensor;
  value: Tensor;
}

/**
 * Per-block additions a prompting method makes inside the encoder; none of them changes the plain ViT.
 * `prepend` returns tokens [B, P, D] put in front of block `layer`'s input (prompt-tuning);
 * `prefix` returns keys and values prepended to block `layer`'s attention after its projections.
 */
export interface EncoderHooks {
  prepend?: (layer: number) => Tensor | null;
  prefix?: (layer: number) => KVPrefix | null;
  /** Tokens prepended at a layer replace those prepended at earlier ones (VPT-deep drops each block's prompts after it). */
  replace?: boolean;
}

function attention(p: ParamFn, cfg: ViTConfig, prefix: string, x: Tensor, dense: Dense, kv: KVPrefix | null): Tensor {
  const [b, t, d] = x.shape; // [B, T, D]
  const h = cfg.heads;
  const hd = d / h;
  const a = `${prefix}MultiHeadDotProductAttention_1/`;
  // Separate projections: the backward then adds three input gradients instead of padding three
  // slices of one fused [3, B, H, T, hd] tensor back to full size.
  const proj = (n: string) => g.reshape(dense(x, g.reshape(p(`${a}${n}/kernel`), [d, d]), g.reshape(p(`${a}${n}/bias`), [d])), [b, t, h, hd]); // [B, T, H, hd]
  const q = g.transpose(proj('query'), [0, 2, 1, 3]); // [B, H, T, hd]
  // A prefix joins the keys and values on the length axis, with no projection or bias of its own.
  const withPrefix = (pre: Tensor | undefined, y: Tensor) => (pre ? g.concat([pre, y], 1) : y); // [B, P+T, H, hd]
  const kT = g.transpose(withPrefix(kv?.key, proj('key')), [0, 2, 3, 1]); // [B, H, hd, S]
  const v = g.transpose(withPrefix(kv?.value, proj('value')), [0, 2, 1, 3]); // [B, H, S, hd]
  const scores = g.matmul(g.mul(q, 1 / Math.sqrt(hd)), kT); // [B, H, T, S]
  const o = g.matmul(g.softmax(scores, -1), v); // [B, H, T, hd]
  const merged = g.reshape(g.transpose(o, [0, 2, 1, 3]), [b, t, d]); // [B, T, H·hd]
  return dense(merged, g.reshape(p(`${a}out/kernel`), [d, d]), p(`${a}out/bias`)); // [B, T, D]
}

function mlp(p: ParamFn, cfg: ViTConfig, prefix: string, x: Tensor, dense: Dense): Tensor {
  const m = `${prefix}MlpBlock_3/`;
  const hidden = g.gelu(dense(x, p(`${m}Dense_0/kernel`), p(`${m}Dense_0/bias`)), cfg.gelu); // [B, T, mlp]
  return dense(hidden, p(`${m}Dense_1/kernel`), p(`${m}Dense_1/bias`)); // [B, T, D]
}

/** The encoder blocks and the final encoder_norm: [B, T, D] -> [B, T', D] (T' > T when hooks prepend tokens). */
export function encode(p: ParamFn, cfg: ViTConfig, x: Tensor, dense: Dense = fp32Dense, hooks: EncoderHooks = {}): Tensor {
  let prepended = 0;
  for (let i = 0; i < cfg.depth; i++) {
    const b = `Transformer/encoderblock_${i}/`;
    const tokens = hooks.prepend?.(i);
    if (tokens) {
      if (hooks.replace && prepended > 0) x = g.slice(x, 1, prepended, x.shape[1]); // [B, T, D]
      x = g.concat([tokens, x], 1); // [B, P+T, D]
      prepended = tokens.shape[1];
    }
    const y = g.layerNorm(x, p(`${b}LayerNorm_0/scale`), p(`${b}LayerNorm_0/bias`), EPS);
    x = g.add(x, attention(p, cfg, b, y, dense, hooks.prefix?.(i) ?? null));
    const z = g.layerNorm(x, p(`${b}LayerNorm_2/scale`), p(`${b}LayerNorm_2/bias`), EPS);
    x = g.add(x, mlp(p, cfg, b, z, dense));
  }
  return g.layerNorm(x, p('Transformer/encoder_norm/scale'), p('Transformer/encoder_norm/bias'), EPS);
}

export interface Features {
  /** encoder_norm output for every token: [B, T, D]. */
  tokens: Tensor;
  /** encoder_norm output at the class token: [B, D]; L2P's query. */
  preLogits: Tensor;
}

/** The un-prompted backbone: images [B, H, W, 3] in [0, 1] -> features. */
export function forwardFeatures(p: ParamFn, cfg: ViTConfig, images: Tensor): Features {
  const tokens = encode(p, cfg, embed(p, cfg, images));
  const [b, , d] = tokens.shape;
  return { tokens, preLogits: g.reshape(g.slice(tokens, 1, 0, 1), [b, d]) };
}
