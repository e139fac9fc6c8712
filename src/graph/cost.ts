// Work estimates from the graph itself, for benchmarks: matmul FLOPs dominate a transformer.
import type { Tensor } from './tensor.ts';
import { numel, topoSort } from './tensor.ts';

/** 2·m·k·n per matmul (and per broadcast batch) over everything `outputs` depend on. */
export function matmulFlops(outputs: readonly Tensor[]): number {
  let flops = 0;
  for (const t of topoSort(outputs)) {
    // qdense: the same products, in int8.
    if (t.op !== 'matmul' && t.op !== 'qdense') continue;
    const a = t.inputs[0];
    const k = a.shape[a.rank - 1];
    flops += 2 * numel(t.shape) * k;
  }
  return flops;
}
