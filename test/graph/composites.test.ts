// The composites (masked cross-entropy, l2Normalize, oneHot, softmax on an inner axis), grad's and the
// interpreter's refusals, and the broadcasting error, against values computed here by hand in float64.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';

const isGraphError = (re: RegExp) => (e: unknown) => e instanceof g.GraphError && re.test(e.message);
const close = (got: ArrayLike<number>, want: number[], what: string, tol = 1e-6) => {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}] = ${got[i]}, expected ${want[i]}`);
};
const logSumExp = (xs: number[]) => Math.log(xs.reduce((s, v) => s + Math.exp(v), 0));

test('maskedCrossEntropy: the mean of -log softmax at the label, over the kept classes only', () => {
  const L = [
    [1, 2, 0.5, -1],
    [0.3, -2, 4, 1],
  ];
  const y = [1, 3];
  const logits = g.input('logits', [2, 4]);
  const labels = g.input('labels', [2], 'int32');
  const mask = g.input('mask', [4], 'bool');
  const feeds = { logits: { shape: [2, 4], data: L.flat() }, labels: { shape: [2], data: y }, mask: { shape: [4], data: [1, 1, 0, 1] } };
  const [full, masked] = g.interpret([g.maskedCrossEntropy(logits, labels, null), g.maskedCrossEntropy(logits, labels, mask)], feeds);
  const want = (keep: number[]) => L.reduce((s, row, b) => s + logSumExp(keep.map((c) => row[c])) - row[y[b]], 0) / 2;
  close(full.data, [want([0, 1, 2, 3])], 'unmasked');
  close(masked.data, [want([0, 1, 3])], 'masked');
  assert.deepEqual(full.shape, []);
  // The gradient toward the logits is finite where the mask cuts a class, and zero there.
  const [gl] = g.grad(g.maskedCrossEntropy(logits, labels, mask), [logits]);
  const [v] = g.interpret([gl], feeds);
  assert.ok(v.data.every(Number.isFinite));
  assert.deepEqual([v.data[2], v.data[6]], [0, 0]);
});

test('l2Normalize, oneHot and softmax on an inner axis give known answers', () => {
  const x = g.input('x', [2, 2]);
  const [n0, n1] = g.interpret([g.l2Normalize(x), g.l2Normalize(x, 0)], { x: { shape: [2, 2], data: [3, 4, 0, 0] } });
  close(n0.data, [0.6, 0.8, 0, 0], 'l2Normalize rows (a zero row stays zero)');
  close(n1.data, [1, 1, 0, 0], 'l2Normalize columns');
  const lab = g.input('lab', [3], 'int64');
  const [h] = g.interpret([g.oneHot(lab, 3)], { lab: { shape: [3], data: BigInt64Array.of(2n, 0n, 5n) } });
  assert.equal(g.oneHot(lab, 3).dtype, 'float32');
  assert.deepEqual(Array.from(h.data), [0, 0, 1, 1, 0, 0, 0, 0, 0]);
  const t = g.input('t', [2, 3, 2]);
  const d = [0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0];
  const [s] = g.interpret([g.softmax(t, 1)], { t: { shape: [2, 3, 2], data: d } });
  const want: number[] = new Array(12);
  for (let b = 0; b < 2; b++) {
    for (let j = 0; j < 2; j++) {
      const col = [0, 1, 2].map((i) => d[b * 6 + i * 2 + j]);
      const z = Math.exp(logSumExp(col));
      col.forEach((v, i) => (want[b * 6 + i * 2 + j] = Math.exp(v) / z));
    }
  }
  close(s.data, want, 'softmax axis 1');
  const [r] = g.interpret([g.rsqrt(x)], { x: { shape: [2, 2], data: [4, 0.25, 1, 16] } });
  close(r.data, [0.5, 2, 1, 0.25], 'rsqrt');
});

test('grad refuses a loss that is not a scalar; the interpreter refuses missing and misshapen feeds', () => {
  const x = g.input('x', [2]);
  assert.throws(() => g.grad(g.mul(x, 2), [x]), isGraphError(/^grad: the loss must be a scalar, got mul\[2\] float32$/));
  const [gx] = g.grad(g.reshape(g.sum(x, 0), [1, 1]), [x]);
  assert.deepEqual(Array.from(g.interpret([gx], { x: { shape: [2], data: [5, 6] } })[0].data), [1, 1]);
  assert.throws(() => g.interpret([x], {}), isGraphError(/^interpret: input 'x' was not fed$/));
  assert.throws(() => g.interpret([x], { x: { shape: [3], data: [1, 2, 3] } }), isGraphError(/^interpret: input 'x' fed \[3\], expected \[2\]$/));
  assert.throws(() => g.interpret([x], { x: { shape: [2, 1], data: [1, 2] } }), isGraphError(/fed \[2, 1\], expected \[2\]/));
  assert.throws(() => g.interpret([x], { x: { shape: [2], data: [1, 2, 3] } }), isGraphError(/fed \[2\], expected \[2\]/));
  assert.throws(() => g.add(g.input('a', [2, 3]), g.input('b', [4, 3])), isGraphError(/^add: shapes \[2, 3\] and \[4, 3\] do not broadcast$/));
  assert.deepEqual(g.add(g.input('a', [2, 1, 3]), g.input('b', [4, 1])).shape, [2, 4, 3]);
  assert.equal(String(g.input('w', [2, 3], 'int64')), "input('w')[2, 3] int64");
  assert.equal(String(g.neg(x)), 'neg[2] float32');
});

test('grad adds the gradients of a tensor used twice and a gradient through a gathered row', () => {
  const x = g.input('x', [3]);
  const loss = g.sum(g.add(g.mul(x, x), g.mul(x, 3)), 0); // d/dx = 2x + 3
  const [gx] = g.grad(loss, [x]);
  assert.deepEqual(Array.from(g.interpret([gx], { x: { shape: [3], data: [1, -2, 0.5] } })[0].data), [5, -1, 4]);
  const [gs] = g.grad(g.mul(g.sum(x, 0), g.sum(x, 0)), [x, x]);
  assert.deepEqual(Array.from(g.interpret([gs], { x: { shape: [3], data: [1, 2, 3] } })[0].data), [12, 12, 12]);
});

test('concat, slice and pad on a middle axis move whole blocks: known answers', () => {
  // [2, 2, 2] and [2, 1, 2] along axis 1; every block spans the last axis (2 values) in 2 outer rows.
  const a = g.input('a', [2, 2, 2]);
  const b = g.input('b', [2, 1, 2]);
  const feeds = { a: { shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] }, b: { shape: [2, 1, 2], data: [9, 10, 11, 12] } };
  const [c, s, p] = g.interpret([g.concat([a, b], 1), g.slice(a, 1, 1, 2), g.pad(b, 1, 1, 0)], feeds);
  assert.deepEqual(c.shape, [2, 3, 2]);
  assert.deepEqual(Array.from(c.data), [1, 2, 3, 4, 9, 10, 5, 6, 7, 8, 11, 12]);
  assert.deepEqual(Array.from(s.data), [3, 4, 7, 8]);
  assert.deepEqual(Array.from(p.data), [0, 0, 9, 10, 0, 0, 11, 12]);
});

test("a weight shared over a batch gets its gradient from one [k, rows] @ [rows, n] product, with no sum", () => {
  const a = g.input('a', [5, 3, 4]);
  const w = g.input('w', [4, 6]);
  const [gw] = g.grad(g.sum(g.matmul(a, w), [0, 1, 2]), [w]);
  const nodes = g.topoSort([gw]);
  const products = nodes.filter((t) => t.op === 'matmul');
  assert.deepEqual(products.map((t) => t.shape), [[4, 6]]);
  assert.ok(!nodes.some((t) => t.op === 'sum' && t.inputs.includes(products[0])), 'no batch of products summed');
  assert.equal(g.matmulFlops([gw]), 2 * 4 * 15 * 6);
});
