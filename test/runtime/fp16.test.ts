// compute_precision 'fp16': the lowering (src/runtime/onnx.ts) puts every matmul on float16 operands
// and feeds weights that only products read as float16 copies; what it computes is checked on the CPU
// provider (which runs float16 graphs), and WebGPU without shader-f16 (SwiftShader) refuses it in one
// line. No adapter here has shader-f16: the GPU numbers come from bench/gpu/run.sh --fp16demo.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { placement } from '../../bench/gpu/placement.ts';
import { applyOverrides } from '../../src/config/overrides.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import * as g from '../../src/graph/index.ts';
import { halfCopy, toHalfBits, toOnnx } from '../../src/runtime/onnx.ts';
import { compile, disposeAll, type HostTensor } from '../../src/runtime/ort.ts';
import { backboneFor } from '../../src/train/experiment.ts';
import { createLearner } from '../../src/train/setup.ts';

after(disposeAll);

/** IEEE half bits back to a number (the reference for the rounding, written from the format's definition). */
function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
}

test('float32 to float16 bits: exact values, round to nearest even, overflow, subnormals, underflow', () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [-Infinity, 0xfc00],
    [1 + 2 ** -11, 0x3c00], // a tie: to the even neighbour 1
    [1 + 3 * 2 ** -11, 0x3c02], // a tie: to the even neighbour 1 + 2^-9
    [1 / 3, 0x3555], [2 ** -24, 0x0001], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [1e-8, 0x0000], [-0, 0x8000],
  ];
  for (const [x, bits] of cases) assert.equal(toHalfBits(x), bits, `${x}`);
  assert.equal(toHalfBits(NaN) & 0x7c00, 0x7c00);
  assert.ok(toHalfBits(NaN) & 0x3ff);
  // Every half value round-trips.
  for (let h = 0; h < 0x7c00; h += 37) assert.equal(toHalfBits(fromHalfBits(h)), h);
});

test('the fp16 lowering: weights read only by products are fed once, as float16; products use float16 operands', async () => {
  const n = 64 * 80;
  const wv = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) / 3);
  const w = g.constant(wv, [64, 80], 'w');
  const x = g.input('x', [4, 64]);
  const y = g.matmul(x, w); // [4, 80]
  const gx = g.grad(g.sum(g.mul(g.softmax(y), y), [0, 1]), [x])[0]; // reads wᵀ: its transpose moves the float16 copy
  const outs = { y, gx };
  const m = toOnnx(outs, { constantsAsInputsOver: 100, precision: 'fp16' });
  assert.deepEqual(m.constantInputs.map((c) => [c.name, c.dtype]), [['w_f16', 'float16']]);
  assert.equal(m.constantInputs[0].value, halfCopy(wv), 'one float16 copy per array');
  assert.deepEqual([...m.inputs, ...m.outputs].map((i) => i.dtype), ['float32', 'float32', 'float32']);
  assert.deepEqual(toOnnx(outs, { constantsAsInputsOver: 100 }).constantInputs.map((c) => c.dtype), ['float32']);

  // On the CPU provider, operands whose float16 rounding is known and whose products and sums are
  // exact in float16: small integers x, and w = m + 2^-12 with m = ±1, ±2, which rounds to m. The fp16
  // product is then Σ x·m exactly, the fp32 one Σ x·(m + 2^-12).
  const xi = Float32Array.from({ length: 256 }, (_, i) => ((i * 7) % 7) - 3);
  const mi = Float32Array.from({ length: n }, (_, i) => [-2, -1, 1, 2][(i * 5 + (i >> 3)) % 4]);
  const wx = g.constant(Float32Array.from(mi, (v) => v + 2 ** -12), [64, 80], 'wx');
  const prod = { y: g.matmul(x, wx) };
  const feeds: Record<string, HostTensor> = { x: { shape: [4, 64], data: xi } };
  const half = (await (await compile(prod, { computePrecision: 'fp16' })).run(feeds)).y.data as Float32Array;
  const full = (await (await compile(prod, {})).run(feeds)).y.data as Float32Array;
  let differs = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 80; j++) {
      let exact = 0;
      let xs = 0;
      for (let k = 0; k < 64; k++) {
        exact += xi[i * 64 + k] * mi[k * 80 + j];
        xs += xi[i * 64 + k];
      }
      assert.equal(half[i * 80 + j], exact, `y[${i},${j}]: float16 operands give ${exact}`);
      assert.ok(Math.abs(full[i * 80 + j] - (exact + xs * 2 ** -12)) < 1e-4, `fp32 y[${i},${j}]`);
      if (xs !== 0) differs++;
    }
  }
  assert.ok(differs > 100, 'the float16 rounding of the weight changes most products');
});

