// Ops that move data without arithmetic: reshape, transpose, concat, slice, pad, expand.
import { broadcastIndex, normAxis, ShapeError, transpose as ndTranspose } from '../ndarray.ts';
import { defineOp, fmt, GraphError } from '../op.ts';
import type { NdArray, Shape, Tensor } from '../tensor.ts';
import { numel } from '../tensor.ts';

function axisOf(axis: number, rank: number, op: string): number {
  try {
    return normAxis(axis, rank, op);
  } catch (e) {
    if (e instanceof ShapeError) throw new GraphError(e.message);
    throw e;
  }
}

const reshapeOp = defineOp<{ shape: number[] }>({
  name: 'reshape',
  infer: ([x], a) => ({ shape: a.shape, dtype: x.dtype }),
  vjp: (g, out) => [reshape(g, out.inputs[0].shape)],
  lower: (ctx, out, a) => ctx.node('Reshape', [ctx.name(out.inputs[0]), ctx.int64s(a.shape)])[0],
  evaluate: ([x], a) => ({ shape: a.shape, data: x.data }),
});

/** Reshape; one dimension may be -1 and is inferred. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const known = shape.filter((d) => d !== -1);
  const free = shape.length - known.length;
  const n = numel(known);
  const target = [...shape];
  if (free > 1) throw new GraphError(`reshape ${fmt(x.shape)} -> ${fmt(shape)}: more than one -1`);
  if (free === 1) {
    if (n === 0 || x.size % n !== 0) throw new GraphError(`reshape ${fmt(x.shape)} -> ${fmt(shape)}: sizes do not divide`);
    target[target.indexOf(-1)] = x.size / n;
  }
  if (numel(target) !== x.size) throw new GraphError(`reshape ${fmt(x.shape)} -> ${fmt(shape)}: ${x.size} elements do not fit`);
  if (target.every((d, i) => d === x.shape[i]) && target.length === x.rank) return x;
  return reshapeOp([x], { shape: target });
}

const transposeOp = defineOp<{ perm: number[] }>({
  name: 'transpose',
  infer: ([x], a) => {
    const sorted = [...a.perm].sort((p, q) => p - q);
    if (a.perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
      throw new GraphError(`transpose: perm ${fmt(a.perm)} does not fit ${fmt(x.shape)}`);
    }
    return { shape: a.perm.map((p) => x.shape[p]), dtype: x.dtype };
  },
  vjp: (g, _out, a) => {
    const inv = new Array<number>(a.perm.length);
    a.perm.forEach((p, i) => (inv[p] = i));
    return [transpose(g, inv)];
  },
  lower: (ctx, out, a) => ctx.node('Transpose', [ctx.name(out.inputs[0])], { perm: a.perm })[0],
  evaluate: ([x], a) => ndTranspose(x, a.perm),
});

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((p, i) => p === i)) return x;
  return transposeOp([x], { perm: [...perm] });
}

/** Copies `x`'s blocks along `axis` into `out` at `offset` (or back, when `read` is set). */
function blockCopy(x: NdArray, out: NdArray, axis: number, offset: number, read: boolean): void {
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const xa = x.shape[axis];
  const oa = out.shape[axis];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < xa * inner; j++) {
      const oi = o * oa * inner + offset * inner + j;
      const xi = o * xa * inner + j;
      if (read) x.data[xi] = out.data[oi];
      else out.data[oi] = x.data[xi];
    }
  }
}

const concatOp = defineOp<{ axis: number }>({
  name: 'concat',
  infer: (xs, a) => {
    const first = xs[0];
    let total = 0;
    for (const x of xs) {
      const ok = x.rank === first.rank && x.dtype === first.dtype && x.shape.every((d, i) => i === a.axis || d === first.shape[i]);
      if (!ok) throw new GraphError(`concat on axis ${a.axis}: ${xs.map((t) => fmt(t.shape)).join(', ')} do not fit`);
      total += x.shape[a.axis];
    }
    const shape = [...first.shape];
    shape[a.axis] = total;
    return { shape, dtype: first.dtype };
  },
  vjp: (g, out, a, needed) => {
    let offset = 0;
    return out.inputs.map((x, i) => {
      const start = offset;
      offset += x.shape[a.axis];
      return needed[i] ? slice(g, a.axis, start, offset) : null;
    });
  },
  lower: (ctx, out, a) => ctx.node('Concat', out.inputs.map((x) => ctx.name(x)), { axis: a.axis })[0],
  evaluate: (xs, a, out) => {
    const res = { shape: out.shape, data: new Float64Array(out.size) };
    let offset = 0;
    for (const x of xs) {
      blockCopy(x, res, a.axis, offset, false);
      offset += x.shape[a.axis];
    }
    return res;
  },
});

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new GraphError('concat of nothing');
  if (xs.length === 1) return xs[0];
  return concatOp(xs, { axis: axisOf(axis, xs[0].rank, 'concat') });
}

