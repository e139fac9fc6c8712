// The erf primitive's float64 rule against Python's math.erf, and the exact GELU built on it against
// ½x(1 + math.erf(x/√2)) (the formula of torch's nn.GELU()), in the interpreter and on ONNX Runtime.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { compile, disposeAll } from '../../src/runtime/ort.ts';

after(disposeAll);

// x, math.erf(x) (CPython 3, double precision)
const ERF: [number, number][] = [
  [-5, -0.9999999999984626],
  [-3.2, -0.9999939742388483],
  [-1.2, -0.9103139782296353],
  [-0.3, -0.3286267594591274],
  [0, 0],
  [1e-3, 0.0011283787909692365],
  [0.5, 0.5204998778130465],
  [1, 0.8427007929497149],
  [2, 0.9953222650189527],
  [2.999, 0.9999777698314002],
  [3, 0.9999779095030014],
  [3.5, 0.9999992569016276],
  [6, 1],
  // Far out, where the series' sum overflows (exp(x²) past 1e308): the continued fraction holds.
  [-30, -1],
  [30, 1],
];

test('erf: the interpreter rule matches math.erf to 1e-15 on both sides of the series/fraction switch', () => {
  const x = g.input('x', [ERF.length]);
  const [y] = g.interpret([g.erf(x)], { x: { shape: [ERF.length], data: ERF.map(([v]) => v) } });
  ERF.forEach(([v, want], i) => assert.ok(Math.abs(y.data[i] - want) <= 1e-15, `erf(${v}) = ${y.data[i]}, expected ${want}`));
});

// x, 0.5 * x * (1 + math.erf(x / math.sqrt(2)))
const GELU: [number, number][] = [
  [-3, -0.00404969409489031],
  [-1.5, -0.10021080190328713],
  [-0.4, -0.13783130335587032],
  [0, 0],
  [0.7, 0.5306254434438489],
  [2.2, 2.1694124154703034],
];

test("gelu 'erf' is the exact GELU in float64 and on ONNX Runtime; 'tanh' differs from it", async () => {
  const x = g.input('x', [GELU.length]);
  const feeds = { x: { shape: [GELU.length], data: GELU.map(([v]) => v) } };
  const [exact, approx] = g.interpret([g.gelu(x, 'erf'), g.gelu(x, 'tanh')], feeds);
  const s = await compile({ y: g.gelu(x, 'erf') });
  const y = (await s.run({ x: { shape: [GELU.length], data: Float32Array.from(GELU, ([v]) => v) } })).y.data as Float32Array;
  await s.dispose();
  let apart = 0;
  GELU.forEach(([v, want], i) => {
    // 1e-7: the graph's scalars (0.5, 1/√2) are float32 constants.
    assert.ok(Math.abs(exact.data[i] - want) <= 1e-7, `interpreter gelu_erf(${v}) = ${exact.data[i]}, expected ${want}`);
    assert.ok(Math.abs(y[i] - want) <= 1e-6, `onnxruntime gelu_erf(${v}) = ${y[i]}, expected ${want}`);
    apart = Math.max(apart, Math.abs(approx.data[i] - want));
  });
  // The two forms differ by up to ~5e-4 here, well above float32 rounding: the setting matters.
  assert.ok(apart > 1e-4, `tanh and erf GELU agree to ${apart}`);
});
