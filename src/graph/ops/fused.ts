// Fused forms of three composites that dominate a transformer's non-matmul time. Each lowers to one
// ONNX Runtime kernel instead of 5-10 elementwise nodes; its gradient rule is built from primitives
// and checked like every other (test/graph/vjp.test.ts), and its value against the composite formula.
import { map, reduce } from '../ndarray.ts';
import { defineOp, fmt, GraphError, requireDtype } from '../op.ts';
import type { NdArray, Tensor } from '../tensor.ts';
import { add, div, mul, sigmoid, sqrt, sub } from './elementwise.ts';
import { mean, sum } from './reduce.ts';

const lastAxis = (x: NdArray) => [x.shape.length - 1];

const softmaxOp = defineOp<Record<string, never>>({
  name: 'softmax',
  infer: ([x]) => {
    requireDtype('softmax', x, 'float32');
    return { shape: x.shape, dtype: x.dtype };
  },
  // dx = y · (g − Σ g·y)
  vjp: (g, out) => [mul(out, sub(g, sum(mul(g, out), -1, true)))],
  lower: (ctx, out) => ctx.node('Softmax', [ctx.name(out.inputs[0])], { axis: -1 })[0],
  evaluate: ([x]) => {
    const m = reduce(x, lastAxis(x), -Infinity, Math.max);
    const e = map([x, m], x.shape, (v, mx) => Math.exp(v - mx));
    const s = reduce(e, lastAxis(e), 0, (a, v) => a + v);
    return map([e, s], x.shape, (v, t) => v / t);
  },
});

/** Softmax along the last axis. */
export function softmaxLast(x: Tensor): Tensor {
  return softmaxOp([x], {});
}

const layerNormOp = defineOp<{ eps: number }>({
  name: 'layerNorm',
  infer: ([x, scale, bias]) => {
    const d = x.shape[x.rank - 1];
    if (scale.rank !== 1 || bias.rank !== 1 || scale.shape[0] !== d || bias.shape[0] !== d) {
      throw new GraphError(`layerNorm: scale ${fmt(scale.shape)} and bias ${fmt(bias.shape)} must be [${d}] for ${fmt(x.shape)}`);
    }
    return { shape: x.shape, dtype: x.dtype };
  },
  vjp: (g, out, a, needed) => {
    const [x, scale] = out.inputs;
    const xc = sub(x, mean(x, -1, true));
    const rstd = div(1, sqrt(add(mean(mul(xc, xc), -1, true), a.eps)));
    const xhat = mul(xc, rstd);
    let dx: Tensor | null = null;
    if (needed[0]) {
      const dxhat = mul(g, scale);
      // dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂))
      dx = mul(rstd, sub(sub(dxhat, mean(dxhat, -1, true)), mul(xhat, mean(mul(dxhat, xhat), -1, true))));
    }
    return [dx, needed[1] ? mul(g, xhat) : null, needed[2] ? g : null];
  },
  lower: (ctx, out, a) =>
    ctx.node('LayerNormalization', out.inputs.map((t) => ctx.name(t)), { axis: -1, epsilon: { float: a.eps } })[0],
  evaluate: ([x, scale, bias], a) => {
    const ax = lastAxis(x);
    const d = x.shape[x.shape.length - 1];
    const mu = map([reduce(x, ax, 0, (s, v) => s + v)], keep(x), (s) => s / d);
    const xc = map([x, mu], x.shape, (v, m) => v - m);
    const variance = map([reduce(xc, ax, 0, (s, v) => s + v * v)], keep(x), (s) => s / d);
    return map([xc, variance, scale, bias], x.shape, (v, s2, sc, b) => (v / Math.sqrt(s2 + a.eps)) * sc + b);
  },
});

function keep(x: NdArray): number[] {
  return x.shape.map((d, i) => (i === x.shape.length - 1 ? 1 : d));
}

/** LayerNorm over the last axis with biased variance (flax.linen.LayerNorm). */
export function layerNormLast(x: Tensor, scale: Tensor, bias: Tensor, eps: number): Tensor {
  return layerNormOp([x, scale, bias], { eps });
}

const C = Math.sqrt(2 / Math.PI);
const K = 0.044715;

const geluOp = defineOp<Record<string, never>>({
  name: 'gelu',
  infer: ([x]) => {
    requireDtype('gelu', x, 'float32');
    return { shape: x.shape, dtype: x.dtype };
  },
  // d/dx [½x(1 + t)], t = tanh(c(x + kx³)), is ½(1 + t) + ½x(1 − t²)·c(1 + 3kx²). With
  // s = ½(1 + t) = σ(2c(x + kx³)) and 1 − t² = 4s(1 − s) it is s·(1 + (1 − s)·x·(2c + 6ck·x²)):
  // 13 elementwise passes over the MLP's widest tensor where the tanh form takes 19.
  vjp: (g, out) => {
    const x = out.inputs[0];
    const x2 = mul(x, x);
    const s = sigmoid(mul(x, add(mul(x2, 2 * C * K), 2 * C)));
    const p = mul(x, add(mul(x2, 6 * C * K), 2 * C));
    return [mul(g, mul(s, add(mul(sub(1, s), p), 1)))];
  },
  // onnxruntime's FastGelu is exactly the tanh approximation.
  lower: (ctx, out) => ctx.node('FastGelu', [ctx.name(out.inputs[0])], {}, 1, 'com.microsoft')[0],
  evaluate: ([x]) => map([x], x.shape, (v) => 0.5 * v * (1 + Math.tanh(C * (v + K * v * v * v)))),
});

/** GELU, tanh approximation (jax.nn.gelu's default, as the flax ViT uses). */
export function geluTanh(x: Tensor): Tensor {
  return geluOp([x], {});
}
