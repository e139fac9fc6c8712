// Matrix multiplication with numpy semantics: [..., m, k] @ [..., k, n], leading dims broadcast.
import { broadcastShapes, matmul as ndMatmul, ShapeError } from '../ndarray.ts';
import { defineOp, fmt, GraphError, requireDtype } from '../op.ts';
import type { Tensor } from '../tensor.ts';
import { reshape, transpose } from './layout.ts';

const matmulOp = defineOp<Record<string, never>>({
  name: 'matmul',
  infer: ([a, b]) => {
    requireDtype('matmul', a, 'float32');
    requireDtype('matmul', b, 'float32');
    if (a.rank < 2 || b.rank < 2) throw new GraphError(`matmul: needs rank >= 2, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) throw new GraphError(`matmul: inner dimensions differ in ${fmt(a.shape)} @ ${fmt(b.shape)}`);
    try {
      const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
      return { shape: [...batch, m, n], dtype: 'float32' };
    } catch (e) {
      if (e instanceof ShapeError) throw new GraphError(`${e.message} (${fmt(a.shape)} @ ${fmt(b.shape)})`);
      throw e;
    }
  },
  vjp: (g, out, _a, needed) => {
    const [a, b] = out.inputs;
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needed[0]) ga = matmul(g, swapLast(b)); // [..., m, n] @ [..., n, k]
    if (needed[1]) {
      if (b.rank === 2 && a.rank > 2) {
        // A weight shared over a batch: one [k, rows] @ [rows, n] product instead of a batch and a sum.
        const k = a.shape[a.rank - 1];
        const n = g.shape[g.rank - 1];
        gb = matmul(transpose(reshape(a, [-1, k]), [1, 0]), reshape(g, [-1, n])); // [k, n]
      } else {
        gb = matmul(swapLast(a), g); // [..., k, m] @ [..., m, n]
      }
    }
    return [ga, gb];
  },
  // fp16: float16 operands and product, cast back to float32 for whatever follows (docs/gpu.md).
  lower: (ctx, out) =>
    ctx.precision === 'fp16'
      ? ctx.fromHalf(out, ctx.node('MatMul', out.inputs.map((x) => ctx.half(x)))[0])
      : ctx.node('MatMul', out.inputs.map((x) => ctx.name(x)))[0],
  evaluate: ([a, b], _a, out) => ndMatmul(a, b, out.shape),
  // 2·m·k·n per product, and per broadcast batch.
  flops: (out) => 2 * out.size * out.inputs[0].shape[out.inputs[0].rank - 1],
});

export function matmul(a: Tensor, b: Tensor): Tensor {
  return matmulOp([a, b], {});
}

/** Swaps the last two axes. */
export function swapLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return transpose(x, perm);
}
