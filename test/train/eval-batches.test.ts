// Evaluation in the official global batches: eval_pad_last_batch false drops the remainder, true
// pads the last batch and leaves the padding out of the metrics.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { evaluateSource } from '../../src/train/evaluate.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { UserError } from '../../src/errors.ts';
import { memorySource } from '../fixtures/data/write.ts';

after(disposeAll);

async function setup() {
  const c = getPreset('cifar100_l2p_smoke');
  const cfg = decodeVariant(c.model_name);
  const learner = createLearner(c, { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) }, 4);
  learner.params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = ((i * 37) % 11) / 100 - 0.05));
  return learner;
}

const base = { resizeSize: 32, inputSize: 32, maxBatches: -1, poolSize: 4, workers: 0 };

test('eval_pad_last_batch false: 10 images in global batches of 2 × 2 devices score 8, as 1,000 at 16 × 8 score 896', async () => {
  const learner = await setup();
  const source = memorySource(10, 32, 32, 3, 4);
  const dropped = await evaluateSource(learner, source, null, { ...base, batchSize: 2, devices: 2, padLastBatch: false });
  assert.equal(dropped.count, 8);
  assert.equal(Math.floor(1000 / (16 * 8)) * 16 * 8, 896);
  const padded = await evaluateSource(learner, source, null, { ...base, batchSize: 2, devices: 2, padLastBatch: true });
  assert.equal(padded.count, 10);
  // Device batches are the vote groups either way, so the first 8 images are scored alike.
  const first8 = await evaluateSource(learner, { ...source, length: 8 }, null, { ...base, batchSize: 2, devices: 2, padLastBatch: true });
  assert.equal(first8.accuracy, dropped.accuracy);
  assert.deepEqual(first8.promptCounts, dropped.promptCounts);
});

test('padding: the zero images of the last device batch count in no metric', async () => {
  const learner = await setup();
  const source = memorySource(5, 32, 32, 3, 4);
  const r = await evaluateSource(learner, source, null, { ...base, batchSize: 4, devices: 1, padLastBatch: true });
  assert.equal(r.count, 5);
  assert.equal(r.promptCounts.reduce((a, b) => a + b, 0), 5 * getPreset('cifar100_l2p_smoke').prompt_pool_param.top_k);
});

test('a test set smaller than one global batch with eval_pad_last_batch false is refused, naming the fix', async () => {
  const learner = await setup();
  await assert.rejects(evaluateSource(learner, memorySource(3, 32, 32, 3, 4), null, { ...base, batchSize: 4, padLastBatch: false }), (e: Error) => e instanceof UserError && /eval_pad_last_batch=true/.test(e.message));
});

test('eval_augment: the test set through the training pipeline (CORe50 as official): whole global batches, the same crops at every evaluation', async () => {
  const learner = await setup();
  const source = memorySource(10, 40, 40, 3, 4);
  const o = { ...base, resizeSize: 40, batchSize: 4, devices: 1, padLastBatch: true, augment: { seed: 5, shuffleBuffer: 100 } };
  const a = await evaluateSource(learner, source, null, o);
  const b = await evaluateSource(learner, source, null, o);
  assert.equal(a.count, 8, 'the remainder is dropped, padding or not');
  assert.equal(a.loss, b.loss);
  const central = await evaluateSource(learner, source, null, { ...o, augment: undefined, padLastBatch: false });
  assert.notEqual(a.loss, central.loss, 'crops and order differ from the central-crop evaluation');
});
