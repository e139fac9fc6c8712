// The op definition: everything about one primitive op sits in one object (shape rule, gradient rule,
// ONNX lowering, float64 evaluation), and `defineOp` turns it into a typed builder function.
import type { OpName } from './op-names.ts';
import type { DType, EvalCtx, LowerCtx, NdArray, Shape } from './tensor.ts';
import { Tensor } from './tensor.ts';

export class GraphError extends Error {
  override name = 'GraphError';
}

export interface OpDef<A> {
  name: OpName;
  /** Output shape and dtype; throws GraphError naming the op and the shapes on a mismatch. */
  infer(inputs: readonly Tensor[], attrs: A): { shape: Shape; dtype: DType };
  /** Input gradients, in the output's (broadcast) shape: autodiff sums broadcasts back. Absent: not differentiable. */
  vjp?(g: Tensor, out: Tensor, attrs: A, needed: readonly boolean[]): (Tensor | null)[];
  lower(ctx: LowerCtx, out: Tensor, attrs: A): string;
  evaluate(inputs: NdArray[], attrs: A, out: Tensor, ctx: EvalCtx): NdArray;
  /** Floating-point operations, for the cost model (matmul-like ops); absent: none. */
  flops?(out: Tensor, attrs: A): number;
}

const registry = new Map<OpName, OpDef<never>>();

/** The defined ops by name: one definition each. */
export function definedOps(): ReadonlyMap<OpName, OpDef<never>> {
  return registry;
}

export interface NodeExtras {
  label?: string;
  value?: Tensor['value'];
}

/** Returns the builder of `def`: it checks shapes now and binds the rules to the new node. */
export function defineOp<A>(def: OpDef<A>): (inputs: readonly Tensor[], attrs: A, extras?: NodeExtras) => Tensor {
  if (registry.has(def.name)) throw new GraphError(`op '${def.name}' is defined twice`);
  registry.set(def.name, def as OpDef<never>);
  return (inputs, attrs, extras) => {
    const { shape, dtype } = def.infer(inputs, attrs);
    const vjp = def.vjp;
    const flops = def.flops;
    return new Tensor(
      def.name,
      inputs,
      shape,
      dtype,
      {
        vjp: vjp ? (g, out, needed) => vjp(g, out, attrs, needed) : undefined,
        lower: (ctx, out) => def.lower(ctx, out, attrs),
        evaluate: (xs, out, ctx) => def.evaluate(xs, attrs, out, ctx),
        flops: flops ? (out) => flops(out, attrs) : undefined,
      },
      JSON.stringify(attrs),
      extras?.label,
      extras?.value,
    );
  };
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function requireDtype(op: string, t: Tensor, ...allowed: DType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw new GraphError(`${op}: input ${t} has dtype ${t.dtype}, expected ${allowed.join(' or ')}`);
  }
}

export function sameDtype(op: string, a: Tensor, b: Tensor): DType {
  if (a.dtype !== b.dtype) throw new GraphError(`${op}: dtypes differ (${a} and ${b})`);
  return a.dtype;
}
