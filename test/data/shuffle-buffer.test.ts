// shuffle_buffer_size: a TF-style shuffle buffer over the stored order of each epoch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pipeline } from '../../src/data/pipeline.ts';
import { bufferShuffle, Rng } from '../../src/data/rng.ts';
import { memorySource } from '../fixtures/data/write.ts';

test('a buffer of one keeps the stored order; any buffer gives a permutation', () => {
  assert.deepEqual(Array.from(bufferShuffle(6, 1, new Rng(3))), [0, 1, 2, 3, 4, 5]);
  for (const b of [2, 5, 100]) {
    const o = Array.from(bufferShuffle(50, b, new Rng(b)));
    assert.deepEqual([...o].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  }
});

test('element i enters a buffer of B after i − B + 1 outputs, so it is never output earlier', () => {
  const B = 4;
  for (let seed = 0; seed < 20; seed++) {
    const o = bufferShuffle(40, B, new Rng(seed));
    o.forEach((element, position) => assert.ok(position >= element - B + 1, `element ${element} at ${position}`));
  }
});

test('a buffer of two over [0, 1, 2]: the first output is 0 or 1 with equal chance, never 2', () => {
  const counts = [0, 0, 0];
  for (let seed = 0; seed < 4000; seed++) counts[bufferShuffle(3, 2, new Rng(seed))[0]]++;
  assert.equal(counts[2], 0);
  assert.ok(Math.abs(counts[0] - 2000) < 150 && Math.abs(counts[1] - 2000) < 150, `${counts}`);
});

test('the training pipeline reads in the buffer order: a buffer of one is the stored order', async () => {
  const src = memorySource(8);
  const p = new Pipeline(src, { batchSize: 4, train: true, augment: false, seed: 7, shuffleBuffer: 1, epochs: 1, preprocess: { resizeSize: 16, inputSize: 16 }, workers: 0 });
  const labels: number[] = [];
  for (let b = await p.next(); b; b = await p.next()) labels.push(...b.labels);
  await p.close();
  assert.deepEqual(labels, [0, 1, 2, 3, 4, 5, 6, 7]);
});
