// Why the DomainNet presets shuffle over the whole training set and select prompts per image at test
// time: the distributed split lists are grouped by class, and the native reader keeps their order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { openDataset } from '../../src/data/index.ts';
import { epochOrder } from '../../src/data/rng.ts';
import { tempDir, writeDomainNet } from '../fixtures/data/write.ts';

/** Mean distinct classes per batch of an epoch's order over a list grouped by class (n images, 345 classes). */
function classesPerBatch(n: number, order: Int32Array, batch: number): number {
  const label = (i: number) => Math.floor((i * 345) / n);
  let sum = 0;
  let batches = 0;
  for (let s = 0; s + batch <= n; s += batch, batches++) sum += new Set(Array.from(order.subarray(s, s + batch), label)).size;
  return sum / batches;
}

test('the native DomainNet reader keeps the split list order, grouped by class as distributed', async () => {
  const root = tempDir('domainnet-order');
  await writeDomainNet(root, 'real', { train: [3, 3, 3, 8, 8, 8], test: [1, 1, 2] });
  const train = await (await openDataset('domainnet/real', { dataDir: root })).source('train');
  assert.deepEqual(Array.from({ length: train.length }, (_, i) => train.label(i)), [3, 3, 3, 8, 8, 8]);
});

test("training order: the DomainNet presets' buffer makes each epoch a uniform permutation; 10,000 clusters batches by class", () => {
  for (const name of ['domainnet_l2p', 'domainnet_l2p_cil', 'domainnet_coda_prompt']) {
    const c = getPreset(name);
    const batch = c.per_device_batch_size * c.num_devices;
    // real_train (120,906 images), and all six domains' 409,832 pooled
    for (const n of [120_906, 409_832]) {
      const preset = classesPerBatch(n, epochOrder(n, c.seed, 0, c.shuffle_buffer_size), batch);
      const uniform = classesPerBatch(n, epochOrder(n, c.seed, 0), batch);
      assert.ok(Math.abs(preset - uniform) < 1, `${name}, ${n} images: ${preset} classes per batch against ${uniform}`);
    }
  }
  const n = 120_906;
  const buffered = classesPerBatch(n, epochOrder(n, 42, 0, 10_000), 128);
  const uniform = classesPerBatch(n, epochOrder(n, 42, 0), 128);
  assert.ok(buffered < 0.6 * uniform, `a 10,000 buffer: ${buffered} classes per batch of 128, a permutation ${uniform}`);
});

test('test batches in stored order are mostly one class: the DomainNet presets select prompts per image', () => {
  // real_test: 52,041 images in 345 class runs; batches of 16 read in order
  const n = 52_041;
  let single = 0;
  let batches = 0;
  for (let s = 0; s + 16 <= n; s += 16, batches++) if (Math.floor((s * 345) / n) === Math.floor(((s + 15) * 345) / n)) single++;
  assert.ok(single / batches > 0.85, `${single} of ${batches} batches hold one class`);
  for (const name of ['domainnet_l2p', 'domainnet_l2p_cil']) assert.equal(getPreset(name).test_time_selection, 'per_instance', name);
});
