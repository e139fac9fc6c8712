// The WebGPU lowering of the index ops (int32 indices: scatterAdd by ScatterElements, top-k through
// an int32 lookup) on ONNX Runtime's WebGPU provider, without a GPU: Vulkan from SwiftShader, as in
// test/runtime/webgpu.test.ts (npm test installs chromium and libvulkan1), against known answers.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { toOnnx } from '../../src/runtime/onnx.ts';
import { compile, disposeAll } from '../../src/runtime/ort.ts';

before(() => {
  // The Vulkan loader reads these when the first WebGPU session starts.
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) process.env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'l2p-xdg-'));
});
after(disposeAll);

test('webgpu: scatterAdd adds repeated rows, gather picks them, top-k orders with ties to the lower index', async () => {
  const idx = g.input('idx', [3], 'int32');
  const u = g.input('u', [3, 2]);
  const x = g.input('x', [2, 5]);
  const outs = { sc: g.scatterAdd(idx, u, 4), ga: g.gather(u, idx), tk: g.topk(x, 3) };
  const feeds = {
    idx: { shape: [3], data: Int32Array.of(2, 0, 2) },
    u: { shape: [3, 2], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
    x: { shape: [2, 5], data: Float32Array.of(1, 3, 3, 0, 3, 2, 2, 5, 2, 1) },
  };
  const s = await compile(outs, { device: 'webgpu' });
  const r = await s.run(feeds);
  await s.dispose();
  assert.deepEqual([...r.sc.shape], [4, 2]);
  assert.deepEqual(Array.from(r.sc.data as Float32Array), [3, 4, 0, 0, 6, 8, 0, 0]);
  assert.deepEqual(Array.from(r.ga.data as Float32Array), [5, 6, 1, 2, 5, 6]);
  assert.deepEqual(Array.from(r.tk.data as Int32Array), [1, 2, 4, 2, 0, 1]);
});

test('scatterAdd lowers for WebGPU to ScatterElements on int32 indices, for the CPU to ScatterND', () => {
  // WebGPU has no Cast from int64 (ScatterND's index type), so the CPU's lowering would leave the cast
  // and the scatter on the CPU provider: the placement test of test/runtime/webgpu.test.ts checks
  // the training graphs, whose gradients scatter, run wholly on WebGPU.
  const idx = g.input('idx', [3], 'int32');
  const u = g.input('u', [3, 2]);
  const ops = (target: 'cpu' | 'webgpu') => Buffer.from(toOnnx({ sc: g.scatterAdd(idx, u, 4) }, { target }).bytes);
  assert.ok(ops('webgpu').includes('ScatterElements') && !ops('webgpu').includes('ScatterND') && !ops('webgpu').includes('Cast'));
  assert.ok(ops('cpu').includes('ScatterND') && !ops('cpu').includes('ScatterElements'));
});
