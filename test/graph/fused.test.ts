// The fused ops (softmax, layerNorm, gelu) against their composite formulas built from primitives,
// in the float64 interpreter and on ONNX Runtime.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import type { Tensor } from '../../src/graph/index.ts';
import { compile, disposeAll } from '../../src/runtime/ort.ts';
import { rng, uniform } from '../helpers/rng.ts';

after(disposeAll);

const softmaxComposite = (x: Tensor) => {
  const e = g.exp(g.sub(x, g.max(x, -1, true)));
  return g.div(e, g.sum(e, -1, true));
};
const layerNormComposite = (x: Tensor, s: Tensor, b: Tensor, eps: number) => {
  const xc = g.sub(x, g.mean(x, -1, true));
  const v = g.mean(g.mul(xc, xc), -1, true);
  return g.add(g.mul(g.div(xc, g.sqrt(g.add(v, eps))), s), b);
};
const geluComposite = (x: Tensor) =>
  g.mul(g.mul(x, 0.5), g.add(g.tanh(g.mul(g.add(x, g.mul(g.mul(g.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI))), 1));

const r = rng(5);
const xs = uniform(r, 24, -3, 3);
const scale = g.constant(uniform(r, 6, 0.5, 1.5), [6]);
const bias = g.constant(uniform(r, 6), [6]);
const x = g.input('x', [4, 6]);
const pairs: [string, Tensor, Tensor][] = [
  ['softmax', g.softmax(x), softmaxComposite(x)],
  ['softmax axis 0', g.softmax(x, 0), g.transpose(softmaxComposite(g.transpose(x, [1, 0])), [1, 0])],
  ['layerNorm', g.layerNorm(x, scale, bias, 1e-6), layerNormComposite(x, scale, bias, 1e-6)],
  ['gelu', g.gelu(x), geluComposite(x)],
];

for (const [name, fused, composite] of pairs) {
  test(`fused ${name} equals its composite formula`, async () => {
    const feeds = { x: { shape: [4, 6], data: xs } };
    const [a, b] = g.interpret([fused, composite], feeds);
    // The composites' scalar constants (0.044715, √(2/π), eps) are float32 graph constants: 1e-7 apart.
    for (let i = 0; i < a.data.length; i++) assert.ok(Math.abs(a.data[i] - b.data[i]) < 1e-7, `${name}[${i}]: ${a.data[i]} vs ${b.data[i]}`);
    const s = await compile({ y: fused });
    const got = (await s.run(feeds)).y.data as Float32Array;
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - b.data[i]) < 1e-5, `${name} on ORT [${i}]: ${got[i]} vs ${b.data[i]}`);
  });
}

test('fused softmax of logits far beyond exp\'s range: the largest is subtracted first', async () => {
  const v = g.input('v', [1, 3]);
  const data = [1000, 999, -1000];
  const [got] = g.interpret([g.softmax(v)], { v: { shape: [1, 3], data } });
  const e1 = Math.exp(-1);
  const want = [1 / (1 + e1), e1 / (1 + e1), 0];
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(got.data[i] - want[i]) < 1e-12, `[${i}]: ${got.data[i]} vs ${want[i]}`);
  const s = await compile({ y: g.softmax(v) });
  const ort = (await s.run({ v: { shape: [1, 3], data: Float32Array.from(data) } })).y.data as Float32Array;
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(ort[i] - want[i]) < 1e-6, `ORT [${i}]: ${ort[i]} vs ${want[i]}`);
});

test('fused layerNorm honours its own eps where the variance is of its size (ONNX\'s default is 1e-5)', async () => {
  // Rows of ±1e-3 around a mean: variance 1e-6, as large as eps, so eps moves every value by a third.
  const ln = g.layerNorm(x, scale, bias, 1e-6);
  const small = Float32Array.from(xs, (v, i) => 2 + v * 3e-4 + (i % 2 ? 1e-3 : -1e-3));
  const feeds = { x: { shape: [4, 6], data: small } };
  const [ref] = g.interpret([layerNormComposite(x, scale, bias, 1e-6)], feeds);
  const [other] = g.interpret([layerNormComposite(x, scale, bias, 1e-5)], feeds);
  const s = await compile({ y: ln });
  const got = (await s.run(feeds)).y.data as Float32Array;
  let apart = 0;
  for (let i = 0; i < got.length; i++) {
    apart = Math.max(apart, Math.abs(other.data[i] - ref.data[i]));
    // float32 rounding of x − mean at 2 ± 1e-3 is about 1e-7 of 1e-3: 1e-4 of a normalized value.
    assert.ok(Math.abs(got[i] - ref.data[i]) < 1e-3, `[${i}]: ${got[i]} vs ${ref.data[i]}`);
  }
  assert.ok(apart > 0.1, `eps 1e-5 and 1e-6 differ by ${apart} only: the test cannot tell them`);
});
