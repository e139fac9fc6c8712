// L2P's initial parameters as the official modules make them: flax's uniform() (U[0, 0.01)),
// normal() (stddev 0.01) or zeros for the prompts, uniform or zero keys, a zero head; drawn from one
// seeded stream, prompts first, then keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initL2PParams, type PoolInit } from '../../src/methods/l2p/init.ts';
import { mulberry32 } from '../../src/random.ts';

const base: PoolInit = { poolSize: 4, length: 3, hidden: 5, numClasses: 7, initializer: 'uniform', keyInit: 'uniform', promptKey: true, seed: 11 };

test('shapes: prompt [1, M, Lp, D], key [M, D], a zero head [D, C] and [C]; no pool without prompts', () => {
  const p = initL2PParams(base, true);
  assert.deepEqual([...p.keys()].sort(), ['head/bias', 'head/kernel', 'prompt_pool/key', 'prompt_pool/prompt']);
  assert.deepEqual(p.get('prompt_pool/prompt')!.shape, [1, 4, 3, 5]);
  assert.deepEqual(p.get('prompt_pool/key')!.shape, [4, 5]);
  assert.deepEqual(p.get('head/kernel')!.shape, [5, 7]);
  assert.deepEqual(p.get('head/bias')!.shape, [7]);
  assert.ok(p.get('head/kernel')!.data.every((v) => v === 0) && p.get('head/bias')!.data.every((v) => v === 0));
  assert.deepEqual([...initL2PParams({ ...base, promptKey: false }, true).keys()].sort(), ['head/bias', 'head/kernel', 'prompt_pool/prompt']);
  assert.deepEqual([...initL2PParams(base, false).keys()].sort(), ['head/bias', 'head/kernel']);
});

test('uniform: 0.01 × the seeded stream, the prompts first and the keys after them', () => {
  const p = initL2PParams(base, true);
  const r = mulberry32(base.seed);
  const prompt = Float32Array.from({ length: 4 * 3 * 5 }, () => 0.01 * r());
  const key = Float32Array.from({ length: 4 * 5 }, () => 0.01 * r());
  assert.deepEqual(p.get('prompt_pool/prompt')!.data, prompt);
  assert.deepEqual(p.get('prompt_pool/key')!.data, key);
  assert.ok(prompt.every((v) => v >= 0 && v < 0.01));
});

test("zero: prompts (initializer 'zero') and keys (prompt_key_init 'zero') all 0", () => {
  const p = initL2PParams({ ...base, initializer: 'zero', keyInit: 'zero' }, true);
  assert.ok(p.get('prompt_pool/prompt')!.data.every((v) => v === 0));
  assert.ok(p.get('prompt_pool/key')!.data.every((v) => v === 0));
  // Zero prompts draw nothing: uniform keys after them are the stream's first values.
  const k = initL2PParams({ ...base, initializer: 'zero' }, true).get('prompt_pool/key')!.data;
  const r = mulberry32(base.seed);
  assert.deepEqual(k, Float32Array.from({ length: 20 }, () => 0.01 * r()));
});

test('normal: Box–Muller pairs of the stream, stddev 0.01, an odd count filled to its last element', () => {
  // 3 × 5 = 15 values per prompt slot, 4 slots: 60, then an odd-sized pool (poolSize 1, length 1, hidden 5).
  const p = initL2PParams({ ...base, initializer: 'normal' }, true).get('prompt_pool/prompt')!.data;
  const r = mulberry32(base.seed);
  const want = new Float32Array(60);
  for (let i = 0; i < 60; i += 2) {
    const u1 = r();
    const u2 = r();
    const radius = 0.01 * Math.sqrt(-2 * Math.log(1 - u1));
    want[i] = radius * Math.cos(2 * Math.PI * u2);
    want[i + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
  for (let i = 0; i < 60; i++) assert.ok(Math.abs(p[i] - want[i]) <= 1e-9, `element ${i}: ${p[i]} vs ${want[i]}`);
  // The keys (uniform) draw from where the prompts' 60 draws left the stream.
  const keys = initL2PParams({ ...base, initializer: 'normal' }, true).get('prompt_pool/key')!.data;
  assert.deepEqual(keys, Float32Array.from({ length: 20 }, () => 0.01 * r()));
  const odd = initL2PParams({ ...base, poolSize: 1, length: 1, hidden: 5, initializer: 'normal', promptKey: false }, true).get('prompt_pool/prompt')!.data;
  assert.equal(odd.length, 5);
  assert.ok(odd.every((v) => v !== 0 && Number.isFinite(v)), `${odd}`);
  // The statistics of many draws: mean 0, stddev 0.01 (standard error of the std ≈ 0.01 / √(2n)).
  const big = initL2PParams({ ...base, poolSize: 100, length: 10, hidden: 20, initializer: 'normal', promptKey: false }, true).get('prompt_pool/prompt')!.data;
  const n = big.length;
  const mean = big.reduce((a, v) => a + v, 0) / n;
  const std = Math.sqrt(big.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean) < 5 * (0.01 / Math.sqrt(n)), `mean ${mean}`);
  assert.ok(Math.abs(std - 0.01) < 5 * (0.01 / Math.sqrt(2 * n)), `std ${std}`);
});
