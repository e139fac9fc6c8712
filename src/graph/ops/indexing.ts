// Ops on integer indices: gather rows, scatter-add rows (gather's gradient), top-k indices. Indices are
// int32 in the IR: WebGPU has no int64 kernels for the reshapes, votes and casts they pass through.
import { defineOp, fmt, GraphError, requireDtype } from '../op.ts';
import type { NdArray, Tensor } from '../tensor.ts';
import { numel } from '../tensor.ts';
import { cast, onnxTypeCode } from './elementwise.ts';

function rowCopy(idx: NdArray, src: NdArray, dst: NdArray, rowSize: number, rows: number, scatter: boolean): void {
  for (let i = 0; i < idx.data.length; i++) {
    let r = idx.data[i];
    if (r < 0) r += rows;
    if (r < 0 || r >= rows) throw new GraphError(`index ${idx.data[i]} out of range for ${rows} rows`);
    for (let j = 0; j < rowSize; j++) {
      if (scatter) dst.data[r * rowSize + j] += src.data[i * rowSize + j];
      else dst.data[i * rowSize + j] = src.data[r * rowSize + j];
    }
  }
}

const gatherOp = defineOp<Record<string, never>>({
  name: 'gather',
  infer: ([table, idx]) => {
    requireDtype('gather', idx, 'int32', 'int64');
    if (table.rank < 1) throw new GraphError(`gather: table ${fmt(table.shape)} has no rows`);
    return { shape: [...idx.shape, ...table.shape.slice(1)], dtype: table.dtype };
  },
  vjp: (g, out, _a, needed) => {
    const [table, idx] = out.inputs;
    return [needed[0] ? scatterAdd(idx, g, table.shape[0]) : null, null];
  },
  lower: (ctx, out) => ctx.node('Gather', out.inputs.map((x) => ctx.name(x)), { axis: 0 })[0],
  evaluate: ([table, idx], _a, out) => {
    const res = { shape: out.shape, data: new Float64Array(out.size) };
    rowCopy(idx, table, res, numel(table.shape.slice(1)), table.shape[0], false);
    return res;
  },
});

/** Rows of `table` picked by `idx`: [...idx.shape, ...table.shape[1:]]. */
export function gather(table: Tensor, idx: Tensor): Tensor {
  return gatherOp([table, idx], {});
}

const scatterAddOp = defineOp<{ rows: number }>({
  name: 'scatterAdd',
  infer: ([idx, upd], a) => {
    requireDtype('scatterAdd', idx, 'int32');
    const ok = upd.rank >= idx.rank && idx.shape.every((d, i) => d === upd.shape[i]);
    if (!ok) throw new GraphError(`scatterAdd: updates ${fmt(upd.shape)} do not start with indices ${fmt(idx.shape)}`);
    return { shape: [a.rows, ...upd.shape.slice(idx.rank)], dtype: upd.dtype };
  },
  vjp: (g, out, _a, needed) => [null, needed[1] ? gather(g, out.inputs[0]) : null],
  lower: (ctx, out) => {
    const [idx, upd] = out.inputs;
    const zeros = ctx.node('ConstantOfShape', [ctx.int64s(out.shape)], {
      value: { tensor: { dtype: upd.dtype, dims: [1], values: [0] } },
    })[0];
    if (ctx.target === 'webgpu') {
      // ScatterElements takes int32 indices, one per element: [K] -> [K, R] against updates [K, R].
      const k = idx.size;
      const r = upd.size / k;
      const rows = ctx.node('Reshape', [ctx.name(idx), ctx.int64s([k, 1])])[0]; // [K, 1]
      const at = ctx.node('Expand', [rows, ctx.int64s([k, r])])[0]; // [K, R]
      const flat = ctx.node('Reshape', [ctx.name(upd), ctx.int64s([k, r])])[0]; // [K, R]
      const table = ctx.node('Reshape', [zeros, ctx.int64s([out.shape[0], r])])[0]; // [rows, R]
      const sum = ctx.node('ScatterElements', [table, at, flat], { axis: 0, reduction: 'add' })[0];
      return ctx.node('Reshape', [sum, ctx.int64s(out.shape)])[0];
    }
    const idx64 = ctx.node('Cast', [ctx.name(idx)], { to: onnxTypeCode('int64') })[0];
    const idx1 = ctx.node('Unsqueeze', [idx64, ctx.int64s([-1])])[0]; // [..., 1]
    return ctx.node('ScatterND', [zeros, idx1, ctx.name(upd)], { reduction: 'add' })[0];
  },
  evaluate: ([idx, upd], a, out) => {
    const res = { shape: out.shape, data: new Float64Array(out.size) };
    rowCopy(idx, upd, res, numel(out.shape.slice(1)), a.rows, true);
    return res;
  },
});

/** A zero [rows, ...] array with `upd`'s rows added at `idx` (repeats add up). */
export function scatterAdd(idx: Tensor, upd: Tensor, rows: number): Tensor {
  return scatterAddOp([cast(idx, 'int32'), upd], { rows });
}

const topkOp = defineOp<{ k: number }>({
  name: 'topk',
  infer: ([x], a) => {
    requireDtype('topk', x, 'float32');
    const n = x.shape[x.rank - 1];
    if (!(a.k >= 1 && a.k <= n)) throw new GraphError(`topk: k=${a.k} for last axis of ${fmt(x.shape)}`);
    return { shape: [...x.shape.slice(0, -1), a.k], dtype: 'int32' };
  },
  lower: (ctx, out, a) => {
    const x = out.inputs[0];
    const idx = ctx.node('TopK', [ctx.name(x), ctx.int64s([a.k])], { axis: -1, largest: 1, sorted: 1 }, 2)[1]; // int64
    // int64 -> int32 by a lookup in [0, n): WebGPU has no Cast from int64, but gathers with int64 indices.
    const iota = ctx.int32s(Array.from({ length: x.shape[x.rank - 1] }, (_, i) => i));
    return ctx.node('Gather', [iota, idx], { axis: 0 })[0];
  },
  evaluate: ([x], a, out) => {
    const n = x.shape[x.shape.length - 1];
    const rows = x.data.length / n;
    const res = new Float64Array(rows * a.k);
    for (let r = 0; r < rows; r++) {
      const order = Array.from({ length: n }, (_, i) => i);
      // Descending by value; equal values keep the lower index first, as ONNX TopK and lax.top_k do.
      order.sort((p, q) => x.data[r * n + q] - x.data[r * n + p] || p - q);
      for (let j = 0; j < a.k; j++) res[r * a.k + j] = order[j];
    }
    return { shape: out.shape, data: res };
  },
});

/** Indices (int32) of the k largest values along the last axis, largest first. No gradient. */
export function topk(x: Tensor, k: number): Tensor {
  return topkOp([x], { k });
}
