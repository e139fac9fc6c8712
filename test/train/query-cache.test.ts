// Cached test-set queries (src/train/query-cache.ts): evaluation with them gives the results of
// evaluation without them to the bit, at the evaluation that fills the cache and at every later one,
// with no query recomputed; another preprocessing or another backbone misses; past its bound the
// cache keeps nothing and evaluation is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { evaluateSource } from '../../src/train/evaluate.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { QueryCache } from '../../src/train/query-cache.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { memorySource } from '../fixtures/data/write.ts';

const base: L2PConfig = { ...getPreset('cifar100_l2p_smoke'), test_time_selection: 'per_instance' };

/** A learner whose query runs are counted. */
function learnerOf(seed: number, c: L2PConfig = base) {
  const cfg = decodeVariant(c.model_name);
  const learner = createLearner(c, { config: cfg, numPatches: 16, params: randomViT(cfg, 16, seed) }, 4);
  learner.params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = ((i * 37) % 11) / 100 - 0.05));
  const calls = { n: 0 };
  const query = learner.query.bind(learner);
  learner.query = (images, n) => {
    calls.n++;
    return query(images, n);
  };
  return { learner, calls };
}

// 10 images in device batches of 4: the last one padded with two zero images.
const source = memorySource(10, 32, 32, 3, 4);
const o = { batchSize: 4, resizeSize: 32, inputSize: 32, maxBatches: -1, poolSize: 4, workers: 0 };

test('evaluations with cached queries give the uncached results to the bit; the later ones compute no query', async (t) => {
  t.after(disposeAll);
  const { learner, calls } = learnerOf(1);
  assert.ok(learner.usesQuery);
  const plain = await evaluateSource(learner, source, null, o);
  assert.equal(calls.n, 3);
  const cache = new QueryCache();
  for (const [i, want] of [3, 0, 0].entries()) {
    calls.n = 0;
    const r = await evaluateSource(learner, source, null, { ...o, queryCache: cache });
    assert.deepEqual(r, plain, `evaluation ${i + 1}`);
    assert.equal(calls.n, want, `evaluation ${i + 1}: query runs`);
  }
  assert.equal(cache.bytes, (10 + 2) * learner.model.vit.hidden * 4);
  // Task-incremental masks do not touch the query: still a hit.
  calls.n = 0;
  assert.deepEqual(await evaluateSource(learner, source, [0, 1], { ...o, queryCache: cache }), await evaluateSource(learner, source, [0, 1], o));
  assert.equal(calls.n, 3, 'only the uncached evaluation ran queries');
});

test('another preprocessing, another backbone or another query precision misses; past its bound the cache keeps nothing', async (t) => {
  t.after(disposeAll);
  const { learner, calls } = learnerOf(1);
  const cache = new QueryCache();
  await evaluateSource(learner, source, null, { ...o, queryCache: cache });
  const resized = { ...o, resizeSize: 40 };
  const want = await evaluateSource(learner, source, null, resized);
  calls.n = 0;
  assert.deepEqual(await evaluateSource(learner, source, null, { ...resized, queryCache: cache }), want);
  assert.equal(calls.n, 3, 'another resize: computed again');
  for (const other of [learnerOf(2), learnerOf(1, { ...base, query_precision: 'int8' })]) {
    const plain = await evaluateSource(other.learner, source, null, o);
    other.calls.n = 0;
    assert.deepEqual(await evaluateSource(other.learner, source, null, { ...o, queryCache: cache }), plain);
    assert.equal(other.calls.n, 3, 'another backbone or precision: computed again');
  }
  const small = new QueryCache(10 * learner.model.vit.hidden * 4 - 1);
  const plain = await evaluateSource(learner, source, null, o);
  for (let i = 0; i < 2; i++) {
    calls.n = 0;
    assert.deepEqual(await evaluateSource(learner, source, null, { ...o, queryCache: small }), plain);
    assert.equal(calls.n, 3);
  }
  assert.equal(small.bytes, 0);
});
