import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline, type Batch, type PipelineOptions } from '../../src/data/pipeline.ts';
import { evalPreprocess, OFFICIAL_PREPROCESS } from '../../src/data/preprocess.ts';
import { UserError } from '../../src/errors.ts';
import { memorySource, pattern } from '../fixtures/data/write.ts';
import type { Source } from '../../src/data/types.ts';

const small = { resizeSize: 16, inputSize: 12 };

async function take(p: Pipeline, n: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let k = 0; k < n; k++) {
    const b = await p.next();
    if (!b) break;
    out.push(b);
  }
  return out;
}

function make(source: Source, o: Partial<PipelineOptions> = {}): Pipeline {
  return new Pipeline(source, { batchSize: 4, train: true, seed: 7, preprocess: small, workers: 0, ...o });
}

test('evaluation: stored order, central crops, a short last batch', async () => {
  const src = memorySource(10);
  const p = make(src, { train: false });
  const batches = await take(p, 10);
  assert.deepEqual(batches.map((b) => b.size), [4, 4, 2]);
  assert.deepEqual(batches.flatMap((b) => [...b.labels]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const cfg = { ...OFFICIAL_PREPROCESS, ...small };
  assert.deepEqual(batches[1].images.subarray(12 * 12 * 3, 2 * 12 * 12 * 3), evalPreprocess(pattern(5, 10, 12, 3), cfg));
  assert.equal(await p.next(), null);
  await p.close();
});

test('training: each epoch is a permutation, batches run across epochs, the seed fixes everything', async () => {
  const src = memorySource(10, 10, 12, 3, 1000);
  const a = make(src, { epochs: 2 });
  const batches = await take(a, 10);
  assert.deepEqual(batches.map((b) => b.size), [4, 4, 4, 4, 4]); // floor(20 / 4), remainder dropped
  const labels = batches.flatMap((b) => [...b.labels]);
  assert.deepEqual(labels.slice(0, 10).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(labels.slice(10).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(labels.slice(0, 10), labels.slice(10));
  const again = await take(make(src, { epochs: 2 }), 10);
  assert.deepEqual(again, batches);
  const other = await take(make(src, { epochs: 2, seed: 8 }), 10);
  assert.notDeepEqual(other.map((b) => [...b.labels]), batches.map((b) => [...b.labels]));
  assert.ok(batches.every((b) => b.images.every((v) => v >= 0 && v <= 1)));
});

test('state and restore resume the exact stream, including augmentation', async () => {
  const src = memorySource(10);
  const a = make(src, { prefetch: 3 });
  await take(a, 3);
  const saved = a.state();
  assert.deepEqual(saved, { seed: 7, position: 12 });
  assert.equal(a.epoch, 1);
  const expected = await take(a, 4);
  const b = make(src, { seed: 99 });
  await take(b, 1);
  b.restore(JSON.parse(JSON.stringify(saved)));
  assert.deepEqual(await take(b, 4), expected);
  assert.throws(() => b.restore({ seed: 1, position: -1 }), UserError);
});

test('worker threads give the same batches as the main thread', async () => {
  const src = memorySource(12, 10, 12, 1);
  const inline = await take(make(src, { workers: 0 }), 3);
  const pooled = make(src, { workers: 2 });
  assert.deepEqual(await take(pooled, 3), inline);
  await pooled.close();
});

test('bad input: an undecodable image fails the batch with the record named', async () => {
  const src: Source = {
    description: 'broken',
    length: 4,
    label: () => 0,
    get: async (i) => ({ image: { encoded: new TextEncoder().encode('nope') }, label: 0, origin: `broken record ${i}` }),
  };
  for (const workers of [0, 1]) {
    const p = make(src, { train: false, workers });
    await assert.rejects(p.next(), (e: unknown) => e instanceof UserError && /^broken record 0: cannot decode the image/.test(e.message));
    await p.close();
  }
  assert.throws(() => make(memorySource(0)), /no examples to batch/);
  assert.throws(() => make(memorySource(3), { preprocess: { resizeSize: 8, inputSize: 12 } }), /input_size 12 is larger than resize_size 8/);
});
