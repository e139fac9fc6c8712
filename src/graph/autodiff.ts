// Reverse-mode autodiff on the IR: builds the gradient graph of a scalar toward chosen tensors.
// Only nodes on a path from a target to the loss are visited, so a frozen backbone (a constant to
// this walk) adds no weight-gradient work; broadcasts are summed back here, once, for every op.
import { GraphError } from './op.ts';
import { add } from './ops/elementwise.ts';
import { expand, reshape } from './ops/layout.ts';
import { sumTo } from './ops/reduce.ts';
import { scalar } from './ops/source.ts';
import type { Tensor } from './tensor.ts';
import { topoSort } from './tensor.ts';

/** d loss / d target for each target. */
export function grad(loss: Tensor, targets: readonly Tensor[]): Tensor[] {
  if (loss.size !== 1) throw new GraphError(`grad: the loss must be a scalar, got ${loss}`);
  const order = topoSort([loss]);

  // A node needs a gradient when some target lies at or below it through differentiable ops
  // (comparisons, top-k and stopGradient have no rule and cut the path).
  const targetIds = new Set(targets.map((t) => t.id));
  const onPath = new Set<number>();
  for (const t of order) {
    if (targetIds.has(t.id) || (t.rules.vjp && t.inputs.some((x) => onPath.has(x.id)))) onPath.add(t.id);
  }

  const grads = new Map<number, Tensor>();
  grads.set(loss.id, reshape(scalar(1), loss.shape));
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    const g = grads.get(node.id);
    if (!g || !onPath.has(node.id)) continue;
    // Rules give integer and boolean inputs (indices, conditions) no gradient, and a gradient for
    // every input marked needed (null for the others).
    const needed = node.inputs.map((x) => onPath.has(x.id));
    if (!needed.some(Boolean)) continue; // a leaf (no inputs), or none of its inputs on the path
    const gs = node.rules.vjp!(g, node, needed);
    node.inputs.forEach((x, k) => {
      const gk = gs[k];
      if (!gk) return;
      const reduced = sumTo(gk, x.shape);
      const prev = grads.get(x.id);
      grads.set(x.id, prev ? add(prev, reduced) : reduced);
    });
  }
  // A target the loss does not reach through differentiable ops (L2P's keys without the pull
  // constraint: they only feed top-k) has a zero gradient, as jax.grad gives it.
  return targets.map((t) => grads.get(t.id) ?? expand(scalar(0), t.shape));
}
