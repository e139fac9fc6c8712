// The op definition: everything about one primitive op sits in one object (shape rule, gradient rule,
// ONNX lowering, float64 evaluation), and `defineOp` turns it into a typed builder function.
import type { DType, LowerCtx, NdArray, Shape } from './tensor.ts';
import { Tensor } from './tensor.ts';

export class GraphError extends Error {
  override name = 'GraphError';
}

export interface OpDef<A> {
  name: string;
  /** Output shape and dtype; throws GraphError naming the op and the shapes on a mismatch. */
  infer(inputs: readonly Tensor[], attrs: A): { shape: Shape; dtype: DType };
  /** Input gradients, in the output's (broadcast) shape: autodiff sums broadcasts back. Absent: not differentiable. */
  vjp?(g: Tensor, out: Tensor, attrs: A, needed: readonly boolean[]): (Tensor | null)[];
  lower(ctx: LowerCtx, out: Tensor, attrs: A): string;
  evaluate(inputs: NdArray[], attrs: A, out: Tensor): NdArray;
}

export interface NodeExtras {
  label?: string;
  value?: Tensor['value'];
}

/** Returns the builder of `def`: it checks shapes now and binds the rules to the new node. */
export function defineOp<A>(def: OpDef<A>): (inputs: readonly Tensor[], attrs: A, extras?: NodeExtras) => Tensor {
  return (inputs, attrs, extras) => {
    const { shape, dtype } = def.infer(inputs, attrs);
    const vjp = def.vjp;
    return new Tensor(
      def.name,
      inputs,
      shape,
      dtype,
      {
        vjp: vjp ? (g, out, needed) => vjp(g, out, attrs, needed) : undefined,
        lower: (ctx, out) => def.lower(ctx, out, attrs),
        evaluate: (xs, out) => def.evaluate(xs, attrs, out),
      },
      JSON.stringify(attrs, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
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
