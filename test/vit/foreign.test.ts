// timm and transformers checkpoints written by Debian's PyTorch (torch.save) and byte by byte
// (safetensors) give the features of a float64 reference of the same architecture written in the
// test's own Python (foreign_ref.py); the same weights in the official npz layout give the same.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OP_NAMES } from '../../src/graph/op-names.ts';
import { readNpy, readNpz } from '../../src/io/npz.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { preLogits } from '../../src/vit/features.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { loadViT } from '../../src/vit/params.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { throwsUser } from '../helpers/errors.ts';
import { safetensorsBytes, type RawTensor } from '../io/safetensors-helpers.ts';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'l2p-foreign-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(() => {
  execFileSync(PYTHON, [join(import.meta.dirname, 'foreign_ref.py'), dir], { stdio: 'pipe' });
});

/**
 * The GELU our graph computes for a timm or transformers backbone: their exact (erf) GELU where the
 * graph has the erf op, else the tanh form every backbone ran before it (the comparison then checks
 * the names and layouts under the activation both sides share).
 */
const FOREIGN_GELU = (OP_NAMES as readonly string[]).includes('erf') ? 'erf' : 'tanh';

function features(checkpoint: string): { out: Float32Array; stdout: string } {
  const out = join(dir, `${checkpoint}.features.npy`);
  const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'features', '--checkpoint', join(dir, checkpoint), '--images', join(dir, 'images.npz'), '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return { out: readNpy(out).data as Float32Array, stdout: r.stdout };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const CASES = [
  ['timm.pth', 'ref', 'timm VisionTransformer (PyTorch zip)'],
  ['timm.safetensors', 'ref', 'timm VisionTransformer (safetensors)'],
  ['hf.safetensors', 'ref_hf', 'transformers ViTModel (safetensors)'],
  ['hf.pth', 'ref_hf', 'transformers ViTModel (PyTorch zip)'],
] as const;

for (const [file, ref, family] of CASES) {
  test(`l2p features on ${file} agrees with the float64 reference (${FOREIGN_GELU} GELU) to 1e-4`, () => {
    const { out: got, stdout } = features(file);
    assert.equal(stdout.split('\n')[0], `backbone '${join(dir, file)}': ${family}, width 128, depth 2, 2 heads, MLP 256, patch 4, 4×4 grid; trained with the exact (erf) GELU`);
    const want = readNpy(join(dir, `${ref}_${FOREIGN_GELU}.npy`)).data as Float64Array;
    const d = maxDiff(got, want);
    assert.ok(d < 1e-4, `max |diff| ${d}`);
    // The other activation differs by more than the tolerance: the comparison tells them apart.
    const other = readNpy(join(dir, `${ref}_${FOREIGN_GELU === 'erf' ? 'tanh' : 'erf'}.npy`)).data as Float64Array;
    assert.ok(maxDiff(got, other) > 1e-4);
    const vit = loadViT(join(dir, file));
    assert.deepEqual(vit.config, { hidden: 128, depth: 2, heads: 2, mlp: 256, patch: 4, gelu: 'erf' });
    assert.equal(vit.numPatches, 16);
  });
}

test('the same weights in the official npz layout give the reference features under the same GELU', async () => {
  const official = features('official.npz').out;
  assert.ok(maxDiff(official, readNpy(join(dir, 'ref_tanh.npy')).data as Float64Array) < 1e-4);
  assert.equal(loadViT(join(dir, 'official.npz')).config.gelu ?? 'tanh', 'tanh');
  // Under the activation the timm checkpoints run with, the npz gives their features too.
  const npz = loadViT(join(dir, 'official.npz'));
  const images = readNpz(join(dir, 'images.npz')).get('images')!;
  const same = await preLogits({ ...npz, config: { ...npz.config, gelu: FOREIGN_GELU } }, images.data as Float32Array, images.shape);
  await disposeAll();
  assert.ok(maxDiff(same, readNpy(join(dir, `ref_${FOREIGN_GELU}.npy`)).data as Float64Array) < 1e-4);
  assert.ok(maxDiff(same, features('timm.safetensors').out) < 1e-5);
});

test('the loaded parameters are those of the official layout, whichever format held them', () => {
  const official = loadViT(join(dir, 'official.npz'));
  for (const file of ['timm.pth', 'timm.safetensors', 'hf.safetensors', 'hf.pth']) {
    const vit = loadViT(join(dir, file));
    assert.deepEqual([...vit.params.keys()].sort(), [...official.params.keys()].sort(), file);
    for (const [k, p] of official.params) {
      assert.deepEqual(vit.params.get(k)!.shape, p.shape, `${file} ${k}`);
      assert.deepEqual(vit.params.get(k)!.data, p.data, `${file} ${k}`);
    }
  }
});

test('heads: width / 64 unless given; model_name must match the stored sizes', () => {
  const file = join(dir, 'timm.safetensors');
  assert.equal(loadViT(file, undefined, { heads: 4 }).params.get('Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel')!.shape.join(','), '128,4,32');
  assert.equal(loadViT(file, { hidden: 128, depth: 2, heads: 8, mlp: 256, patch: 4 }).config.heads, 8);
  throwsUser(() => loadViT(file, decodeVariant('ViT-B_16')), `'${file}' holds a ViT of width 128, depth 2, MLP 256, patch 4; model_name asks for width 768, depth 12, MLP 3072, patch 16`);
  const npz = join(dir, 'official.npz');
  throwsUser(() => loadViT(npz, undefined, { heads: 4 }), `'${npz}' holds 2 heads (its attention kernels say so), not the 4 asked for`);
  throwsUser(() => loadViT(file, undefined, { heads: 3 }), `'${file}': width 128 does not split into 3 heads; give the head count (a model_name variant, or --heads)`);
});

