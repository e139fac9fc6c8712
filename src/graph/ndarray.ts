// Plain float64 array kernels for the reference interpreter. Written for clarity, not speed:
// they check the ONNX Runtime results and the gradient rules on small graphs.
import type { NdArray, Shape } from './tensor.ts';
import { numel } from './tensor.ts';

/** A shape the kernels cannot take; the ops catch it and throw a GraphError with its message. */
export class ShapeError extends Error {}

export function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** numpy broadcasting of two shapes; `what` names the op for the error. */
export function broadcastShapes(a: Shape, b: Shape, what: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** For each flat index of `outShape`, the source index Σ coordinate[d] · srcStrides[d]. */
function strideIndex(outShape: Shape, srcStrides: readonly number[]): Int32Array {
  const n = numel(outShape);
  const idx = new Int32Array(n);
  const outStr = strides(outShape);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let j = 0;
    for (let d = 0; d < outShape.length; d++) {
      const c = Math.floor(rem / outStr[d]);
      rem -= c * outStr[d];
      j += c * srcStrides[d];
    }
    idx[i] = j;
  }
  return idx;
}

/** For each flat index of `outShape`, the flat index into an array of `shape` broadcast to it. */
export function broadcastIndex(shape: Shape, outShape: Shape): Int32Array {
  const inStr = strides(shape);
  const off = outShape.length - shape.length;
  // A broadcast (missing or size-1) axis has stride 0: every output coordinate reads the same element.
  return strideIndex(outShape, outShape.map((_, d) => (d >= off && shape[d - off] !== 1 ? inStr[d - off] : 0)));
}

export function map(inputs: NdArray[], outShape: Shape, f: (...xs: number[]) => number): NdArray {
  const idx = inputs.map((x) => broadcastIndex(x.shape, outShape));
  const n = numel(outShape);
  const data = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k].data[idx[k][i]];
    data[i] = f(...args);
  }
  return { shape: outShape, data };
}

export function transpose(x: NdArray, perm: readonly number[]): NdArray {
  const outShape = perm.map((p) => x.shape[p]);
  const inStr = strides(x.shape);
  const idx = strideIndex(outShape, perm.map((p) => inStr[p]));
  return { shape: outShape, data: Float64Array.from(idx, (j) => x.data[j]) };
}

/** Batched matmul with numpy broadcasting of the leading dimensions. */
export function matmul(a: NdArray, b: NdArray, outShape: Shape): NdArray {
  const m = a.shape[a.shape.length - 2];
  const k = a.shape[a.shape.length - 1];
  const n = b.shape[b.shape.length - 1];
  const batchShape = outShape.slice(0, -2);
  const aIdx = broadcastIndex(a.shape.slice(0, -2), batchShape);
  const bIdx = broadcastIndex(b.shape.slice(0, -2), batchShape);
  const data = new Float64Array(numel(outShape));
  for (let bi = 0; bi < aIdx.length; bi++) {
    const ao = aIdx[bi] * m * k;
    const bo = bIdx[bi] * k * n;
    const oo = bi * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.data[ao + i * k + p] * b.data[bo + p * n + j];
        data[oo + i * n + j] = s;
      }
    }
  }
  return { shape: outShape, data };
}

/** Reduces `axes` with `f` starting from `init`; the output keeps the reduced axes as size 1. */
export function reduce(x: NdArray, axes: readonly number[], init: number, f: (acc: number, v: number) => number): NdArray {
  const outShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(numel(outShape)).fill(init);
  const idx = broadcastIndex(outShape, x.shape);
  for (let i = 0; i < x.data.length; i++) out[idx[i]] = f(out[idx[i]], x.data[i]);
  return { shape: outShape, data: out };
}

export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${what}: axis ${axis} out of range for rank ${rank}`);
  return a;
}
