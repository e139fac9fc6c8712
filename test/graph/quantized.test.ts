// The int8 dense layer: ONNX Runtime against the interpreter's emulation of the same quantization,
// and both close to the fp32 product.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { compile, disposeAll } from '../../src/runtime/ort.ts';
import { rng, uniform } from '../helpers/rng.ts';

after(disposeAll);

test('qdense: ONNX Runtime matches the emulated int8 arithmetic and stays near fp32', async () => {
  const r = rng(21);
  const x = g.input('x', [2, 5, 16]);
  const w = g.constant(uniform(r, 16 * 8), [16, 8]);
  const b = g.constant(uniform(r, 8), [8]);
  const q = g.qdense(x, g.reshape(w, [16, 8]), b);
  const f = g.dense(x, w, b);
  const data = uniform(r, 2 * 5 * 16, -2, 3);
  const feeds = { x: { shape: [2, 5, 16], data } };
  const [emulated, exact] = g.interpret([q, f], feeds);
  const got = (await (await compile({ y: q })).run(feeds)).y.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i] - emulated.data[i]) < 1e-4, `[${i}] ORT ${got[i]} vs emulated ${emulated.data[i]}`);
    worst = Math.max(worst, Math.abs(emulated.data[i] - exact.data[i]));
  }
  // Quantization error: activations on 255 levels over [-2, 3], weights on 127 levels per column.
  assert.ok(worst < 0.1 && worst > 0, `int8 vs fp32: ${worst}`);
});
