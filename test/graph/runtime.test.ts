// ONNX Runtime (float32) against the float64 interpreter: every case's value and gradients,
// and randomly composed graphs.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import type { Tensor } from '../../src/graph/index.ts';
import { toOnnx } from '../../src/runtime/onnx.ts';
import { compile, disposeAll, type HostTensor } from '../../src/runtime/ort.ts';
import { rng } from '../helpers/rng.ts';
import { cases } from './cases.ts';
import { interpFeeds, prepare, type Prepared } from './feeds.ts';

after(disposeAll);

function hostFeeds(p: Prepared): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const t of p.inputs) {
    const v = p.values.get(t.label!)!;
    const data =
      t.dtype === 'int32' ? Int32Array.from(v) : t.dtype === 'int64' ? BigInt64Array.from(v, (x) => BigInt(x)) : Float32Array.from(v);
    feeds[t.label!] = { shape: t.shape, data };
  }
  return feeds;
}

function close(got: ArrayLike<number | bigint>, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const x = Number(got[i]);
    assert.ok(Math.abs(x - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])), `${what}[${i}]: ORT ${x} vs interpreter ${want[i]}`);
  }
}

async function agree(p: Prepared, label: string): Promise<void> {
  const grads = g.grad(p.loss, p.wrt);
  const outputs: Record<string, Tensor> = { out: p.out, loss: p.loss };
  grads.forEach((gr, k) => (outputs[`grad_${p.wrt[k].label}`] = gr));
  const names = Object.keys(outputs);
  const want = g.interpret(Object.values(outputs), interpFeeds(p));
  const session = await compile(outputs);
  const got = await session.run(hostFeeds(p));
  names.forEach((n, k) => {
    assert.deepEqual([...got[n].shape], [...want[k].shape], `${label} ${n}: shape`);
    close(got[n].data as ArrayLike<number>, want[k].data, `${label} ${n}`);
  });
  await session.dispose();
}

for (const c of cases) {
  test(`ort: ${c.name}`, () => agree(prepare(c, 7), c.name));
}

test('ort: top-k order, ties to the lower index', async () => {
  const x = g.input('x', [2, 5]);
  const s = await compile({ idx: g.topk(x, 3) });
  const r = await s.run({ x: { shape: [2, 5], data: Float32Array.of(1, 3, 3, 0, 3, 2, 2, 5, 2, 1) } });
  assert.deepEqual(Array.from(r.idx.data as Int32Array), [1, 2, 4, 2, 0, 1]);
  const [ref] = g.interpret([g.topk(x, 3)], { x: { shape: [2, 5], data: [1, 3, 3, 0, 3, 2, 2, 5, 2, 1] } });
  assert.deepEqual(Array.from(ref.data), [1, 2, 4, 2, 0, 1]);
});

test('ort: top-k over the last axis of a rank-3 tensor', async () => {
  const x = g.input('x', [2, 2, 3]);
  const data = [3, 1, 2, 0, 5, 4, 7, 9, 8, 6, 6, 1];
  const s = await compile({ idx: g.topk(x, 2) });
  const r = await s.run({ x: { shape: [2, 2, 3], data: Float32Array.from(data) } });
  await s.dispose();
  // per row of 3: [3,1,2] -> 0,2; [0,5,4] -> 1,2; [7,9,8] -> 1,2; [6,6,1] -> 0,1 (a tie to the lower index)
  assert.deepEqual(Array.from(r.idx.data as Int32Array), [0, 2, 1, 2, 1, 2, 0, 1]);
  const [ref] = g.interpret([g.topk(x, 2)], { x: { shape: [2, 2, 3], data } });
  assert.deepEqual(Array.from(ref.data), [0, 2, 1, 2, 1, 2, 0, 1]);
});

// Random graphs: a pool of [3, 4] tensors grown by random ops, then a weighted sum as the loss.
type Grow = (pool: Tensor[], r: () => number) => Tensor;
const pick = (pool: Tensor[], r: () => number) => pool[Math.floor(r() * pool.length)];
const growers: Grow[] = [
  (p, r) => g.add(pick(p, r), pick(p, r)),
  (p, r) => g.mul(pick(p, r), pick(p, r)),
  (p, r) => g.sub(pick(p, r), g.sum(pick(p, r), 1, true)),
  (p, r) => g.tanh(pick(p, r)),
  (p, r) => g.softmax(pick(p, r), r() < 0.5 ? 0 : 1),
  (p, r) => g.layerNorm(pick(p, r), g.constant(Float32Array.of(1, 0.5, 2, 1), [4]), g.constant(Float32Array.of(0, 0.1, 0, -0.1), [4])),
  (p, r) => g.matmul(pick(p, r), g.transpose(g.matmul(g.transpose(pick(p, r), [1, 0]), pick(p, r)), [1, 0])),
  (p, r) => g.reshape(g.transpose(g.reshape(pick(p, r), [2, 6]), [1, 0]), [3, 4]),
  (p, r) => g.concat([g.slice(pick(p, r), 1, 0, 1), g.slice(pick(p, r), 1, 1, 4)], 1),
  (p, r) => g.gelu(pick(p, r)),
  (p, r) => g.l2Normalize(pick(p, r)),
  (p, r) => g.exp(g.mul(pick(p, r), 0.5)),
];

for (let seed = 1; seed <= 12; seed++) {
  test(`ort: random graph ${seed}`, async () => {
    const r = rng(seed * 101);
    const inputs = ['a', 'b', 'c'].map((n) => g.input(n, [3, 4]));
    const pool: Tensor[] = [...inputs];
    for (let i = 0; i < 10; i++) pool.push(growers[Math.floor(r() * growers.length)](pool, r));
    const out = g.add(pool[pool.length - 1], g.mul(pool[pool.length - 2], 0.5));
    const weights = Float32Array.from({ length: out.size }, () => r() - 0.5);
    const loss = g.sum(g.mul(out, g.constant(weights, out.shape)), [0, 1]);
    const wrt = inputs.filter((x) => g.topoSort([loss]).includes(x));
    assert.ok(wrt.length > 0, `random graph ${seed} reaches no input`);
    const values = new Map(inputs.map((x) => [x.label!, Float64Array.from({ length: 12 }, () => Math.fround(r() * 2 - 1))] as const));
    await agree({ inputs, out, loss, wrt, values }, `random ${seed}`);
  });
}

test('ort: an input keeps its name when a constant has the same label', async () => {
  const c = g.constant(Float32Array.of(10, 20), [2], 'w');
  const x = g.input('w', [2]);
  const s = await compile({ y: g.add(c, x) });
  const r = await s.run({ w: { shape: [2], data: Float32Array.of(1, 2) } });
  assert.deepEqual(Array.from(r.y.data as Float32Array), [11, 22]);
  assert.throws(() => toOnnx({ y: g.add(g.input('z', [1]), g.input('z', [1])) }), /two inputs named 'z'/);
});
