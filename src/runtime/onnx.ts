// Lowers an IR graph to an ONNX ModelProto (opset 17): constants become initializers, inputs become
// graph inputs, each op emits its nodes through its own `lower` rule.
import { ProtoWriter } from '../io/protobuf.ts';
import { GraphError } from '../graph/op.ts';
import { onnxTypeCode } from '../graph/ops/elementwise.ts';
import type { ConstValue, DType, LowerCtx, LowerTarget, OnnxAttr, Shape, Tensor } from '../graph/tensor.ts';
import { topoSort } from '../graph/tensor.ts';

export const OPSET = 17;
const IR_VERSION = 8;

// ONNX protobuf field numbers (onnx.proto).
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
const OPSET_ID = { domain: 1, version: 2 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTR = { name: 1, f: 2, i: 3, s: 4, t: 5, ints: 8, type: 20 } as const;
const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { value: 1, param: 2 } as const;

/** What travels in a model: the IR's dtypes, and float16 (the fp16 lowering's weights and products). */
export type WireType = DType | 'float16';
/** float16 values as their IEEE 754 half-precision bits (ONNX Runtime's JS tensors hold them so). */
export type WireValue = ConstValue | Uint16Array;

export interface OnnxModel {
  bytes: Uint8Array;
  /** Graph inputs in order, with the shapes and dtypes the feeds must have. */
  inputs: { name: string; shape: Shape; dtype: DType }[];
  outputs: { name: string; shape: Shape; dtype: DType }[];
  /** Constants lowered as graph inputs (see LowerOptions.constantsAsInputsOver): fed by the runtime. */
  constantInputs: { name: string; shape: Shape; dtype: WireType; value: WireValue }[];
}

export interface LowerOptions {
  /**
   * Constants with more elements than this become graph inputs instead of initializers, fed from the
   * caller's arrays at run time: the runtime then keeps no copy of its own (nor a pre-packed one), so
   * sessions over the same weights share them. Infinity (the default) keeps every constant inside.
   */
  constantsAsInputsOver?: number;
  /** The provider the graph is for (default 'cpu'): ops pick kernels it has (see LowerTarget). */
  target?: LowerTarget;
  /**
   * 'fp16': every matmul (dense layers, attention, their gradients) on float16 operands, cast back to
   * float32 after; LayerNorm, softmax, the loss and every fed or returned tensor stay float32. Weights
   * fed by the runtime (constantsAsInputsOver) are fed as float16 where only products read them.
   * (Default 'fp32'.)
   */
  precision?: 'fp32' | 'fp16';
}

const FLOAT16 = 10;
const typeCode = (d: WireType): number => (d === 'float16' ? FLOAT16 : onnxTypeCode(d));

const halfCopies = new WeakMap<Float32Array, Uint16Array>();
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 to IEEE 754 half-precision bits, rounding to nearest even (overflow to infinity). */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (man >>> 13);
  const rest = man & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** A weight's float16 copy, made once per array (every session over the same weights shares it). */
export function halfCopy(values: Float32Array): Uint16Array {
  let h = halfCopies.get(values);
  if (!h) {
    h = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) h[i] = toHalfBits(values[i]);
    halfCopies.set(values, h);
  }
  return h;
}

function rawBytes(values: WireValue): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function writeTensor(w: ProtoWriter, name: string, dtype: WireType, dims: Shape, raw: Uint8Array): void {
  for (const d of dims) w.varint(TENSOR.dims, d);
  w.varint(TENSOR.dataType, typeCode(dtype));
  if (name) w.string(TENSOR.name, name);
  w.bytes(TENSOR.rawData, raw);
}

function writeValueInfo(w: ProtoWriter, name: string, dtype: WireType, shape: Shape): void {
  writeValueInfoCode(w, name, typeCode(dtype), shape);
}

/** A value's type by its ONNX element-type code; a string dimension is symbolic (any size). */
function writeValueInfoCode(w: ProtoWriter, name: string, code: number, shape: readonly (number | string)[]): void {
  w.string(VALUE_INFO.name, name);
  w.message(VALUE_INFO.type, (t) =>
    t.message(TYPE.tensorType, (tt) => {
      tt.varint(TENSOR_TYPE.elemType, code);
      tt.message(TENSOR_TYPE.shape, (s) => {
        for (const d of shape) s.message(SHAPE.dim, (dm) => (typeof d === 'number' ? dm.varint(DIM.value, d) : dm.string(DIM.param, d)));
      });
    }),
  );
}

