// Builds graph inputs and seeded random feeds for a case of cases.ts.
import * as g from '../../src/graph/index.ts';
import type { Tensor } from '../../src/graph/index.ts';
import { rng } from '../helpers/rng.ts';
import type { Case, InputSpec } from './cases.ts';

export interface Prepared {
  inputs: Tensor[];
  out: Tensor;
  loss: Tensor;
  /** The float inputs, which the gradient is taken toward. */
  wrt: Tensor[];
  values: Map<string, Float64Array>;
}

function valuesFor(spec: InputSpec, r: () => number): Float64Array {
  const n = spec.shape.reduce((p, d) => p * d, 1);
  if (spec.values) return Float64Array.from(spec.values);
  if (spec.range === 'perm') {
    const v = Float64Array.from({ length: n }, (_, i) => -1 + (2 * i) / Math.max(1, n - 1));
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [v[i], v[j]] = [v[j], v[i]];
    }
    return v;
  }
  const [lo, hi] = spec.range ?? [-1, 1];
  // Values rounded to float32 so ONNX Runtime and the interpreter see the same numbers.
  return Float64Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * r()));
}

export function prepare(c: Case, seed = 1): Prepared {
  const r = rng(seed);
  const inputs = c.inputs.map((s) => g.input(s.name, s.shape, s.dtype ?? 'float32'));
  const out = c.build(inputs);
  const weights = Float32Array.from({ length: out.size }, () => r() * 2 - 1);
  const loss = g.sum(g.mul(out, g.constant(weights, out.shape)), out.shape.map((_, i) => i));
  const wrt = inputs.filter((t) => t.dtype === 'float32');
  const values = new Map(c.inputs.map((s) => [s.name, valuesFor(s, r)] as const));
  return { inputs, out, loss, wrt, values };
}

export function interpFeeds(p: Prepared, override?: { name: string; values: Float64Array }): g.Feeds {
  const feeds: g.Feeds = {};
  for (const t of p.inputs) {
    const v = override && override.name === t.label ? override.values : p.values.get(t.label!)!;
    feeds[t.label!] = { shape: t.shape, data: v };
  }
  return feeds;
}
