// An int8 dense layer for the opt-in fast query path: activations quantized on the fly (uint8,
// per tensor, ONNX DynamicQuantizeLinear), weights quantized once (7 bits of int8, symmetric, per
// output column), an integer matmul, then rescaled. Forward only: the query needs no gradient.
import { interpret } from '../interp.ts';
import { map } from '../ndarray.ts';
import { defineOp, fmt, GraphError, requireDtype } from '../op.ts';
import type { NdArray, Tensor } from '../tensor.ts';
import { constant } from './source.ts';

/** Round half to even, as ONNX's quantizers do. */
function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** DynamicQuantizeLinear's scale and zero point for the whole tensor. */
function dynamicParams(x: NdArray): { scale: number; zp: number } {
  let lo = 0;
  let hi = 0;
  for (const v of x.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const scale = (hi - lo) / 255 || 1;
  return { scale, zp: Math.min(255, Math.max(0, roundEven(-lo / scale))) };
}

const qdenseOp = defineOp<Record<string, never>>({
  name: 'qdense',
  infer: ([x, wq, ws, b]) => {
    requireDtype('qdense', x, 'float32');
    requireDtype('qdense', wq, 'int8');
    const [k, n] = wq.shape;
    if (wq.rank !== 2 || x.shape[x.rank - 1] !== k || ws.shape.join() !== `${n}` || b.shape.join() !== `${n}`) {
      throw new GraphError(`qdense: ${fmt(x.shape)} @ ${fmt(wq.shape)} with scales ${fmt(ws.shape)} and bias ${fmt(b.shape)} do not fit`);
    }
    return { shape: [...x.shape.slice(0, -1), n], dtype: 'float32' };
  },
  lower: (ctx, out) => {
    const [x, wq, ws, b] = out.inputs.map((t) => ctx.name(t));
    const [xq, xs, xzp] = ctx.node('DynamicQuantizeLinear', [x], {}, 3);
    const acc = ctx.node('MatMulInteger', [xq, wq, xzp])[0]; // int32
    const scale = ctx.node('Mul', [xs, ws])[0]; // [N]
    const y = ctx.node('Mul', [ctx.node('Cast', [acc], { to: 1 })[0], scale])[0];
    return ctx.node('Add', [y, b])[0];
  },
  evaluate: ([x, wq, ws, b], _a, out) => {
    const { scale, zp } = dynamicParams(x);
    const xq = map([x], x.shape, (v) => Math.min(255, Math.max(0, roundEven(v / scale) + zp)) - zp);
    const [k, n] = wq.shape;
    const rows = xq.data.length / k;
    const data = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += xq.data[r * k + p] * wq.data[p * n + j];
        data[r * n + j] = s * scale * ws.data[j] + b.data[j];
      }
    }
    return { shape: out.shape, data };
  },
  // The products of a dense layer, in int8.
  flops: (out) => 2 * out.size * out.inputs[0].shape[out.inputs[0].rank - 1],
});

/** The largest weight magnitude in int8 steps: [-63, 63]. */
const WEIGHT_LEVELS = 63;

/**
 * x @ W + b with `kernel` ([K, N], built from constants only) quantized to int8 per column when the
 * graph is built, and x quantized per call.
 */
export function qdense(x: Tensor, kernel: Tensor, bias: Tensor): Tensor {
  const [w] = interpret([kernel]); // constant-folded: the weights are frozen
  const [k, n] = kernel.shape;
  const scales = new Float32Array(n);
  const wq = new Int8Array(k * n);
  for (let j = 0; j < n; j++) {
    let m = 0;
    for (let p = 0; p < k; p++) m = Math.max(m, Math.abs(w.data[p * n + j]));
    // 7 bits, as ONNX Runtime's own quantizer does with reduce_range: on x86 without VNNI its u8 x s8
    // kernel adds pairs of products in int16 (vpmaddubsw), which saturates past 2 * 255 * 64.
    scales[j] = m / WEIGHT_LEVELS || 1;
    for (let p = 0; p < k; p++) wq[p * n + j] = Math.max(-WEIGHT_LEVELS, Math.min(WEIGHT_LEVELS, roundEven(w.data[p * n + j] / scales[j])));
  }
  return qdenseOp([x, constant(wq, [k, n]), constant(scales, [n]), bias], {});
}