function writeAttr(w: ProtoWriter, name: string, v: OnnxAttr): void {
  w.string(ATTR.name, name);
  if (typeof v === 'number') {
    w.varint(ATTR.type, ATTR_TYPE.INT).varint(ATTR.i, v);
  } else if (typeof v === 'string') {
    w.varint(ATTR.type, ATTR_TYPE.STRING).string(ATTR.s, v);
  } else if (Array.isArray(v)) {
    w.varint(ATTR.type, ATTR_TYPE.INTS);
    for (const x of v) w.varint(ATTR.ints, x);
  } else if ('float' in v) {
    w.varint(ATTR.type, ATTR_TYPE.FLOAT).float(ATTR.f, v.float);
  } else {
    const { dtype, dims, values } = v.tensor;
    const data = constArray(dtype, values);
    w.varint(ATTR.type, ATTR_TYPE.TENSOR).message(ATTR.t, (t) => writeTensor(t, '', dtype, dims, rawBytes(data)));
  }
}

function constArray(dtype: DType, values: readonly number[]): ConstValue {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (x) => BigInt(x));
    case 'bool':
      return Uint8Array.from(values, (x) => (x ? 1 : 0));
    case 'int8':
      return Int8Array.from(values);
  }
}

/** The ModelProto around a graph. */
function modelBytes(graph: ProtoWriter, domains: Iterable<string>): Uint8Array {
  // The graph's chunks are referenced, not re-encoded: weights are copied once, into the final buffer.
  const model = new ProtoWriter();
  model.varint(MODEL.irVersion, IR_VERSION);
  model.string(MODEL.producerName, 'l2p-ts');
  model.message(MODEL.opsetImport, (w) => w.string(OPSET_ID.domain, '').varint(OPSET_ID.version, OPSET));
  // Contrib ops of onnxruntime (FastGelu) live in their own domain, version 1.
  for (const d of domains) model.message(MODEL.opsetImport, (w) => w.string(OPSET_ID.domain, d).varint(OPSET_ID.version, 1));
  model.message(MODEL.graph, (w) => w.append(graph));
  return model.finish();
}

