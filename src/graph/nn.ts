// Composite functions built from the primitives; they carry no gradient rule of their own.
import { add, cast, div, equal, exp, log, maximum, mul, sqrt, stopGradient, sub, tanh } from './ops/elementwise.ts';
import { matmul } from './ops/linalg.ts';
import { unsqueeze } from './ops/layout.ts';
import { max, mean, sum } from './ops/reduce.ts';
import { constant } from './ops/source.ts';
import type { Tensor } from './tensor.ts';

export function rsqrt(x: Tensor): Tensor {
  return div(1, sqrt(x));
}

/** Softmax along `axis`; the max is subtracted for stability and is a constant to the gradient. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const e = exp(sub(x, stopGradient(max(x, axis, true))));
  return div(e, sum(e, axis, true));
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const shifted = sub(x, stopGradient(max(x, axis, true)));
  return sub(shifted, log(sum(exp(shifted), axis, true)));
}

/** LayerNorm over the last axis (biased variance, as flax.linen.LayerNorm). */
export function layerNorm(x: Tensor, scale: Tensor, bias: Tensor, eps = 1e-6): Tensor {
  const mu = mean(x, -1, true);
  const xc = sub(x, mu);
  const variance = mean(mul(xc, xc), -1, true);
  return add(mul(mul(xc, rsqrt(add(variance, eps))), scale), bias);
}

/** GELU, tanh approximation (jax.nn.gelu's default, used by flax ViT). */
export function gelu(x: Tensor): Tensor {
  const c = Math.sqrt(2 / Math.PI);
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), c);
  return mul(mul(x, 0.5), add(tanh(inner), 1));
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
