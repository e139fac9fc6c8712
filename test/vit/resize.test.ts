// Position embeddings at another resolution: against scipy.ndimage.zoom(order=1) values computed
// by test/fixtures/posemb/make.py (an independent implementation), and through the loader.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { readNpz } from '../../src/io/npz.ts';
import { backboneFor } from '../../src/train/experiment.ts';
import { saveViT } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { resizePosEmbedding } from '../../src/vit/resize.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { tempDir } from '../fixtures/data/write.ts';

const fixture = readNpz('test/fixtures/posemb/zoom.npz');

for (const [old, m] of [[3, 5], [4, 2], [2, 7], [14, 24], [5, 1]]) {
  test(`a ${old}×${old} grid resized to ${m}×${m} matches scipy.ndimage.zoom(order=1), class token kept`, () => {
    const input = fixture.get(`in_${old}_${m}`)!;
    const want = fixture.get(`out_${old}_${m}`)!;
    const got = resizePosEmbedding({ shape: input.shape, data: input.data as Float32Array }, m * m, 'x.npz');
    assert.deepEqual(got.shape, want.shape);
    for (let i = 0; i < want.data.length; i++) assert.ok(Math.abs(got.data[i] - Number(want.data[i])) < 1e-6, `[${i}] ${got.data[i]} vs ${want.data[i]}`);
  });
}

test('what is not a square grid is refused, naming the file and the shapes', () => {
  assert.throws(() => resizePosEmbedding({ shape: [1, 1 + 12, 2], data: new Float32Array(26) }, 16, 'ck.npz'), (e: Error) => e instanceof UserError && /'ck\.npz'.*\[1, 13, 2\].*square grid/.test(e.message));
});

test('a checkpoint at another resolution loads with its position embedding resized and one log line', () => {
  const c = getPreset('cifar100_l2p_smoke');
  const cfg = decodeVariant(c.model_name);
  const file = join(tempDir('posemb'), 'vit.npz');
  const params = randomViT(cfg, 16, 5); // a 4 × 4 grid
  saveViT(file, params);
  const notes: string[] = [];
  const size = 6 * cfg.patch;
  const vit = backboneFor({ ...c, init_checkpoint: file, input_size: size, resize_size: size }, (m) => notes.push(m));
  assert.equal(vit.numPatches, 36);
  assert.deepEqual(vit.params.get('Transformer/posembed_input/pos_embedding')!.shape, [1, 37, cfg.hidden]);
  assert.equal(notes.length, 1);
  assert.match(notes[0], /resized from a 4×4 to a 6×6 grid/);
  const pos = vit.params.get('Transformer/posembed_input/pos_embedding')!.data;
  const orig = params.get('Transformer/posembed_input/pos_embedding')!.data;
  assert.deepEqual(pos.subarray(0, cfg.hidden), orig.subarray(0, cfg.hidden), 'the class token is kept');
  // The grid's corners stay on the corners (order-1 zoom, grid_mode false).
  const d = cfg.hidden;
  assert.deepEqual(pos.subarray(d, 2 * d), orig.subarray(d, 2 * d));
  assert.deepEqual(pos.subarray(36 * d, 37 * d), orig.subarray(16 * d, 17 * d));
});