/** Lowers the graph computing `outputs` (keyed by their ONNX output names). */
export function toOnnx(outputs: Record<string, Tensor>, opts: LowerOptions = {}, graphName = 'l2p'): OnnxModel {
  const limit = opts.constantsAsInputsOver ?? Infinity;
  const constantInputs: OnnxModel['constantInputs'] = [];
  const outList = Object.entries(outputs);
  const order = topoSort(outList.map(([, t]) => t));
  const graph = new ProtoWriter();
  const names = new Map<number, string>();
  const used = new Set<string>();
  const fresh = (base: string): string => {
    let n = base;
    for (let i = 1; used.has(n); i++) n = `${base}_${i}`;
    used.add(n);
    return n;
  };
  const inputs: OnnxModel['inputs'] = [];
  const int64Cache = new Map<string, string>();
  const int32Cache = new Map<string, string>();
  const domains = new Set<string>();
  const precision = opts.precision ?? 'fp32';
  // fp16: fed weights (and their transposes and reshapes) are lowered when first read, as float32 or
  // float16, so a weight only products read is fed once, as float16.
  const readsWeight = (t: Tensor): boolean => t.op === 'constant' || ((t.op === 'transpose' || t.op === 'reshape') && readsWeight(t.inputs[0]));
  const fedWeight = (t: Tensor): boolean =>
    precision === 'fp16' && ((t.op === 'constant' && t.size > limit) || ((t.op === 'transpose' || t.op === 'reshape') && fedWeight(t.inputs[0])));
  const halves = new Map<number, string>();

  const ctx: LowerCtx = {
    target: opts.target ?? 'cpu',
    precision,
    name: (t) => {
      let n = names.get(t.id);
      if (n === undefined && fedWeight(t)) names.set(t.id, (n = t.rules.lower(ctx, t)));
      if (n === undefined) throw new GraphError(`lowering: ${t} used before it was lowered`);
      return n;
    },
    half: (t) => {
      let n = halves.get(t.id);
      if (n !== undefined) return n;
      if (t.dtype !== 'float32') throw new GraphError(`lowering: float16 of ${t}, which is ${t.dtype}`);
      if (t.op === 'constant') {
        n = fresh(`${t.label ?? `c${t.id}`}_f16`);
        const bits = halfCopy(t.value as Float32Array);
        if (t.size > limit) constantInputs.push({ name: n, shape: t.shape, dtype: 'float16', value: bits });
        else graph.message(GRAPH.initializer, (w) => writeTensor(w, n!, 'float16', t.shape, rawBytes(bits)));
      } else if ((t.op === 'transpose' || t.op === 'reshape') && readsWeight(t)) {
        // A weight's transpose (a product's gradient) moves its float16 copy, not a float32 one.
        n = t.rules.lower({ ...ctx, name: (u) => ctx.half(u) }, t);
      } else {
        n = ctx.node('Cast', [ctx.name(t)], { to: FLOAT16 })[0];
      }
      halves.set(t.id, n);
      return n;
    },
    fromHalf: (t, name16) => {
      halves.set(t.id, name16);
      return ctx.node('Cast', [name16], { to: onnxTypeCode('float32') })[0];
    },
    int64s: (values) => {
      const key = values.join(',');
      const hit = int64Cache.get(key);
      if (hit) return hit;
      const name = fresh(`i64_${values.length}`);
      const data = BigInt64Array.from(values, (x) => BigInt(x));
      graph.message(GRAPH.initializer, (w) => writeTensor(w, name, 'int64', [values.length], rawBytes(data)));
      int64Cache.set(key, name);
      return name;
    },
    int32s: (values) => {
      const key = values.join(',');
      const hit = int32Cache.get(key);
      if (hit) return hit;
      const name = fresh(`i32_${values.length}`);
      graph.message(GRAPH.initializer, (w) => writeTensor(w, name, 'int32', [values.length], rawBytes(Int32Array.from(values))));
      int32Cache.set(key, name);
      return name;
    },
    input: (t) => {
      inputs.push({ name: t.label!, shape: t.shape, dtype: t.dtype });
      return t.label!;
    },
    constant: (t) => {
      const name = fresh(t.label ?? `c${t.id}`);
      if (t.size > limit) constantInputs.push({ name, shape: t.shape, dtype: t.dtype, value: t.value! });
      else graph.message(GRAPH.initializer, (w) => writeTensor(w, name, t.dtype, t.shape, rawBytes(t.value!)));
      return name;
    },
    float32s: (values, dims) => {
      const name = fresh('f32');
      graph.message(GRAPH.initializer, (w) => writeTensor(w, name, 'float32', dims, rawBytes(Float32Array.from(values))));
      return name;
    },
    node: (opType, ins, attrs = {}, outs, domain) => {
      const outNames = Array.isArray(outs) ? outs : Array.from({ length: outs ?? 1 }, () => fresh(opType.toLowerCase()));
      for (const o of outNames) used.add(o);
      graph.message(GRAPH.node, (w) => {
        for (const i of ins) w.string(NODE.input, i);
        for (const o of outNames) w.string(NODE.output, o);
        // Named after its first output: ONNX Runtime's placement log and profiles then say which node.
        w.string(NODE.name, outNames[0]);
        w.string(NODE.opType, opType);
        if (domain) {
          w.string(NODE.domain, domain);
          domains.add(domain);
        }
        for (const [k, v] of Object.entries(attrs)) w.message(NODE.attribute, (a) => writeAttr(a, k, v));
      });
      return outNames;
    },
  };

  // Output names are reserved first so that inner nodes never take them.
  for (const [name] of outList) {
    if (used.has(name)) throw new GraphError(`lowering: output name '${name}' given twice`);
    used.add(name);
  }
  // Input names are the feed names, so they are reserved before constants take theirs (their
  // lowering, ctx.input, then only declares them).
  for (const t of order) {
    if (t.op !== 'input') continue;
    if (used.has(t.label!)) throw new GraphError(`lowering: two inputs named '${t.label}' (or an output of that name)`);
    used.add(t.label!);
  }
  const outputOf = new Map<number, string>();
  for (const [name, t] of outList) if (!outputOf.has(t.id) && t.inputs.length > 0) outputOf.set(t.id, name);

  for (const t of order) {
    if (fedWeight(t)) continue;
    const produced = t.rules.lower(ctx, t);
    const want = outputOf.get(t.id);
    names.set(t.id, want && produced !== want ? ctx.node('Identity', [produced], {}, [want])[0] : produced);
  }
  // Outputs that are leaves, or repeat another output's tensor, get an Identity of their own.
  for (const [name, t] of outList) {
    if (ctx.name(t) !== name) ctx.node('Identity', [ctx.name(t)], {}, [name]);
  }
  graph.string(GRAPH.name, graphName);
  for (const i of [...inputs, ...constantInputs]) graph.message(GRAPH.input, (w) => writeValueInfo(w, i.name, i.dtype, i.shape));
  for (const [name, t] of outList) graph.message(GRAPH.output, (w) => writeValueInfo(w, name, t.dtype, t.shape));

  return {
    bytes: modelBytes(graph, domains),
    inputs,
    outputs: outList.map(([name, t]) => ({ name, shape: t.shape, dtype: t.dtype })),
    constantInputs,
  };
}

