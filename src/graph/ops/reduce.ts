// Reductions over axes (sum, max), and sumTo: the one place where broadcast gradients are summed back.
import { reduce } from '../ndarray.ts';
import { defineOp, fmt, GraphError, requireDtype } from '../op.ts';
import type { Shape, Tensor } from '../tensor.ts';
import { cast, div, equal, mul } from './elementwise.ts';
import { expand, reshape } from './layout.ts';

interface ReduceAttrs {
  axes: number[];
  keepdims: boolean;
}

function reduceInfer(name: string) {
  return ([x]: readonly Tensor[], a: ReduceAttrs) => {
    requireDtype(name, x, 'float32');
    for (const ax of a.axes) if (ax < 0 || ax >= x.rank) throw new GraphError(`${name}: axis ${ax} out of range for ${fmt(x.shape)}`);
    const shape = a.keepdims ? x.shape.map((d, i) => (a.axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !a.axes.includes(i));
    return { shape, dtype: x.dtype };
  };
}

function keptShape(x: Tensor, axes: readonly number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

const sumOp = defineOp<ReduceAttrs>({
  name: 'sum',
  infer: reduceInfer('sum'),
  vjp: (g, out, a) => {
    const x = out.inputs[0];
    return [expand(reshape(g, keptShape(x, a.axes)), x.shape)];
  },
  lower: (ctx, out, a) => ctx.node('ReduceSum', [ctx.name(out.inputs[0]), ctx.int64s(a.axes)], { keepdims: a.keepdims ? 1 : 0 })[0],
  evaluate: ([x], a, out) => ({ shape: out.shape, data: reduce(x, a.axes, 0, (s, v) => s + v).data }),
});

const maxOp = defineOp<ReduceAttrs>({
  name: 'max',
  infer: reduceInfer('max'),
  // Ties share the gradient equally.
  vjp: (g, out, a) => {
    const x = out.inputs[0];
    const kept = keptShape(x, a.axes);
    const hit = cast(equal(x, reshape(out, kept)), 'float32');
    const share = div(hit, sum(hit, a.axes, true));
    return [mul(share, reshape(g, kept))];
  },
  lower: (ctx, out, a) => ctx.node('ReduceMax', [ctx.name(out.inputs[0])], { axes: a.axes, keepdims: a.keepdims ? 1 : 0 })[0],
  evaluate: ([x], a, out) => ({ shape: out.shape, data: reduce(x, a.axes, -Infinity, Math.max).data }),
});

function axesOf(x: Tensor, axes: number | readonly number[]): number[] {
  const list = typeof axes === 'number' ? [axes] : [...axes];
  return [...new Set(list.map((ax) => (ax < 0 ? ax + x.rank : ax)))].sort((p, q) => p - q);
}

export function sum(x: Tensor, axes: number | readonly number[], keepdims = false): Tensor {
  return sumOp([x], { axes: axesOf(x, axes), keepdims });
}

export function max(x: Tensor, axes: number | readonly number[], keepdims = false): Tensor {
  return maxOp([x], { axes: axesOf(x, axes), keepdims });
}

export function mean(x: Tensor, axes: number | readonly number[], keepdims = false): Tensor {
  const ax = axesOf(x, axes);
  const n = ax.reduce((p, a) => p * x.shape[a], 1);
  return mul(sum(x, ax, keepdims), 1 / n);
}

/** Sums a gradient of a broadcast result back to the shape of the operand that was broadcast. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const off = g.rank - shape.length;
  if (off < 0) throw new GraphError(`sumTo: ${fmt(g.shape)} cannot sum to ${fmt(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < off) axes.push(i);
    else if (shape[i - off] === 1 && g.shape[i] !== 1) axes.push(i);
    else if (shape[i - off] !== g.shape[i]) throw new GraphError(`sumTo: ${fmt(g.shape)} cannot sum to ${fmt(shape)}`);
  }
  return reshape(axes.length > 0 ? sum(g, axes, false) : g, shape);
}