test('an L2P training step of the demo model in fp16 on the CPU provider: within 1e-2 of fp32, the same prompts', async () => {
  const config = { ...getPreset('split_mnist_l2p'), init_checkpoint: 'models/glyph-vit-nano4.npz' };
  const learner = createLearner(config, backboneFor(config, () => {}), 10);
  // A head that is not zero (as initialised), so every gradient depends on the backbone's products.
  const head = learner.params.get('head/kernel')!.data;
  for (let i = 0; i < head.length; i++) head[i] = Math.sin(i * 7.3) / 10;
  const plan = learner.model.train({ params: learner.params, taskId: 0, batch: 16, imageSize: [28, 28], isTrained: (k) => learner.trainedTensors.has(k), weightDecay: 0 });
  const step = plan.build();
  const full = await compile(step.outputs, {});
  const feeds: Record<string, HostTensor> = { ...plan.feeds(16) };
  for (const i of full.inputs) {
    if (feeds[i.name]) continue;
    const n = i.shape.reduce((a, b) => a * b, 1);
    if (learner.params.has(i.name)) feeds[i.name] = { shape: i.shape, data: learner.params.get(i.name)!.data };
    else if (i.name === 'images') feeds[i.name] = { shape: i.shape, data: Float32Array.from({ length: n }, (_, k) => (Math.sin(k * 0.11) + 1) / 2) };
    else if (i.name === 'labels') feeds[i.name] = { shape: i.shape, data: Int32Array.from({ length: n }, (_, k) => k % 2) };
    else if (i.name === 'class_mask') feeds[i.name] = { shape: i.shape, data: Uint8Array.from({ length: n }, (_, k) => (k < 2 ? 1 : 0)) };
    else assert.fail(`unexpected input ${i.name}`);
  }
  const a = await full.run(feeds);
  const b = await (await compile(step.outputs, { computePrecision: 'fp16' })).run(feeds);
  assert.deepEqual(Array.from(b.prompt_idx.data as Int32Array), Array.from(a.prompt_idx.data as Int32Array));
  for (const k of ['loss', 'logits', 'pre_logits', ...Object.keys(a).filter((k) => k.startsWith('grad/'))]) {
    const x = a[k].data as Float32Array;
    const y = b[k].data as Float32Array;
    const scale = Math.max(...Array.from(x, Math.abs));
    assert.ok(scale > 0, `${k} is zero`);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
    assert.ok(worst <= 1e-2, `${k}: fp16 differs from fp32 by ${worst} of its largest value`);
    if (k === 'pre_logits') assert.ok(worst > 1e-5, 'fp16 ran (the features differ from fp32)');
  }
});

test("compute_precision: 'fp16' refused on WebGPU without shader-f16 (SwiftShader), an unknown value refused by the schema", async () => {
  const base = getPreset('split_mnist_l2p_smoke');
  assert.throws(() => applyOverrides(base, ['compute_precision=fp8']), (e: unknown) => e instanceof UserError && /compute_precision/.test(e.message));
  const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
  assert.ok(existsSync(icd), `${icd} is missing (Debian: apt-get install chromium; npm test installs it)`);
  const env = { ...process.env, VK_ICD_FILENAMES: icd, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? mkdtempSync(join(tmpdir(), 'l2p-xdg-')) };
  const workdir = join(mkdtempSync(join(tmpdir(), 'l2p-fp16-')), 'run');
  assert.throws(
    () => execFileSync(process.execPath, ['bin/l2p.mjs', 'train', '--config', 'split_mnist_l2p_smoke', '--workdir', workdir, '--workers', '0', '--device', 'webgpu', '--set', 'compute_precision=fp16'], { stdio: 'pipe', env }),
    (e: { status: number; stderr: Buffer }) => {
      assert.equal(e.status, 1);
      assert.equal(e.stderr.toString().trim(), "l2p train: compute_precision 'fp16' cannot run on the 'webgpu' provider: the WebGPU adapter lacks the 'shader-f16' feature (use compute_precision 'fp32', or a GPU whose adapter has shader-f16)");
      return true;
    },
  );
  assert.equal(existsSync(workdir), false, 'nothing written');
});

test('fp16 on WebGPU: every node of every hot graph is placed on the WebGPU provider (SwiftShader places them, though it cannot run float16)', () => {
  process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'l2p-xdg-'));
  const p = placement('webgpu', 'mu/8', 32, 4, 'fp16');
  assert.ok(Object.keys(p).length >= 21, `placement of ${Object.keys(p).length} graphs`);
  // The fp16 graphs are the fp32 ones with their casts: more nodes (the fp32 step places 489 after
  // ONNX Runtime's fusions), none on the CPU.
  assert.ok(p['train batchwise, clip over trained'].total > 489, `${p['train batchwise, clip over trained'].total} nodes`);
  for (const [graph, { total, cpu }] of Object.entries(p)) {
    assert.ok(total > 0, `${graph}: no placement read from the log`);
    if (!graph.startsWith('query int8')) assert.deepEqual(cpu, [], `${graph}: nodes on the CPU provider`);
  }
});