/**
 * A model of one Identity per value: inputs w0..wn, outputs d0..dn of the given types. The runtime
 * opens it with outputs on the GPU to upload weights (float16 ones included, which the IR has no
 * inputs of).
 */
export function identityModel(values: readonly { shape: Shape; dtype: WireType }[]): Uint8Array {
  const graph = new ProtoWriter();
  values.forEach((_, i) => graph.message(GRAPH.node, (w) => w.string(NODE.input, `w${i}`).string(NODE.output, `d${i}`).string(NODE.name, `d${i}`).string(NODE.opType, 'Identity')));
  graph.string(GRAPH.name, 'upload');
  values.forEach((v, i) => graph.message(GRAPH.input, (w) => writeValueInfo(w, `w${i}`, v.dtype, v.shape)));
  values.forEach((v, i) => graph.message(GRAPH.output, (w) => writeValueInfo(w, `d${i}`, v.dtype, v.shape)));
  return modelBytes(graph, []);
}

/** A model casting x [n] float32 to float16 and back: whether a provider runs float16 kernels. */
export function halfProbeModel(n: number): Uint8Array {
  const graph = new ProtoWriter();
  graph.message(GRAPH.node, (w) => w.string(NODE.input, 'x').string(NODE.output, 'h').string(NODE.name, 'h').string(NODE.opType, 'Cast').message(NODE.attribute, (a) => writeAttr(a, 'to', FLOAT16)));
  graph.message(GRAPH.node, (w) => w.string(NODE.input, 'h').string(NODE.input, 'h').string(NODE.output, 's').string(NODE.name, 's').string(NODE.opType, 'Add'));
  graph.message(GRAPH.node, (w) => w.string(NODE.input, 's').string(NODE.output, 'y').string(NODE.name, 'y').string(NODE.opType, 'Cast').message(NODE.attribute, (a) => writeAttr(a, 'to', onnxTypeCode('float32'))));
  graph.string(GRAPH.name, 'half_probe');
  graph.message(GRAPH.input, (w) => writeValueInfo(w, 'x', 'float32', [n]));
  graph.message(GRAPH.output, (w) => writeValueInfo(w, 'y', 'float32', [n]));
  return modelBytes(graph, []);
}

const DOUBLE = 11;

/**
 * A model of y = c − op(a) op(b) in float64, op(a) [m, k], op(b) [k, n], c [m, n], with m and k of
 * any size (op transposes where `trans` says): the update steps of a blocked float64 Cholesky and its
 * triangular solves (src/linalg), which the IR, float32 throughout, has no dtype for.
 */
export function gemm64Model(n: number, trans: { a: boolean; b: boolean }): Uint8Array {
  const graph = new ProtoWriter();
  graph.message(GRAPH.node, (w) =>
    w
      .string(NODE.input, 'a')
      .string(NODE.input, 'b')
      .string(NODE.input, 'c')
      .string(NODE.output, 'y')
      .string(NODE.name, 'y')
      .string(NODE.opType, 'Gemm')
      .message(NODE.attribute, (x) => writeAttr(x, 'transA', trans.a ? 1 : 0))
      .message(NODE.attribute, (x) => writeAttr(x, 'transB', trans.b ? 1 : 0))
      .message(NODE.attribute, (x) => writeAttr(x, 'alpha', { float: -1 })),
  );
  graph.string(GRAPH.name, 'gemm64');
  graph.message(GRAPH.input, (w) => writeValueInfoCode(w, 'a', DOUBLE, trans.a ? ['k', 'm'] : ['m', 'k']));
  graph.message(GRAPH.input, (w) => writeValueInfoCode(w, 'b', DOUBLE, trans.b ? [n, 'k'] : ['k', n]));
  graph.message(GRAPH.input, (w) => writeValueInfoCode(w, 'c', DOUBLE, ['m', n]));
  graph.message(GRAPH.output, (w) => writeValueInfoCode(w, 'y', DOUBLE, ['m', n]));
  return modelBytes(graph, []);
}
