// The graph's builders refuse a graph that does not fit when it is built, with one GraphError naming
// the op and the shapes or dtypes; the boundary cases they accept are built and evaluated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';

const isGraphError = (re: RegExp) => (e: unknown) => e instanceof g.GraphError && re.test(e.message);

test('input and constant refuse bad dimensions and a value count that does not fit', () => {
  assert.throws(() => g.input('x', [2, -1]), isGraphError(/^input 'x': bad dimension in \[2, -1\]$/));
  assert.throws(() => g.input('x', [1.5]), isGraphError(/^input 'x': bad dimension in \[1\.5\]$/));
  assert.deepEqual(g.input('e', [0, 3]).shape, [0, 3]);
  assert.throws(() => g.constant(new Float32Array(5), [2, 3], 'w'), isGraphError(/^constant 'w': 5 values for shape \[2, 3\]$/));
  assert.throws(() => g.constant(new Float32Array(5), [2, 3]), isGraphError(/^constant: 5 values for shape \[2, 3\]$/));
});

test('elementwise ops refuse two numbers, shapes that do not broadcast and mixed dtypes', () => {
  const a = g.input('a', [2, 3]);
  assert.throws(() => g.add(1, 2), isGraphError(/^elementwise op on two numbers$/));
  assert.throws(() => g.add(a, g.input('b', [2])), isGraphError(/add/));
  assert.throws(() => g.mul(a, g.input('i', [3], 'int32')), isGraphError(/^mul: dtypes differ \(input\('a'\)\[2, 3\] float32 and input\('i'\)\[3\] int32\)$/));
  assert.throws(() => g.exp(g.input('i', [3], 'int32')), isGraphError(/^exp: input input\('i'\)\[3\] int32 has dtype int32, expected float32$/));
  assert.throws(() => g.where(g.input('c', [3]), a, 0), isGraphError(/^where: .* has dtype float32, expected bool$/));
  assert.throws(() => g.where(g.greater(a, 0), a, g.input('i', [3], 'int32')), isGraphError(/^where: dtypes differ/));
  assert.throws(() => g.where(g.greater(a, 0), a, g.input('b4', [4])), isGraphError(/^where: shapes \[2, 3\] and \[4\] do not broadcast$/));
});

test('matmul refuses rank < 2, differing inner dimensions and batches that do not broadcast', () => {
  const m = g.input('m', [2, 3]);
  assert.throws(() => g.matmul(g.input('v', [3]), m), isGraphError(/^matmul: needs rank >= 2, got \[3\] and \[2, 3\]$/));
  assert.throws(() => g.matmul(m, g.input('v', [3])), isGraphError(/^matmul: needs rank >= 2, got \[2, 3\] and \[3\]$/));
  assert.throws(() => g.matmul(m, m), isGraphError(/^matmul: inner dimensions differ in \[2, 3\] @ \[2, 3\]$/));
  assert.throws(() => g.matmul(g.input('a', [2, 2, 3]), g.input('b', [3, 3, 4])), isGraphError(/^matmul.* \(\[2, 2, 3\] @ \[3, 3, 4\]\)$/));
  assert.throws(() => g.matmul(g.input('i', [2, 3], 'int32'), g.input('j', [3, 2], 'int32')), isGraphError(/^matmul: .* expected float32$/));
  assert.throws(() => g.matmul(m, g.input('j', [3, 2], 'int32')), isGraphError(/^matmul: input input\('j'\).* expected float32$/));
});

