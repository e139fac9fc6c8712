// Composite functions built from primitive ops, adding no rule of their own: softmax on any axis,
// logSoftmax, dense, l2Normalize, oneHot, the exact GELU. softmax, layerNorm and the tanh GELU are fused
// primitives (ops/fused.ts, with their own gradient rules); the functions here pick and wrap them.
import { add, cast, div, equal, erf, exp, log, maximum, mul, sqrt, stopGradient, sub } from './ops/elementwise.ts';
import { geluTanh, layerNormLast, softmaxLast } from './ops/fused.ts';
import { matmul } from './ops/linalg.ts';
import { transpose, unsqueeze } from './ops/layout.ts';
import { max, sum } from './ops/reduce.ts';
import { constant } from './ops/source.ts';
import type { Tensor } from './tensor.ts';

export function rsqrt(x: Tensor): Tensor {
  return div(1, sqrt(x));
}

/**
 * Softmax along `axis`: the fused kernel works on the last axis, so another axis is swapped there and
 * back (for the last axis itself the permutation is the identity, whose transpose is its input).
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  const perm = x.shape.map((_, i) => i);
  perm[ax] = x.rank - 1;
  perm[x.rank - 1] = ax;
  return transpose(softmaxLast(transpose(x, perm)), perm);
}

export function logSoftmax(x: Tensor, axis: number): Tensor {
  const shifted = sub(x, stopGradient(max(x, axis, true)));
  return sub(shifted, log(sum(exp(shifted), axis, true)));
}

/** LayerNorm over the last axis (biased variance, as flax.linen.LayerNorm; flax's eps is 1e-6). */
export function layerNorm(x: Tensor, scale: Tensor, bias: Tensor, eps = 1e-6): Tensor {
  return layerNormLast(x, scale, bias, eps);
}

/**
 * Which GELU: 'tanh', the approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))) that jax.nn.gelu (the flax
 * ViT of the official L2P/DualPrompt code) computes by default; 'erf', the exact ½x(1 + erf(x/√2)) of
 * torch's nn.GELU (timm's ViT, the official CODA-Prompt backbone).
 */
export type Gelu = 'tanh' | 'erf';

export function gelu(x: Tensor, kind: Gelu = 'tanh'): Tensor {
  return kind === 'tanh' ? geluTanh(x) : mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** x @ W + b over the last axis. */
export function dense(x: Tensor, kernel: Tensor, bias?: Tensor): Tensor {
  const y = matmul(x, kernel);
  return bias ? add(y, bias) : y;
}

/** x / sqrt(max(sum x², eps)) along `axis`, as the official prompt module normalises keys and queries. */
export function l2Normalize(x: Tensor, axis = -1, eps = 1e-12): Tensor {
  return mul(x, rsqrt(maximum(sum(mul(x, x), axis, true), eps)));
}

/** One-hot float32 encoding of integer labels: [...labels.shape, depth]. */
export function oneHot(labels: Tensor, depth: number): Tensor {
  const range = constant(Int32Array.from({ length: depth }, (_, i) => i), [depth]);
  return cast(equal(unsqueeze(cast(labels, 'int32'), -1), range), 'float32');
}
