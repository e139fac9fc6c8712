// A node of the graph IR: every Tensor is the output of one op applied to earlier tensors.
// Shapes are static; each op's rules (shape, gradient, ONNX lowering, float64 evaluation, cost) are
// bound to the node when it is built (see op.ts), so the walkers never switch on op names.
import type { OpName } from './op-names.ts';

/** int8 only holds quantized weights (constants of the int8 query path). */
export type DType = 'float32' | 'int32' | 'int64' | 'bool' | 'int8';
export type Shape = readonly number[];

/** A dense array as the float64 reference interpreter holds it: every dtype as float64 values. */
export interface NdArray {
  shape: Shape;
  data: Float64Array;
}

/**
 * Which ONNX Runtime provider the lowering is for. 'webgpu' has no kernels for int64 data beyond the
 * index inputs of a few ops (TopK's output, Gather, ScatterND): index arithmetic stays int32 there.
 */
export type LowerTarget = 'cpu' | 'webgpu';

/** Emits ONNX nodes for one IR node; implemented by the lowering (runtime/onnx.ts). */
export interface LowerCtx {
  readonly target: LowerTarget;
  /** The products' arithmetic: 'fp32', or 'fp16' (matmuls on float16 operands, everything else float32). */
  readonly precision: 'fp32' | 'fp16';
  /** The tensor's value as float16: one Cast per tensor; a weight's float16 copy is made once per array. */
  half(t: Tensor): string;
  /** `t` computed as float16 in `name16`: returns its float32 name (a Cast); half(t) is then `name16`. */
  fromHalf(t: Tensor, name16: string): string;
  /** The ONNX value name of an IR tensor. */
  name(t: Tensor): string;
  /** A fresh int64 initializer (shapes, axes, slice bounds). */
  int64s(values: readonly number[]): string;
  /** An int32 array initializer (shared by equal contents). */
  int32s(values: readonly number[]): string;
  /** A fresh float32 scalar or array initializer. */
  float32s(values: readonly number[], dims: Shape): string;
  /** Declares a graph input (a fed tensor); returns its name. */
  input(t: Tensor): string;
  /** Declares a constant (an initializer, or a graph input fed by the runtime); returns its name. */
  constant(t: Tensor): string;
  /** Adds one ONNX node; returns its output names: the given ones, or `outputs` fresh ones (default 1). */
  node(opType: string, inputs: string[], attrs?: Record<string, OnnxAttr>, outputs?: string[] | number, domain?: string): string[];
}

export type OnnxAttr = number | string | number[] | { float: number } | { tensor: { dtype: DType; dims: Shape; values: number[] } };

/** The rules of an op instance, closed over its attributes. */
export interface BoundRules {
  /** Gradients of the inputs for an upstream gradient `g` of the output; `needed[i]` false means skip input i. */
  vjp?: (g: Tensor, out: Tensor, needed: readonly boolean[]) => (Tensor | null)[];
  /** Emits ONNX nodes computing `out`; returns the name of its value. */
  lower: (ctx: LowerCtx, out: Tensor) => string;
  /** Evaluates in float64 for the reference interpreter. */
  evaluate: (inputs: NdArray[], out: Tensor, ctx: EvalCtx) => NdArray;
  /** Floating-point operations of the products in this node (the cost model counts matmuls); absent: none counted. */
  flops?: (out: Tensor) => number;
}

/** What the reference interpreter offers the ops it evaluates. */
export interface EvalCtx {
  /** The value fed for an input tensor, checked against its shape. */
  feed(t: Tensor): NdArray;
}

let nextId = 0;

export class Tensor {
  readonly id = nextId++;

  constructor(
    readonly op: OpName,
    readonly inputs: readonly Tensor[],
    readonly shape: Shape,
    readonly dtype: DType,
    readonly rules: BoundRules,
    /** A canonical text of the op's attributes, part of the graph's identity. */
    readonly attrKey: string,
    /** For inputs and constants: the name the value has in feeds, checkpoints and ONNX. */
    readonly label?: string,
    /** For constants: the values. */
    readonly value?: ConstValue,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return numel(this.shape);
  }

  toString(): string {
    return `${this.op}${this.label ? `('${this.label}')` : ''}[${this.shape.join(', ')}] ${this.dtype}`;
  }
}

export type ConstValue = Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** All tensors `outputs` depend on, inputs before users. */
export function topoSort(outputs: readonly Tensor[]): Tensor[] {
  const seen = new Set<number>();
  const order: Tensor[] = [];
  // Iterative DFS: a ViT-B graph with its gradient has thousands of nodes in long chains.
  const stack: { t: Tensor; i: number }[] = [];
  for (const root of outputs) {
    if (seen.has(root.id)) continue;
    seen.add(root.id);
    stack.push({ t: root, i: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.i < top.t.inputs.length) {
        const child = top.t.inputs[top.i++];
        if (!seen.has(child.id)) {
          seen.add(child.id);
          stack.push({ t: child, i: 0 });
        }
      } else {
        order.push(top.t);
        stack.pop();
      }
    }
  }
  return order;
}