const sliceOp = defineOp<{ axis: number; start: number; end: number }>({
  name: 'slice',
  infer: ([x], a) => {
    if (a.start < 0 || a.end > x.shape[a.axis] || a.start >= a.end) {
      throw new GraphError(`slice [${a.start}, ${a.end}) on axis ${a.axis} of ${fmt(x.shape)} is out of range`);
    }
    const shape = [...x.shape];
    shape[a.axis] = a.end - a.start;
    return { shape, dtype: x.dtype };
  },
  vjp: (g, out, a) => [pad(g, a.axis, a.start, out.inputs[0].shape[a.axis] - a.end)],
  lower: (ctx, out, a) =>
    ctx.node('Slice', [ctx.name(out.inputs[0]), ctx.int64s([a.start]), ctx.int64s([a.end]), ctx.int64s([a.axis])])[0],
  evaluate: ([x], a, out) => {
    const res = { shape: out.shape, data: new Float64Array(out.size) };
    blockCopy(res, x, a.axis, a.start, true);
    return res;
  },
});

/** Elements start..end-1 along `axis`. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = axisOf(axis, x.rank, 'slice');
  if (start === 0 && end === x.shape[ax]) return x;
  return sliceOp([x], { axis: ax, start, end });
}

const padOp = defineOp<{ axis: number; before: number; after: number }>({
  name: 'pad',
  infer: ([x], a) => {
    const shape = [...x.shape];
    shape[a.axis] += a.before + a.after;
    return { shape, dtype: x.dtype };
  },
  vjp: (g, out, a) => [slice(g, a.axis, a.before, a.before + out.inputs[0].shape[a.axis])],
  lower: (ctx, out, a) => {
    const x = out.inputs[0];
    const pads = new Array<number>(2 * x.rank).fill(0);
    pads[a.axis] = a.before;
    pads[x.rank + a.axis] = a.after;
    return ctx.node('Pad', [ctx.name(x), ctx.int64s(pads)], { mode: 'constant' })[0];
  },
  evaluate: ([x], a, out) => {
    const res = { shape: out.shape, data: new Float64Array(out.size) };
    blockCopy(x, res, a.axis, a.before, false);
    return res;
  },
});

/** Zero padding along one axis. */
export function pad(x: Tensor, axis: number, before: number, after: number): Tensor {
  if (before === 0 && after === 0) return x;
  return padOp([x], { axis: axisOf(axis, x.rank, 'pad'), before, after });
}

const expandOp = defineOp<{ shape: number[] }>({
  name: 'expand',
  infer: ([x], a) => {
    const off = a.shape.length - x.rank;
    const ok = off >= 0 && x.shape.every((d, i) => d === 1 || d === a.shape[off + i]);
    if (!ok) throw new GraphError(`expand ${fmt(x.shape)} -> ${fmt(a.shape)}: not a broadcast`);
    return { shape: a.shape, dtype: x.dtype };
  },
  // The gradient in the output's shape; autodiff sums it back to the input's.
  vjp: (g) => [g],
  lower: (ctx, out, a) => ctx.node('Expand', [ctx.name(out.inputs[0]), ctx.int64s(a.shape)])[0],
  evaluate: ([x], a) => {
    const idx = broadcastIndex(x.shape, a.shape);
    return { shape: a.shape, data: Float64Array.from(idx, (i) => x.data[i]) };
  },
});

/** Broadcasts `x` to `shape` (numpy rules). */
export function expand(x: Tensor, shape: Shape): Tensor {
  if (shape.length === x.rank && shape.every((d, i) => d === x.shape[i])) return x;
  return expandOp([x], { shape: [...shape] });
}

/** Inserts a size-1 axis at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const ax = axis < 0 ? axis + x.rank + 1 : axis;
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return reshape(x, shape);
}
