// Reductions and sumTo on known answers: axes given negative, repeated or as a list, keepdims, the
// max's gradient shared by ties, refusals; and the int8 dense layer's rounding and its refusals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';

const isGraphError = (re: RegExp) => (e: unknown) => e instanceof g.GraphError && re.test(e.message);
const X = [1, 5, 2, 7, 0, 3]; // [2, 3]
const feeds = { x: { shape: [2, 3], data: X } };

test('sum, max and mean over axes: known answers, shapes with and without keepdims', () => {
  const x = g.input('x', [2, 3]);
  const outs = [g.sum(x, -1), g.sum(x, [1, 0, 1]), g.max(x, 0, true), g.max(x, [-1]), g.mean(x, 0), g.mean(x, [0, 1], true)];
  const got = g.interpret(outs, feeds);
  assert.deepEqual(got.map((v) => v.shape), [[2], [], [1, 3], [2], [3], [1, 1]]);
  const want = [[8, 10], [18], [7, 5, 3], [5, 7], [4, 2.5, 2.5], [3]];
  // mean multiplies by 1/n as a float32 constant: 1e-6 of rounding.
  got.forEach((v, k) => v.data.forEach((d, i) => assert.ok(Math.abs(d - want[k][i]) < 1e-6, `output ${k}[${i}] = ${d}, expected ${want[k][i]}`)));
  assert.equal(got[4].data.length + got[5].data.length, 4);
  assert.throws(() => g.sum(x, 2), isGraphError(/^sum: axis 2 out of range for \[2, 3\]$/));
  assert.throws(() => g.max(x, -3), isGraphError(/^max: axis -1 out of range for \[2, 3\]$/));
  assert.throws(() => g.sum(g.input('i', [2], 'int32'), 0), isGraphError(/^sum: .* expected float32$/));
});

test('the max shares its gradient equally among tied maxima', () => {
  const x = g.input('x', [2, 3]);
  const [gx] = g.grad(g.sum(g.max(x, 1), 0), [x]);
  const [v] = g.interpret([gx], { x: { shape: [2, 3], data: [4, 1, 4, 2, 2, 2] } });
  assert.deepEqual(Array.from(v.data), [0.5, 0, 0.5, 1 / 3, 1 / 3, 1 / 3]);
});

test('sumTo sums broadcast axes back, leaves a fitting shape alone, refuses one it cannot reach', () => {
  const t = g.input('t', [2, 3]);
  assert.equal(g.sumTo(t, [2, 3]), t);
  const outs = [g.sumTo(t, [3]), g.sumTo(t, [2, 1]), g.sumTo(t, [1, 3]), g.sumTo(t, []), g.sumTo(g.input('u', [2, 1, 3]), [1, 3]), g.sumTo(t, [1, 1])];
  const got = g.interpret(outs, { t: { shape: [2, 3], data: X }, u: { shape: [2, 1, 3], data: [1, 2, 3, 10, 20, 30] } });
  assert.deepEqual(got.map((v) => v.shape), [[3], [2, 1], [1, 3], [], [1, 3], [1, 1]]);
  assert.deepEqual(got.map((v) => Array.from(v.data)), [[8, 5, 5], [8, 10], [8, 5, 5], [18], [11, 22, 33], [18]]);
  assert.throws(() => g.sumTo(t, [2]), isGraphError(/^sumTo: \[2, 3\] cannot sum to \[2\]$/));
  assert.throws(() => g.sumTo(t, [1, 2, 3]), isGraphError(/^sumTo: \[2, 3\] cannot sum to \[1, 2, 3\]$/));
  assert.throws(() => g.sumTo(t, [4, 3]), isGraphError(/cannot sum to \[4, 3\]/));
  assert.throws(() => g.sumTo(g.input('v', [2]), [2, 1]), isGraphError(/^sumTo: \[2\] cannot sum to \[2, 1\]$/));
});

test('qdense: weights on 63 levels per column, activations rounded half to even, refusals', () => {
  // Values exact in binary. One column of weights [63, -31.5, 10] / 64: scale 1/64, levels [63, -32, 10]
  // (-31.5 to the even -32, where Math.round gives -31).
  const w = g.constant(Float32Array.of(63 / 64, -31.5 / 64, 10 / 64), [3, 1]);
  const b = g.constant(Float32Array.of(0.5), [1]);
  const x = g.input('x', [1, 3]);
  const q = g.qdense(x, w, b);
  assert.deepEqual(Array.from(q.inputs[1].value as Int8Array), [63, -32, 10]);
  assert.equal((q.inputs[2].value as Float32Array)[0], 1 / 64);
  // Activations over [0, 255/64]: lo 0, scale 1/64, zero point 0; 0.5 steps round to 0, 2.5 steps to 2,
  // 1.5 steps to 2.
  const [y] = g.interpret([q], { x: { shape: [1, 3], data: [255 / 64, 0.5 / 64, 2.5 / 64] } });
  assert.equal(y.data[0], (255 * 63 + 0 * -32 + 2 * 10) / 64 / 64 + 0.5);
  const [y15] = g.interpret([q], { x: { shape: [1, 3], data: [255 / 64, 1.5 / 64, 0] } });
  assert.equal(y15.data[0], (255 * 63 + 2 * -32) / 64 / 64 + 0.5);
  assert.deepEqual(g.qdense(g.input('x3', [2, 5, 3]), w, b).shape, [2, 5, 1]);
  // Activations over [-1, 3]: lo -1, scale 4/255, zero point round(63.75) = 64; 3 steps up from -1 stays 3 steps.
  const [y2] = g.interpret([q], { x: { shape: [1, 3], data: [-1, 3, -1 + 3 * (4 / 255)] } });
  const xs = [-64, 191, -61].map((v) => v * (4 / 255));
  const want2 = (xs[0] * 63 + xs[1] * -32 + xs[2] * 10) / 64 + 0.5;
  assert.ok(Math.abs(y2.data[0] - want2) < 1e-9, `qdense ${y2.data[0]}, expected ${want2}`);
  // A zero column keeps scale 1 (no division by zero); all-zero activations give the bias.
  const z = g.qdense(x, g.constant(new Float32Array(3), [3, 1]), b);
  assert.equal((z.inputs[2].value as Float32Array)[0], 1);
  assert.deepEqual(Array.from(g.interpret([z], { x: { shape: [1, 3], data: [0, 0, 0] } })[0].data), [0.5]);
  assert.throws(() => g.qdense(g.input('x4', [1, 4]), w, b), isGraphError(/^qdense: \[1, 4\] @ \[3, 1\] with scales \[1\] and bias \[1\] do not fit$/));
  assert.throws(() => g.qdense(x, w, g.constant(Float32Array.of(1, 2), [2])), isGraphError(/^qdense: .* and bias \[2\] do not fit$/));
  assert.throws(() => g.qdense(g.input('xi', [1, 3], 'int32'), w, b), isGraphError(/^qdense: .* expected float32$/));
  // The cost model counts its int8 products as a dense layer's: 2 · rows · k · n.
  assert.equal(g.matmulFlops([g.qdense(g.input('x5', [5, 3]), g.constant(new Float32Array(6), [3, 2]), g.constant(new Float32Array(2), [2]))]), 2 * 5 * 3 * 2);
});
