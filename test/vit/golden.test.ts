// The frozen backbone's pre_logits against the golden cases (an independent float64 implementation).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { readNpy, readNpz, writeNpz } from '../../src/io/npz.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { bindParams } from '../../src/vit/bind.ts';
import { preLogits } from '../../src/vit/features.ts';
import { forwardFeatures } from '../../src/vit/model.ts';
import { loadViT } from '../../src/vit/params.ts';

after(disposeAll);
const root = 'test/fixtures/golden';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** The case's backbone with the GELU its case.json names ('tanh' when absent, as the official JAX code). */
function caseViT(dir: string) {
  const vit = loadViT(join(dir, 'vit.npz'));
  const gelu: 'tanh' | 'erf' = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')).gelu ?? 'tanh';
  return { ...vit, config: { ...vit.config, gelu } };
}

for (const name of readdirSync(root).filter((n) => existsSync(join(root, n, 'case.json')))) {
  const dir = join(root, name);
  test(`golden ${name}: pre_logits on ONNX Runtime within 1e-4`, async () => {
    const vit = caseViT(dir);
    const images = readNpz(join(dir, 'batch.npz')).get('images')!;
    const want = readNpz(join(dir, 'expected.npz')).get('pre_logits')!.data as Float32Array;
    const got = await preLogits(vit, images.data as Float32Array, images.shape, { batch: 2 });
    assert.ok(maxDiff(got, want) < 1e-4, `max difference ${maxDiff(got, want)}`);
  });

  test(`golden ${name}: pre_logits in the float64 interpreter within 1e-4`, () => {
    const vit = caseViT(dir);
    const images = readNpz(join(dir, 'batch.npz')).get('images')!;
    const want = readNpz(join(dir, 'expected.npz')).get('pre_logits')!.data as Float32Array;
    const x = g.input('images', images.shape);
    const { p } = bindParams(vit.params, () => false);
    const [got] = g.interpret([forwardFeatures(p, vit.config, x).preLogits], { images: { shape: images.shape, data: images.data as Float32Array } });
    assert.ok(maxDiff(got.data, want) < 1e-4);
  });

  test(`golden ${name}: npx l2p features writes the same pre_logits`, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'l2p-feat-')), 'pl.npy');
    const gelu = caseViT(dir).config.gelu;
    execFileSync(process.execPath, ['bin/l2p.mjs', 'features', '--checkpoint', join(dir, 'vit.npz'), '--images', join(dir, 'batch.npz'), '--out', out, '--gelu', gelu], { stdio: 'pipe' });
    const got = readNpy(out);
    const want = readNpz(join(dir, 'expected.npz')).get('pre_logits')!;
    assert.deepEqual(got.shape, want.shape);
    assert.ok(maxDiff(got.data as Float32Array, want.data as Float32Array) < 1e-4);
  });
}

test('l2p features: images that do not fit the patch grid are one clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-feat-'));
  const bad = join(dir, 'bad.npz');
  // 24x24 images with patch 8 give 9 patches; the golden checkpoint's position embedding has 16.
  writeNpz(bad, { images: { dtype: 'float32', shape: [1, 24, 24, 3], data: new Float32Array(24 * 24 * 3) } });
  let stderr = '';
  let status = 0;
  try {
    execFileSync(process.execPath, ['bin/l2p.mjs', 'features', '--checkpoint', join(root, 'a/vit.npz'), '--images', bad, '--out', join(dir, 'o.npy')], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { status: number; stderr: Buffer };
    status = err.status;
    stderr = err.stderr.toString();
  }
  assert.equal(status, 1);
  assert.match(stderr, /24x24 images do not fit the checkpoint \(patch 8, position embedding for 16 patches\)/);
  assert.equal(stderr.trim().split('\n').length, 1, 'one line, no stack trace');
});
