// Pretraining (`l2p pretrain`, src/train/pretrain.ts) on the WebGPU provider against the CPU provider,
// without a GPU: Vulkan from SwiftShader, as test/runtime/webgpu.test.ts. A random mu/4 ViT (the
// shipped nano/4 takes minutes per step on SwiftShader) with a random 62-class head, as `l2p pretrain
// --model mu/4` builds it but for the head, on batches of real rendered glyphs: the step's loss, logits
// and the gradient of every weight agree to 1e-4 (|a − b| / max(1, |b|), the golden tests' measure),
// and three AdamW steps (clipping at 1, weight decay) give the same losses and accuracies.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLASS_COUNT, discoverFonts, glyphCorpus } from '../../src/glyphs/index.ts';
import { mulberry32 } from '../../src/random.ts';
import { compile, disposeAll, type Device, type HostTensor } from '../../src/runtime/ort.ts';
import { Pretrainer, pretrainGraph, type PretrainSpec } from '../../src/train/pretrain.ts';
import type { Params } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** WebGPU against the CPU provider: the golden tolerance. */
const TOL = 1e-4;

before(() => {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'l2p-xdg-'));
  const icd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES!;
  assert.ok(icd.split(':').every((f) => existsSync(f)), `the Vulkan driver manifest '${icd}' is missing (Debian: apt-get install chromium)`);
});
after(disposeAll);

const BATCH = 8;

const VIT = decodeVariant('mu/4');

/** A random backbone with a random head (a zero head, as `l2p pretrain` starts, would leave the backbone's gradients zero). */
function params(): Params {
  const p = randomViT(VIT, 49, 5);
  const r = mulberry32(7);
  const hidden = VIT.hidden;
  p.set('head/kernel', { shape: [hidden, CLASS_COUNT], data: Float32Array.from({ length: hidden * CLASS_COUNT }, () => 0.1 * (r() - 0.5)) });
  p.set('head/bias', { shape: [CLASS_COUNT], data: Float32Array.from({ length: CLASS_COUNT }, () => 0.1 * (r() - 0.5)) });
  return p;
}

const fonts = () => discoverFonts(['/usr/share/fonts/truetype/dejavu']).accepted;
const batchOf = (start: number) => {
  const c = glyphCorpus({ fonts: fonts(), count: BATCH, seed: 3, start, size: 28 });
  return { images: c.images, labels: c.labels };
};
const spec: PretrainSpec = { vit: VIT, imageSize: 28, numClasses: CLASS_COUNT, batch: BATCH, weightDecay: 1e-4, clip: 1 };

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let w = 0;
  for (let i = 0; i < b.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return w;
}

test('a pretraining step on webgpu: loss, logits and every gradient match the CPU provider', async () => {
  const p = params();
  const b = batchOf(0);
  const feeds: Record<string, HostTensor> = { images: { shape: [BATCH, 28, 28, 1], data: b.images }, labels: { shape: [BATCH], data: b.labels } };
  for (const [k, v] of p) feeds[k] = { shape: v.shape, data: v.data };
  const graph = pretrainGraph(p, spec);
  const run = async (device: Device) => (await compile(graph.outputs, { device })).run(feeds);
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  const names = Object.keys(graph.outputs);
  assert.equal(names.filter((n) => n.startsWith('grad/')).length, p.size, 'a gradient for every weight');
  for (const n of names) {
    const e = relErr(gpu[n].data as Float32Array, cpu[n].data as Float32Array);
    assert.ok(e <= TOL, `${n}: webgpu differs from cpu by ${e}`);
  }
  // Not a vacuous match: the backbone's gradients are not zero.
  const g = cpu['grad/Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel'].data as Float32Array;
  assert.ok(g.some((x) => Math.abs(x) > 1e-6));
});

test('three AdamW pretraining steps on webgpu and on cpu: the same losses and accuracies', async () => {
  const run = async (device: Device) => {
    const t = new Pretrainer(params(), spec, { device });
    const out: { loss: number; correct: number }[] = [];
    for (let s = 0; s < 3; s++) out.push(await t.step(batchOf(s * BATCH), 1e-3));
    return out;
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  cpu.forEach((c, s) => {
    assert.ok(Math.abs(gpu[s].loss - c.loss) <= TOL * Math.max(1, Math.abs(c.loss)), `step ${s}: loss ${gpu[s].loss} on webgpu, ${c.loss} on cpu`);
    assert.equal(gpu[s].correct, c.correct, `step ${s}: correct`);
  });
});
