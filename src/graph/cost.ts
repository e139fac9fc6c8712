// Work estimates from the graph itself, for benchmarks: matmul FLOPs dominate a transformer.
import type { Tensor } from './tensor.ts';
import { topoSort } from './tensor.ts';

/** The FLOPs of the products (each op's own `flops` rule: matmul, qdense) over everything `outputs` depend on. */
export function matmulFlops(outputs: readonly Tensor[]): number {
  let flops = 0;
  for (const t of topoSort(outputs)) flops += t.rules.flops?.(t) ?? 0;
  return flops;
}
