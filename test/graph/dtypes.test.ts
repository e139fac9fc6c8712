// The comparisons, cast, where, stopGradient and scalars of every dtype: known answers in the float64
// interpreter and on ONNX Runtime (which checks each node's ONNX element-type codes).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { toOnnx } from '../../src/runtime/onnx.ts';
import { compile, disposeAll } from '../../src/runtime/ort.ts';

after(disposeAll);

const A = [-1.5, 0, 2, 2.7, -0.2, 3];
const B = [0, 0, 2, 3, -0.3, -4];

test('comparisons and cast give known answers in the interpreter and on ONNX Runtime', async () => {
  const a = g.input('a', [2, 3]);
  const b = g.input('b', [2, 3]);
  const outs = {
    eq: g.cast(g.equal(a, b), 'int32'),
    lt: g.cast(g.less(a, b), 'int32'),
    gt: g.cast(g.greater(a, b), 'int32'),
    ge: g.cast(g.greaterEqual(a, b), 'int32'),
    toInt: g.cast(a, 'int32'),
    toBoolF: g.cast(g.cast(a, 'bool'), 'float32'),
    toI64: g.cast(g.cast(a, 'int64'), 'float32'),
    back: g.cast(g.cast(a, 'int32'), 'float32'),
    pick: g.where(g.less(a, b), a, g.neg(b)),
    maxi: g.maximum(a, b),
  };
  const want: Record<keyof typeof outs, number[]> = {
    eq: [0, 1, 1, 0, 0, 0],
    lt: [1, 0, 0, 1, 0, 0],
    gt: [0, 0, 0, 0, 1, 1],
    ge: [0, 1, 1, 0, 1, 1],
    toInt: [-1, 0, 2, 2, 0, 3],
    toBoolF: [1, 0, 1, 1, 1, 1],
    toI64: [-1, 0, 2, 2, 0, 3],
    back: [-1, 0, 2, 2, 0, 3],
    pick: [-1.5, -0, -2, 2.7, 0.3, 4],
    maxi: [0, 0, 2, 3, -0.2, 3],
  };
  const names = Object.keys(outs) as (keyof typeof outs)[];
  const feeds = { a: { shape: [2, 3], data: A }, b: { shape: [2, 3], data: B } };
  const got = g.interpret(names.map((n) => outs[n]), feeds);
  names.forEach((n, k) => {
    assert.deepEqual(got[k].shape, [2, 3], n);
    got[k].data.forEach((v, i) => assert.ok(Math.abs(v - want[n][i]) < 1e-6, `interpreter ${n}[${i}] = ${v}, expected ${want[n][i]}`));
  });
  assert.equal(outs.eq.dtype, 'int32');
  assert.equal(g.equal(a, b).dtype, 'bool');
  assert.equal(g.cast(a, 'float32'), a);
  const s = await compile(outs);
  const r = await s.run({ a: { shape: [2, 3], data: Float32Array.from(A) }, b: { shape: [2, 3], data: Float32Array.from(B) } });
  await s.dispose();
  for (const n of names) {
    Array.from(r[n].data as Float32Array).forEach((v, i) =>
      assert.ok(Math.abs(Number(v) - want[n][i]) < 1e-6, `onnxruntime ${n}[${i}] = ${v}, expected ${want[n][i]}`),
    );
  }
});

test('a number operand takes the tensor dtype; scalars of every dtype lower and evaluate', async () => {
  const i = g.input('xi', [3], 'int32');
  const l = g.input('xl', [3], 'int64');
  const outs = {
    i: g.add(i, 2),
    il: g.sub(5, i),
    l: g.mul(l, 3),
    b: g.where(g.equal(g.cast(i, 'bool'), g.scalar(1, 'bool')), i, 0),
    q: g.cast(g.add(g.cast(i, 'int32'), g.cast(g.scalar(-3, 'int8'), 'int32')), 'float32'),
  };
  assert.equal(outs.i.dtype, 'int32');
  assert.equal(outs.l.dtype, 'int64');
  assert.equal(g.scalar(1, 'int8').dtype, 'int8');
  assert.equal(g.scalar(0, 'bool').value![0], 0);
  assert.equal(g.scalar(7, 'int64').value![0], 7n);
  const want = { i: [2, 3, 9], il: [5, 4, -2], l: [-3, 0, 12], b: [0, 1, 7], q: [-3, -2, 4] };
  const names = Object.keys(outs) as (keyof typeof outs)[];
  const got = g.interpret(names.map((n) => outs[n]), { xi: { shape: [3], data: [0, 1, 7] }, xl: { shape: [3], data: BigInt64Array.of(-1n, 0n, 4n) } });
  names.forEach((n, k) => assert.deepEqual(Array.from(got[k].data), want[n], `interpreter ${n}`));
  const s = await compile(outs);
  const r = await s.run({ xi: { shape: [3], data: Int32Array.of(0, 1, 7) }, xl: { shape: [3], data: BigInt64Array.of(-1n, 0n, 4n) } });
  await s.dispose();
  for (const n of names) assert.deepEqual(Array.from(r[n].data as ArrayLike<number | bigint>, Number), want[n], `onnxruntime ${n}`);
});

test('stopGradient passes its value and cuts its gradient; cast passes a float gradient only', () => {
  const x = g.input('x', [3]);
  const feeds = { x: { shape: [3], data: [1, 2, 3] } };
  const y = g.mul(x, g.stopGradient(x)); // d/dx = x, not 2x
  const [gy] = g.grad(g.sum(y, 0), [x]);
  const [v, d] = g.interpret([y, gy], feeds);
  assert.deepEqual(Array.from(v.data), [1, 4, 9]);
  assert.deepEqual(Array.from(d.data), [1, 2, 3]);
  const viaInt = g.cast(g.cast(x, 'int32'), 'float32');
  const [gi] = g.grad(g.sum(g.add(viaInt, x), 0), [x]);
  assert.deepEqual(Array.from(g.interpret([gi], feeds)[0].data), [1, 1, 1]);
});

test("matmul under compute precision 'fp16' lowers to casts around a float16 MatMul and runs", async () => {
  const a = g.input('a', [1, 2]);
  const y = g.matmul(a, g.constant(Float32Array.of(1, 1), [2, 1]));
  // ONNX node op types are plain strings in the model's bytes: only the fp16 lowering casts.
  const ops = (precision: 'fp32' | 'fp16') => Buffer.from(toOnnx({ y }, { precision }).bytes);
  assert.ok(ops('fp16').includes('Cast') && ops('fp16').includes('MatMul'));
  assert.ok(!ops('fp32').includes('Cast') && ops('fp32').includes('MatMul'));
  // ONNX Runtime's CPU provider runs the float16 product by casting back to float32 itself (its
  // casts cancel ours), so the value is the float32 one: a check that the lowered graph is valid.
  const s = await compile({ y }, { computePrecision: 'fp16' });
  const r = (await s.run({ a: { shape: [1, 2], data: Float32Array.of(1.5, 2) } })).y;
  await s.dispose();
  assert.deepEqual([...r.shape], [1, 1]);
  assert.equal(r.data[0], 3.5);
});