test('layout ops refuse what does not fit and return their input unchanged when they would not move it', () => {
  const x = g.input('x', [2, 6]);
  assert.throws(() => g.reshape(x, [-1, -1]), isGraphError(/^reshape \[2, 6\] -> \[-1, -1\]: more than one -1$/));
  assert.throws(() => g.reshape(x, [5, -1]), isGraphError(/^reshape \[2, 6\] -> \[5, -1\]: sizes do not divide$/));
  assert.throws(() => g.reshape(x, [0, -1]), isGraphError(/sizes do not divide/));
  assert.throws(() => g.reshape(x, [3, 5]), isGraphError(/^reshape \[2, 6\] -> \[3, 5\]: 12 elements do not fit$/));
  assert.deepEqual(g.reshape(x, [4, -1]).shape, [4, 3]);
  assert.equal(g.reshape(x, [2, 6]), x);
  assert.equal(g.reshape(x, [-1, 6]), x);
  assert.notEqual(g.reshape(x, [2, 6, 1]), x);
  assert.deepEqual(g.reshape(g.input('s', [1, 1]), [1]).shape, [1]);
  assert.deepEqual(g.reshape(g.input('r', [2, 3, 2]), [2, 2, 3]).shape, [2, 2, 3]);
  assert.throws(() => g.transpose(x, [1, 1]), isGraphError(/^transpose: perm \[1, 1\] does not fit \[2, 6\]$/));
  assert.throws(() => g.transpose(x, [1, 0, 2]), isGraphError(/^transpose: perm \[1, 0, 2\] does not fit/));
  assert.equal(g.transpose(x, [0, 1]), x);
  assert.throws(() => g.concat([], 0), isGraphError(/^concat of nothing$/));
  assert.equal(g.concat([x], 0), x);
  assert.throws(() => g.concat([x, g.input('y', [3, 6])], 1), isGraphError(/^concat on axis 1: \[2, 6\], \[3, 6\] do not fit$/));
  assert.throws(() => g.concat([x, g.input('y', [2, 6, 1])], 0), isGraphError(/^concat on axis 0/));
  assert.throws(() => g.concat([g.input('y', [2, 6, 1]), x], 0), isGraphError(/^concat on axis 0: \[2, 6, 1\], \[2, 6\] do not fit$/));
  assert.throws(() => g.concat([x, g.input('i', [2, 6], 'int32')], 0), isGraphError(/^concat on axis 0/));
  assert.deepEqual(g.concat([x, g.input('y', [2, 1])], -1).shape, [2, 7]);
  assert.throws(() => g.concat([x, x], 2), isGraphError(/^concat: axis 2 out of range for rank 2$/));
  assert.throws(() => g.slice(x, 1, -1, 2), isGraphError(/^slice \[-1, 2\) on axis 1 of \[2, 6\] is out of range$/));
  assert.throws(() => g.slice(x, 1, 2, 7), isGraphError(/^slice \[2, 7\) on axis 1/));
  assert.throws(() => g.slice(x, 1, 3, 3), isGraphError(/^slice \[3, 3\) on axis 1/));
  assert.throws(() => g.slice(x, 2, 0, 1), isGraphError(/^slice: axis 2 out of range for rank 2$/));
  assert.deepEqual(g.slice(x, 1, 0, 6 - 1).shape, [2, 5]);
  assert.deepEqual(g.slice(x, -1, 1, 6).shape, [2, 5]);
  assert.equal(g.slice(x, 1, 0, 6), x);
  assert.equal(g.pad(x, 0, 0, 0), x);
  assert.deepEqual(g.pad(x, -1, 0, 2).shape, [2, 8]);
  assert.throws(() => g.pad(x, 2, 1, 1), isGraphError(/^pad: axis 2 out of range for rank 2$/));
  assert.throws(() => g.expand(x, [6]), isGraphError(/^expand \[2, 6\] -> \[6\]: not a broadcast$/));
  assert.throws(() => g.expand(x, [2]), isGraphError(/^expand \[2, 6\] -> \[2\]: not a broadcast$/));
  assert.throws(() => g.expand(g.input('o', [1, 6]), [6]), isGraphError(/^expand \[1, 6\] -> \[6\]: not a broadcast$/));
  assert.throws(() => g.expand(x, [3, 6]), isGraphError(/^expand \[2, 6\] -> \[3, 6\]: not a broadcast$/));
  assert.equal(g.expand(x, [2, 6]), x);
  assert.deepEqual(g.expand(g.input('o', [1, 6]), [3, 2, 6]).shape, [3, 2, 6]);
  assert.deepEqual(g.unsqueeze(x, 0).shape, [1, 2, 6]);
  assert.deepEqual(g.unsqueeze(x, -1).shape, [2, 6, 1]);
  assert.deepEqual(g.unsqueeze(x, 1).shape, [2, 1, 6]);
});

