// Official-layout checkpoint loading: strictness, tolerated extras, and clear errors for bad files.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { readNpz, writeNpz } from '../../src/io/npz.ts';
import type { NpyArray } from '../../src/io/npy.ts';
import { loadViT, saveViT } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

const dir = mkdtempSync(join(tmpdir(), 'l2p-ckpt-'));
const cfg = decodeVariant('mu/8');
const good = join(dir, 'good.npz');
saveViT(good, randomViT(cfg, 16, 3));

function variantOf(mutate: (m: Map<string, NpyArray>) => void): string {
  const m = readNpz(good);
  mutate(m);
  const f = join(dir, `v${Math.random().toString(36).slice(2)}.npz`);
  writeNpz(f, m);
  return f;
}

test('variants decode from the table', () => {
  assert.deepEqual(decodeVariant('ViT-B_16'), { hidden: 768, depth: 12, heads: 12, mlp: 3072, patch: 16 });
  assert.deepEqual(decodeVariant('L/32'), { hidden: 1024, depth: 24, heads: 16, mlp: 4096, patch: 32 });
  assert.deepEqual(decodeVariant('Ti/16'), { hidden: 192, depth: 12, heads: 3, mlp: 768, patch: 16 });
  assert.deepEqual(decodeVariant('S/8'), { hidden: 384, depth: 12, heads: 6, mlp: 1536, patch: 8 });
  assert.throws(() => decodeVariant('XL/16'), /unknown ViT variant 'XL\/16'/);
});

test('the golden backbone loads with its sizes inferred', () => {
  const vit = loadViT('test/fixtures/golden/a/vit.npz');
  assert.deepEqual(vit.config, { hidden: 48, depth: 2, heads: 3, mlp: 96, patch: 8 });
  assert.equal(vit.numPatches, 16);
  assert.equal(vit.params.size, 4 + 2 * 16 + 2);
  assert.ok(!vit.params.has('head/kernel'), 'the pretraining head is not part of the backbone');
});

test('a round trip through saveViT keeps every value', () => {
  const a = randomViT(cfg, 16, 3);
  const b = loadViT(good, cfg).params;
  for (const [k, v] of a) assert.deepEqual(b.get(k)!.data, v.data, k);
});

test("an 'opt/target/' prefix is accepted", () => {
  const f = variantOf((m) => {
    for (const [k, v] of [...m]) {
      m.delete(k);
      m.set(`opt/target/${k}`, v);
    }
  });
  assert.equal(loadViT(f).params.size, 38);
});

test('a missing key is an error naming it', () => {
  const f = variantOf((m) => m.delete('Transformer/encoderblock_1/MlpBlock_3/Dense_1/bias'));
  assert.throws(() => loadViT(f), (e: Error) => e instanceof UserError && /key 'Transformer\/encoderblock_1\/MlpBlock_3\/Dense_1\/bias' is missing \(expected shape \[48\]\)/.test(e.message));
});

test('an unexpected key is an error naming it', () => {
  const f = variantOf((m) => m.set('Transformer/extra', { dtype: 'float32', shape: [2], data: new Float32Array(2) }));
  assert.throws(() => loadViT(f), /unexpected key 'Transformer\/extra' \[2\]/);
});

test('a wrong shape is an error naming the key and both shapes', () => {
  const f = variantOf((m) => m.set('Transformer/encoder_norm/scale', { dtype: 'float32', shape: [47], data: new Float32Array(47) }));
  assert.throws(() => loadViT(f), /key 'Transformer\/encoder_norm\/scale' has shape \[47\], expected \[48\]/);
});

test('a checkpoint of another variant than asked is an error', () => {
  assert.throws(() => loadViT(good, decodeVariant('Ti/8')), /key 'embedding\/kernel' has shape \[8, 8, 3, 48\], expected \[8, 8, 3, 192\]/);
});

test('a truncated file is one clear error naming the file', () => {
  const bytes = readFileSync(good);
  const f = join(dir, 'cut.npz');
  writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length / 2)));
  assert.throws(() => loadViT(f), (e: Error) => e instanceof UserError && e.message.includes(f));
});

test('a missing file is an error naming it', () => {
  assert.throws(() => loadViT(join(dir, 'nope.npz')), (e: Error) => e instanceof UserError && e.message.includes('nope.npz'));
});