/** timm.safetensors rewritten: `edit` changes the tensor map (name -> shape and values) before it is written. */
function variant(name: string, edit: (t: Map<string, RawTensor>) => void): string {
  const src = SafetensorsFile.open(join(dir, 'timm.safetensors'));
  const t = new Map<string, RawTensor>();
  try {
    for (const [k, { shape }] of src.tensors) t.set(k, { dtype: 'F32', shape, bytes: new Uint8Array(src.read(k).buffer) });
  } finally {
    src.close();
  }
  edit(t);
  const file = join(dir, name);
  writeFileSync(file, safetensorsBytes(Object.fromEntries(t)));
  return file;
}

test('a checkpoint whose names or shapes do not fit says which tensor is missing, extra or refused', () => {
  const d = (n: number) => ({ dtype: 'F32', shape: [n], bytes: new Uint8Array(4 * n) });
  let f = variant('missing.safetensors', (t) => t.delete('blocks.1.norm2.bias'));
  throwsUser(() => loadViT(f), `'${f}': timm tensor 'blocks.1.norm2.bias' is missing (expected shape [128])`);
  f = variant('extra.safetensors', (t) => t.set('blocks.0.attn.extra', d(3)));
  throwsUser(() => loadViT(f), `'${f}': unexpected tensor 'blocks.0.attn.extra' [3] (not part of a timm ViT of depth 2)`);
  f = variant('shape.safetensors', (t) => t.set('blocks.0.mlp.fc2.bias', d(127)));
  throwsUser(() => loadViT(f), `'${f}': tensor 'blocks.0.mlp.fc2.bias' has shape [127], expected [128]`);
  f = variant('dtype.safetensors', (t) => t.set('norm.bias', { dtype: 'I64', shape: [128], bytes: new Uint8Array(8 * 128) }));
  throwsUser(() => loadViT(f), `'${f}' tensor 'norm.bias': dtype I64 is not a float dtype a backbone is stored in (F32, F16, BF16)`);
  f = variant('fcnorm.safetensors', (t) => {
    t.delete('norm.weight');
    t.delete('norm.bias');
    t.set('fc_norm.weight', d(128));
    t.set('fc_norm.bias', d(128));
  });
  throwsUser(() => loadViT(f), `'${f}': tensor 'fc_norm.weight' [128] marks a global-pool variant (fc_norm): our ViT reads the class token after the final norm, which our ViT does not compute`);
  f = variant('layerscale.safetensors', (t) => t.set('blocks.0.ls1.gamma', d(128)));
  throwsUser(() => loadViT(f), /tensor 'blocks\.0\.ls1\.gamma' \[128\] marks LayerScale/);
  f = variant('none.safetensors', (t) => t.delete('patch_embed.proj.weight'));
  throwsUser(() => loadViT(f), /\(safetensors, 31 tensors: 'cls_token', 'pos_embed', 'patch_embed\.proj\.bias', \.\.\.\) holds no timm VisionTransformer/);
});

test('nested and prefixed backbones are found; of two copies, the teacher or the base encoder', () => {
  const twice = (a: string, b: string) => (t: Map<string, RawTensor>) => {
    for (const [k, v] of [...t]) {
      t.delete(k);
      t.set(`${a}${k}`, v);
      t.set(`${b}${k}`, { ...v, bytes: new Uint8Array(v.bytes.length) });
    }
  };
  const reference = loadViT(join(dir, 'timm.safetensors')).params.get('cls')!.data;
  for (const [a, b] of [['teacher.backbone.', 'student.backbone.'], ['module.base_encoder.', 'module.momentum_encoder.']]) {
    const f = variant(`${a}safetensors`, twice(a, b));
    assert.deepEqual(loadViT(f).params.get('cls')!.data, reference, a);
  }
  const f = variant('two.safetensors', twice('a.', 'b.'));
  throwsUser(() => loadViT(f), `'${f}' holds 2 timm backbones ('a.', 'b.'); save the one to use alone`);
});

test('files of another format are one line naming the file', () => {
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'a ViT, honestly\n');
  throwsUser(() => loadViT(text), `'${text}' is not a checkpoint: neither an npz, a PyTorch zip (torch.save) nor a safetensors file`);
  const legacy = join(dir, 'legacy.pth');
  execFileSync(PYTHON, ['-c', 'import sys, torch; torch.save({"w": torch.zeros(2)}, sys.argv[1], _use_new_zipfile_serialization=False)', legacy]);
  throwsUser(() => loadViT(legacy), `'${legacy}' is a PyTorch checkpoint in the legacy (pre-1.6) format; re-save it with torch.save(torch.load(f), g) from PyTorch 1.6 or later`);
  throwsUser(() => loadViT(dir), `'${dir}' is a directory, not a checkpoint file`);
});
