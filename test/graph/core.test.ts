// Known answers for the graph's core (src/graph outside ops/): the composites' default axes, the
// interpreter's feeds and batched products, the topological order, and how much work grad builds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';

const close = (got: ArrayLike<number>, want: readonly number[], what: string, tol = 1e-12) => {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
};

test('softmax and l2Normalize default to the last axis, also over rank 3', () => {
  const t = g.input('t', [2, 2, 2]);
  const d = [0, 1, 2, 4, 1, 1, -1, 0];
  const [s, n] = g.interpret([g.softmax(t), g.l2Normalize(t)], { t: { shape: [2, 2, 2], data: d } });
  const sm = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
  close(s.data, [...sm(0, 1), ...sm(2, 4), ...sm(1, 1), ...sm(-1, 0)], 'softmax');
  const nm = (a: number, b: number) => [a / Math.hypot(a, b), b / Math.hypot(a, b)];
  close(n.data, [...nm(0, 1), ...nm(2, 4), ...nm(1, 1), ...nm(-1, 0)], 'l2Normalize');
});

test('softmax over the last axis is the one fused node; another axis is moved there and back', () => {
  const x = g.input('x', [2, 3, 4]);
  assert.deepEqual(g.topoSort([g.softmax(x)]).map((t) => t.op), ['input', 'softmax']);
  assert.deepEqual(g.topoSort([g.softmax(x, 2)]).map((t) => t.op), ['input', 'softmax']);
  assert.deepEqual(g.topoSort([g.softmax(x, 1)]).map((t) => t.op), ['input', 'transpose', 'softmax', 'transpose']);
});

test('oneHot of labels of rank 2 adds the class axis last', () => {
  const l = g.input('l', [2, 2], 'int32');
  const [h] = g.interpret([g.oneHot(l, 3)], { l: { shape: [2, 2], data: [2, 0, 1, 1] } });
  assert.deepEqual([...h.shape], [2, 2, 3]);
  assert.deepEqual(Array.from(h.data), [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0]);
});

test('the interpreter multiplies batches of matrices, broadcasting the batch axes', () => {
  // two batches of one row each (the batch count differs from the rows, so a batch taken for a row shows)
  const a = g.input('a', [2, 1, 3]);
  const b = g.input('b', [2, 3, 2]);
  const w = g.input('w', [3, 2]);
  const ad = [1, 2, 3, 0, -1, 2];
  const bd = [1, 0, 0, 1, 1, 1, 2, 0, 0, 3, 1, 1];
  const wd = [1, 0, 0, 1, 1, 1];
  const [ab, aw] = g.interpret([g.matmul(a, b), g.matmul(a, w)], { a: { shape: [2, 1, 3], data: ad }, b: { shape: [2, 3, 2], data: bd }, w: { shape: [3, 2], data: wd } });
  assert.deepEqual([...ab.shape], [2, 1, 2]);
  // batch 0: (1 2 3) @ [1 0; 0 1; 1 1] = (4 5); batch 1: (0 -1 2) @ [2 0; 0 3; 1 1] = (2 -1)
  close(ab.data, [4, 5, 2, -1], 'a @ b');
  // both batches against the one [3, 2]: (x y z) -> (x + z, y + z)
  close(aw.data, [4, 5, 2, 1], 'a @ w');
});

test('the interpreter refuses a feed whose shape differs in one axis, or whose data does not fill it', () => {
  const x = g.input('x', [2, 3]);
  const bad = (shape: number[], n: number) => () => g.interpret([x], { x: { shape, data: new Float32Array(n) } });
  assert.throws(bad([2, 4], 8), (e: unknown) => e instanceof g.GraphError && e.message === "interpret: input 'x' fed [2, 4], expected [2, 3]");
  // a feed of the right size whose shape is a prefix of the input's
  assert.throws(() => g.interpret([g.input('y', [2, 3, 1])], { y: { shape: [2, 3], data: new Float32Array(6) } }), /fed \[2, 3\], expected \[2, 3, 1\]$/);
  assert.throws(bad([2, 3], 5), /^GraphError: interpret: input 'x' fed \[2, 3\], expected \[2, 3\]$/);
  assert.equal(g.interpret([x], { x: { shape: [2, 3], data: new Float32Array(6) } })[0].data.length, 6);
});

