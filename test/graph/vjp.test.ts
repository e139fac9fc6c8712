// Every op's gradient rule against central differences of the float64 interpreter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { cases } from './cases.ts';
import { interpFeeds, prepare } from './feeds.ts';

const EPS = 1e-6;

for (const c of cases) {
  test(`vjp: ${c.name}`, () => {
    const p = prepare(c);
    const grads = g.grad(p.loss, p.wrt);
    const analytic = g.interpret(grads, interpFeeds(p));
    p.wrt.forEach((x, k) => {
      const base = p.values.get(x.label!)!;
      assert.deepEqual(analytic[k].shape, x.shape, `gradient shape of ${x.label}`);
      for (let i = 0; i < base.length; i++) {
        const plus = Float64Array.from(base);
        plus[i] += EPS;
        const minus = Float64Array.from(base);
        minus[i] -= EPS;
        const lp = g.interpret([p.loss], interpFeeds(p, { name: x.label!, values: plus }))[0].data[0];
        const lm = g.interpret([p.loss], interpFeeds(p, { name: x.label!, values: minus }))[0].data[0];
        const numeric = (lp - lm) / (2 * EPS);
        const got = analytic[k].data[i];
        assert.ok(
          Math.abs(got - numeric) <= 1e-6 + 1e-5 * Math.abs(numeric),
          `${c.name}: d/d${x.label}[${i}] analytic ${got} vs numeric ${numeric}`,
        );
      }
    });
  });
}

test('vjp: a frozen constant gets no gradient work', () => {
  const x = g.input('x', [2, 3]);
  const w = g.constant(new Float32Array(12).fill(0.5), [3, 4], 'w');
  const loss = g.sum(g.matmul(x, w), [0, 1]);
  const [gx] = g.grad(loss, [x]);
  const ops = g.topoSort([gx]).map((t) => t.op);
  // d/dx of x @ W needs one matmul with Wᵀ; no product for W's own gradient.
  assert.equal(ops.filter((o) => o === 'matmul').length, 1);
});

test('vjp: a target the loss ignores gets a zero gradient', () => {
  const x = g.input('x', [2]);
  const y = g.input('y', [2, 3]);
  const [gy] = g.grad(g.sum(x, 0), [y]);
  const [v] = g.interpret([gy], { x: { shape: [2], data: [1, 2] }, y: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] } });
  assert.deepEqual(v.shape, [2, 3]);
  assert.deepEqual(Array.from(v.data), [0, 0, 0, 0, 0, 0]);
});

test('vjp: top-k indices cut the gradient path', () => {
  const x = g.input('x', [2, 5]);
  const idx = g.topk(x, 2);
  const loss = g.sum(g.gather(g.reshape(x, [10]), idx), [0, 1]);
  const [gx] = g.grad(loss, [x]);
  const feeds = { x: { shape: [2, 5], data: [0.1, 0.5, 0.3, 0.9, 0.2, 0.8, 0.7, 0.6, 0.1, 0.0] } };
  const [v] = g.interpret([gx], feeds);
  // Indices [[3, 1], [0, 1]] index the flat x: row 1 is picked twice.
  assert.deepEqual(Array.from(v.data), [1, 2, 0, 1, 0, 0, 0, 0, 0, 0]);
});
