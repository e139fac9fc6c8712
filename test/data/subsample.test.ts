// subsample_rate: the official split slicing (libml/input_pipeline.py), -1 reading everything.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { subsampleSplit } from '../../src/data/split.ts';
import { streamFor } from '../../src/train/stream.ts';

test('subsampleSplit writes the official split names', () => {
  assert.equal(subsampleSplit('train', -1), 'train');
  assert.equal(subsampleSplit('train', 10), 'train[:10%]');
  assert.equal(subsampleSplit('test', 25), 'test[:25%]');
  // not_mnist's official splits: train[:int(0.8·r)%] and train[int(100 − 0.2·r)%:].
  assert.equal(subsampleSplit('train[:80%]', 10), 'train[:8%]');
  assert.equal(subsampleSplit('train[80%:]', 10), 'train[98%:]');
  assert.equal(subsampleSplit('train[:80%]', 15), 'train[:12%]');
  assert.equal(subsampleSplit('train[80%:]', 15), 'train[97%:]');
});

test('a stream built with subsample_rate reads that share of each split', async () => {
  const c = getPreset('split_mnist_l2p');
  const full = await streamFor(c);
  const part = await streamFor({ ...c, subsample_rate: 10 });
  const total = (s: typeof full, k: 'train' | 'test') => s.tasks.reduce((a, t) => a + t[k].length, 0);
  for (const k of ['train', 'test'] as const) {
    const ratio = total(part, k) / total(full, k);
    assert.ok(Math.abs(ratio - 0.1) < 0.01, `${k}: ${total(part, k)} of ${total(full, k)}`);
  }
});
