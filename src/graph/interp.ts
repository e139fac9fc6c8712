// The float64 reference interpreter: evaluates a graph with each op's `evaluate` rule.
// Tests use it as the independent side of gradient checks and of ONNX Runtime comparisons.
import { GraphError } from './op.ts';
import type { EvalCtx, NdArray, Tensor } from './tensor.ts';
import { numel, topoSort } from './tensor.ts';

export type Feeds = Record<string, { shape: readonly number[]; data: ArrayLike<number> | BigInt64Array }>;

export function interpret(outputs: readonly Tensor[], feeds: Feeds = {}): NdArray[] {
  const ctx: EvalCtx = {
    feed: (t) => {
      const f = feeds[t.label!];
      if (!f) throw new GraphError(`interpret: input '${t.label}' was not fed`);
      if (f.shape.length !== t.rank || f.shape.some((d, i) => d !== t.shape[i]) || numel(f.shape) !== f.data.length) {
        throw new GraphError(`interpret: input '${t.label}' fed [${f.shape.join(', ')}], expected [${t.shape.join(', ')}]`);
      }
      return { shape: t.shape, data: Float64Array.from(f.data as ArrayLike<number>, Number) };
    },
  };
  const values = new Map<number, NdArray>();
  for (const t of topoSort(outputs)) {
    values.set(
      t.id,
      t.rules.evaluate(
        t.inputs.map((x) => values.get(x.id)!),
        t,
        ctx,
      ),
    );
  }
  return outputs.map((o) => values.get(o.id)!);
}
