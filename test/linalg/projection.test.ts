// The random projection: N(0, 1) entries, fixed by the seed; the head's graph (ReLU of the
// projection, then features times Woᵀ) on the engine against the same arithmetic on the host.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as g from '../../src/graph/index.ts';
import { randomProjection, ranpacFeatures, ranpacLogits } from '../../src/linalg/index.ts';
import { compile, disposeAll } from '../../src/runtime/ort.ts';

after(() => disposeAll());

test('W_rand [d, M] is standard normal and fixed by its seed', () => {
  const w = randomProjection(3, 768, 500); // 384,000 draws
  assert.equal(w.length, 768 * 500);
  let s = 0;
  let s2 = 0;
  let s4 = 0;
  let within1 = 0;
  for (const v of w) {
    s += v;
    s2 += v * v;
    s4 += v ** 4;
    if (Math.abs(v) < 1) within1++;
  }
  const n = w.length;
  // Standard errors at n = 384,000: mean 0.0016, variance 0.0023, kurtosis 0.008, P(|z|<1) 0.0008.
  assert.ok(Math.abs(s / n) < 0.01, `mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.012, `variance ${s2 / n}`);
  assert.ok(Math.abs(s4 / n - 3) < 0.05, `fourth moment ${s4 / n}`);
  assert.ok(Math.abs(within1 / n - 0.682689) < 0.004, `P(|z| < 1) ${within1 / n}`);
  assert.deepEqual(randomProjection(3, 768, 500), w);
  assert.notDeepEqual(randomProjection(4, 768, 500).subarray(0, 8), w.subarray(0, 8));
  // An odd count fills its last entry too.
  assert.ok(randomProjection(1, 3, 3).every((v) => v !== 0 && Number.isFinite(v)));
  assert.throws(() => randomProjection(1, 768, 0), /d and M must be positive integers, got d=768, M=0/);
});

test('the head: relu(x W_rand) Woᵀ on the engine equals the host arithmetic; M = 0 reads x itself', async () => {
  const [B, d, M, C] = [3, 5, 7, 2];
  const xs = Float32Array.from({ length: B * d }, (_, i) => Math.sin(i + 1));
  const w = randomProjection(9, d, M);
  const wo = Float32Array.from({ length: C * M }, (_, i) => Math.cos(i));
  const x = g.input('x', [B, d]);
  const s = await compile({
    logits: ranpacLogits(ranpacFeatures(x, g.constant(w, [d, M])), g.constant(wo, [C, M])),
    plain: ranpacLogits(ranpacFeatures(x, null), g.constant(wo.subarray(0, C * d), [C, d])),
  });
  const res = await s.run({ x: { shape: [B, d], data: xs } });
  const out = { logits: res.logits.data as Float32Array, plain: res.plain.data as Float32Array };
  for (let b = 0; b < B; b++) {
    const h = Array.from({ length: M }, (_, j) => Math.max(0, Array.from({ length: d }, (_, k) => xs[b * d + k] * w[k * M + j]).reduce((p, q) => p + q)));
    for (let c = 0; c < C; c++) {
      const want = h.reduce((acc, v, j) => acc + v * wo[c * M + j], 0);
      assert.ok(Math.abs(out.logits[b * C + c] - want) < 1e-5 * (1 + Math.abs(want)), `[${b}, ${c}]`);
      const plain = Array.from({ length: d }, (_, k) => xs[b * d + k] * wo[c * d + k]).reduce((p, q) => p + q);
      assert.ok(Math.abs(out.plain[b * C + c] - plain) < 1e-5, `plain [${b}, ${c}]`);
    }
  }
  assert.ok(h0HasZero(xs, w, d, M), 'the case exercises ReLU');
  await s.dispose();
});

/** Whether some projected value is negative (so ReLU changes something in the case above). */
function h0HasZero(xs: Float32Array, w: Float32Array, d: number, M: number): boolean {
  for (let j = 0; j < M; j++) if (Array.from({ length: d }, (_, k) => xs[k] * w[k * M + j]).reduce((p, q) => p + q) < 0) return true;
  return false;
}