test('an axis out of range is one GraphError naming the op, by that name', () => {
  const x = g.input('x', [2, 3]);
  for (const [f, msg] of [
    [() => g.concat([x, x], 2), 'concat: axis 2 out of range for rank 2'],
    [() => g.slice(x, -3, 0, 1), 'slice: axis -3 out of range for rank 2'],
  ] as const) {
    assert.throws(f, (e: unknown) => e instanceof g.GraphError && e.name === 'GraphError' && e.message === msg);
  }
  assert.deepEqual(g.concat([x, x], -1).shape, [2, 6]);
});

test('topoSort lists each node once, inputs before users, whatever the roots repeat', () => {
  const a = g.input('a', [2]);
  const b = g.tanh(a);
  const c = g.add(a, b);
  const order = g.topoSort([c, b, c, a]);
  assert.deepEqual(order.map((t) => t.id), [a.id, b.id, c.id]);
});

/** How many tensors `f` creates (each tensor takes the next id). */
function created(f: () => void): number {
  const before = g.input('probe', [1]).id;
  f();
  return g.input('probe', [1]).id - before - 1;
}

test('grad builds no rule for what no target needs', () => {
  const x = g.input('x', [2, 3]);
  const w = g.input('w', [3, 4]);
  const loss = () => g.sum(g.matmul(x, w), [0, 1]);
  // dx alone: one product with Wᵀ; dx and dW: a second product, and its own transpose
  const one = created(() => g.grad(loss(), [x]));
  const both = created(() => g.grad(loss(), [x, w]));
  assert.ok(both > one, `d/dx built ${one} tensors, d/dx and d/dW ${both}`);
  // An int32 target (indices) gets a zero gradient and no gradient of the table it indexes.
  const table = g.input('table', [4, 2]);
  const idx = g.input('idx', [3], 'int32');
  const gathered = () => g.sum(g.gather(table, idx), [0, 1]);
  // the loss (gather, sum), the seed (a scalar 1, its reshape), sum's rule (an expand), idx's zero
  // (a scalar 0, its expand): 7, and no scatterAdd for the table
  assert.equal(created(() => g.grad(gathered(), [idx])), 7);
  // A bias added by broadcasting that is not a target: its gradient (a sum over the rows) is not built.
  const bias = g.input('bias', [3]);
  // the loss (add, sum), the seed (a scalar 1, its reshape), sum's rule (an expand): 5
  assert.equal(created(() => g.grad(g.sum(g.add(x, bias), [0, 1]), [x])), 5);
  // A target in the middle of the graph: the rule of its own producer (tanh) is not built.
  const h = g.tanh(x);
  const mid = created(() => g.grad(g.sum(g.mul(h, h), [0, 1]), [h]));
  const leaf = g.input('leaf', [2, 3]);
  const atLeaf = created(() => g.grad(g.sum(g.mul(leaf, leaf), [0, 1]), [leaf]));
  assert.equal(mid, atLeaf);
});

test('a target reached only through top-k gets a zero gradient, and the nodes above top-k none', () => {
  const x = g.input('x', [2, 4]);
  const h = g.tanh(x);
  const t = g.input('t', [4, 3]);
  const picked = g.gather(t, g.topk(h, 1)); // [2, 1, 3]
  const [gx, gt] = g.grad(g.sum(picked, [0, 1, 2]), [x, t]);
  const feeds = { x: { shape: [2, 4], data: [0, 3, 1, 2, 5, 1, 0, 0] }, t: { shape: [4, 3], data: new Float32Array(12) } };
  const [vx, vt] = g.interpret([gx, gt], feeds);
  close(vx.data, new Array(8).fill(0), 'd/dx');
  // rows 1 and 0 of t were picked once each
  close(vt.data, [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0], 'd/dt');
});