test('fused ops refuse integer inputs and a layerNorm scale or bias that does not fit', () => {
  const x = g.input('x', [2, 4]);
  const i = g.input('i', [2, 4], 'int32');
  const v4 = g.input('v4', [4]);
  assert.throws(() => g.softmax(i), isGraphError(/^softmax: .* expected float32$/));
  assert.throws(() => g.gelu(i), isGraphError(/^gelu: .* expected float32$/));
  assert.throws(() => g.layerNorm(x, g.input('s', [3]), v4), isGraphError(/^layerNorm: scale \[3\] and bias \[4\] must be \[4\] for \[2, 4\]$/));
  assert.throws(() => g.layerNorm(x, v4, g.input('b', [5])), isGraphError(/^layerNorm: scale \[4\] and bias \[5\] must be \[4\]/));
  assert.throws(() => g.layerNorm(x, g.input('s2', [1, 4]), v4), isGraphError(/^layerNorm: scale \[1, 4\]/));
  assert.throws(() => g.layerNorm(x, v4, g.input('b2', [1, 4])), isGraphError(/^layerNorm: scale \[4\] and bias \[1, 4\]/));
  assert.throws(() => g.layerNorm(x, g.input('s3', [4, 1]), v4), isGraphError(/^layerNorm: scale \[4, 1\]/));
  assert.throws(() => g.layerNorm(x, v4, g.input('b3', [4, 1])), isGraphError(/^layerNorm: scale \[4\] and bias \[4, 1\]/));
});

test('indexing ops refuse float indices, misfit updates, k out of range and rows out of range', () => {
  const t = g.input('t', [3, 2]);
  const idx = g.input('idx', [2], 'int32');
  assert.throws(() => g.gather(t, g.input('f', [2])), isGraphError(/^gather: .* expected int32 or int64$/));
  assert.throws(() => g.gather(g.input('s', []), idx), isGraphError(/^gather: table \[\] has no rows$/));
  assert.deepEqual(g.gather(g.input('v', [3]), idx).shape, [2]);
  assert.throws(() => g.scatterAdd(idx, g.input('u', [3, 2]), 4), isGraphError(/^scatterAdd: updates \[3, 2\] do not start with indices \[2\]$/));
  assert.throws(() => g.scatterAdd(g.input('i2', [2, 2], 'int32'), g.input('u2', [2]), 4), isGraphError(/^scatterAdd: updates \[2\] do not start/));
  assert.deepEqual(g.scatterAdd(idx, g.input('u3', [2]), 4).shape, [4]);
  assert.throws(() => g.scatterAdd(g.input('i3', [2, 2], 'int32'), g.input('u4', [2, 3]), 4), isGraphError(/^scatterAdd: updates \[2, 3\] do not start/));
  assert.throws(() => g.topk(t, 0), isGraphError(/^topk: k=0 for last axis of \[3, 2\]$/));
  assert.throws(() => g.topk(t, 3), isGraphError(/^topk: k=3 for last axis of \[3, 2\]$/));
  assert.deepEqual(g.topk(t, 2).shape, [3, 2]);
  assert.deepEqual(g.topk(t, 1).shape, [3, 1]);
  assert.deepEqual(g.topk(g.input('t3', [2, 3, 4]), 2).shape, [2, 3, 2]);
  assert.throws(() => g.topk(g.input('ti', [3], 'int32'), 1), isGraphError(/^topk: .* expected float32$/));
  // The interpreter counts a negative index from the end, as ONNX Gather does, and refuses one past either end.
  const feeds = (i: number[]) => ({ t: { shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }, idx: { shape: [2], data: i } });
  assert.deepEqual(Array.from(g.interpret([g.gather(t, idx)], feeds([-1, 0]))[0].data), [5, 6, 1, 2]);
  assert.deepEqual(Array.from(g.interpret([g.gather(t, idx)], feeds([-3, 2]))[0].data), [1, 2, 5, 6]);
  assert.throws(() => g.interpret([g.gather(t, idx)], feeds([3, 0])), isGraphError(/^index 3 out of range for 3 rows$/));
  assert.throws(() => g.interpret([g.gather(t, idx)], feeds([0, -4])), isGraphError(/^index -4 out of range for 3 rows$/));
  const u = g.input('u', [2, 2]);
  const sc = g.scatterAdd(idx, u, 3);
  const [s] = g.interpret([sc], { idx: { shape: [2], data: [-1, 2] }, u: { shape: [2, 2], data: [1, 2, 10, 20] } });
  assert.deepEqual(Array.from(s.data), [0, 0, 0, 0, 11, 22]);
});
