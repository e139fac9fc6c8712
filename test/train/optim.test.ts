// Optimisers and clipping against values computed by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adamInit, adamStep, clipByGlobalNorm, sgdInit, sgdStep } from '../../src/train/optim.ts';

const near = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('clip by global norm: the norm spans every tensor', () => {
  const grads = new Map([['a', Float32Array.of(3, 0)], ['b', Float32Array.of(0, 4)]]);
  const r = clipByGlobalNorm(grads, 1);
  near(r.norm, 5);
  // Exact: the clip's 1e-6 moves these by about 1e-7, under the default tolerance.
  assert.equal(r.factor, 1 / (5 + 1e-6));
  assert.equal(grads.get('a')![0], Math.fround(3 / (5 + 1e-6)));
  assert.equal(grads.get('b')![1], Math.fround(4 / (5 + 1e-6)));
});

test('clip by global norm: below the limit nothing changes', () => {
  const grads = new Map([['a', Float32Array.of(0.3, 0.4)]]);
  const r = clipByGlobalNorm(grads, 1);
  assert.equal(r.factor, 1);
  assert.deepEqual(Array.from(grads.get('a')!), [Math.fround(0.3), Math.fround(0.4)]);
  assert.equal(clipByGlobalNorm(grads, null).factor, 1);
});

test('adam: the first step moves each weight by lr·sign(g) (bias correction)', () => {
  const p = new Map([['w', Float32Array.of(1, 1, 1)]]);
  const s = adamInit(p);
  adamStep(p, new Map([['w', Float32Array.of(0.5, -2, 0)]]), s, 0.1, { beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  // m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps).
  near(p.get('w')![0], 0.9, 1e-6);
  near(p.get('w')![1], 1.1, 1e-6);
  near(p.get('w')![2], 1, 0);
});

test('adam: the second step, by hand', () => {
  const p = new Map([['w', Float32Array.of(0)]]);
  const s = adamInit(p);
  const c = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  adamStep(p, new Map([['w', Float32Array.of(1)]]), s, 0.01, c);
  adamStep(p, new Map([['w', Float32Array.of(3)]]), s, 0.01, c);
  // m = 0.9·0.1 + 0.1·3 = 0.39, m̂ = 0.39/0.19; v = 0.999·0.001 + 0.001·9 = 0.009999, v̂ = v/0.001999.
  const step2 = (0.01 * (0.39 / 0.19)) / (Math.sqrt(0.009999 / 0.001999) + 1e-8);
  near(p.get('w')![0], -0.01 - step2, 1e-6);
});

test('sgd with nesterov momentum, by hand', () => {
  const p = new Map([['w', Float32Array.of(1)]]);
  const s = sgdInit(p);
  sgdStep(p, new Map([['w', Float32Array.of(1)]]), s, 0.1, 0.9, true);
  near(p.get('w')![0], 1 - 0.1 * (1 + 0.9 * 1)); // v = 1
  sgdStep(p, new Map([['w', Float32Array.of(1)]]), s, 0.1, 0.9, true);
  near(p.get('w')![0], 0.81 - 0.1 * (1 + 0.9 * 1.9)); // v = 1.9
});

test('clip by global norm: squares of gradients not given count toward the norm, and only given ones scale', () => {
  const grads = new Map([['a', Float32Array.of(3)]]);
  const r = clipByGlobalNorm(grads, 1, 16); // a frozen gradient of norm 4 elsewhere
  near(r.norm, 5);
  assert.equal(grads.get('a')![0], Math.fround(3 / (5 + 1e-6)));
});

test("adam with weight decay, as flax.optim.Adam: p − lr·(m̂/(√v̂+eps) + wd·p), the decay on the parameter before the step", () => {
  const p = new Map([['w', Float32Array.of(2, -1)]]);
  const s = adamInit(p);
  adamStep(p, new Map([['w', Float32Array.of(0.5, 0)]]), s, 0.1, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  // w0: 2 − 0.1·(1 + 0.01·2) = 1.898 (decaying the updated 1.9 would give 1.8981); w1: −1 − 0.1·(0 − 0.01) = −0.999.
  near(p.get('w')![0], 1.898, 1e-6);
  near(p.get('w')![1], -0.999, 1e-6);
});

test('clip by global norm: a max norm of 0 or below means no clipping, as null does', () => {
  for (const maxNorm of [0, -1]) {
    const grads = new Map([['a', Float32Array.of(3, 4)]]);
    const r = clipByGlobalNorm(grads, maxNorm);
    assert.deepEqual(r, { norm: 5, factor: 1 });
    assert.deepEqual(Array.from(grads.get('a')!), [3, 4]);
  }
});

test('adam: a parameter with no gradient is refused by name', () => {
  const p = new Map([['w', Float32Array.of(1)], ['head/bias', Float32Array.of(1)]]);
  assert.throws(() => adamStep(p, new Map([['w', Float32Array.of(1)]]), adamInit(p), 0.1, { beta1: 0.9, beta2: 0.999, eps: 1e-8 }), {
    message: "adam: no gradient for 'head/bias'",
  });
});

test('adam: eps is added outside the square root (a large eps shows it)', () => {
  const p = new Map([['w', Float32Array.of(0)]]);
  adamStep(p, new Map([['w', Float32Array.of(1)]]), adamInit(p), 1, { beta1: 0.9, beta2: 0.999, eps: 1 });
  // m̂ = 1, v̂ = 1: step = 1 / (√1 + 1) = 0.5 (eps inside the root would give 1/√2).
  assert.equal(p.get('w')![0], -0.5);
});

test('adam: lrScale multiplies the rate of the paths it names; other paths step at lr', () => {
  const p = new Map([['a', Float32Array.of(0)], ['b', Float32Array.of(0)], ['c', Float32Array.of(0)]]);
  const g = new Map([['a', Float32Array.of(1)], ['b', Float32Array.of(1)], ['c', Float32Array.of(-1)]]);
  const lrScale = new Map([['a', 0.25], ['c', 4]]);
  adamStep(p, g, adamInit(p), 0.1, { beta1: 0.9, beta2: 0.999, eps: 0, lrScale });
  // First step: lr·scale·sign(g).
  near(p.get('a')![0], -0.025, 1e-8);
  near(p.get('b')![0], -0.1, 1e-8);
  near(p.get('c')![0], 0.4, 1e-7);
});

test('sgd with plain momentum: p −= lr·v, v = μv + g, and the step counter advances', () => {
  const p = new Map([['w', Float32Array.of(1)]]);
  const s = sgdInit(p);
  sgdStep(p, new Map([['w', Float32Array.of(1)]]), s, 0.1, 0.9, false);
  near(p.get('w')![0], 0.9); // v = 1
  sgdStep(p, new Map([['w', Float32Array.of(2)]]), s, 0.1, 0.9, false);
  near(p.get('w')![0], 0.9 - 0.1 * 2.9); // v = 0.9 + 2
  assert.equal(s.step, 2);
  near(s.momentum.get('w')![0], 2.9);
});

test('adam: the step counter advances and the moments hold the running averages', () => {
  const p = new Map([['w', Float32Array.of(0)]]);
  const s = adamInit(p);
  adamStep(p, new Map([['w', Float32Array.of(2)]]), s, 0.01, { beta1: 0.9, beta2: 0.99, eps: 1e-8 });
  assert.equal(s.step, 1);
  near(s.m.get('w')![0], 0.2);
  near(s.v.get('w')![0], 0.04);
});
