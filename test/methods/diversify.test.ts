// The paper's diversified selection (§3.4) as an option of L2P's: the frequency-weighted distance picks
// prompts, the frequencies come from the earlier tasks' training selections and survive a checkpoint.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import * as g from '../../src/graph/index.ts';
import { selectPrompts } from '../../src/methods/l2p/prompt-pool.ts';
import { selectionFrequency } from '../../src/methods/l2p/family.ts';
import { compile, disposeAll } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

after(disposeAll);

test('frequencies: each prompt’s add-one share of the selections in tasks before t', () => {
  const counts = [[3, 1, 0, 0], [0, 0, 5, 0]];
  assert.deepEqual(Array.from(selectionFrequency(counts, 1, 4)), [4 / 8, 2 / 8, 1 / 8, 1 / 8]);
  assert.deepEqual(Array.from(selectionFrequency(counts, 2, 4)), [4 / 13, 2 / 13, 6 / 13, 1 / 13].map(Math.fround));
  assert.deepEqual(Array.from(selectionFrequency([], 0, 2)), [0.5, 0.5]);
});

test('the least frequency-weighted distance wins: cos 0.9 / 0.8 / 0.1 with h 0.8 / 0.1 / 0.1 picks prompt 1', async () => {
  // Unit keys at the angles whose cosines with the query [1, 0] are 0.9, 0.8 and 0.1.
  const cos = [0.9, 0.8, 0.1];
  const key = g.input('key', [3, 2]);
  const query = g.input('query', [1, 2]);
  const frequency = g.input('h', [3]);
  const plain = selectPrompts(query, key, 1, { kind: 'per_instance' }).idx;
  const diverse = selectPrompts(query, key, 1, { kind: 'per_instance', frequency }).idx;
  const r = await (await compile({ plain, diverse })).run({
    key: { shape: [3, 2], data: Float32Array.from(cos.flatMap((c) => [c, Math.sqrt(1 - c * c)])) },
    query: { shape: [1, 2], data: Float32Array.of(1, 0) },
    h: { shape: [3], data: Float32Array.of(0.8, 0.1, 0.1) },
  });
  // Distances (1 − cos)·h: 0.08, 0.02, 0.09.
  assert.deepEqual(Array.from(r.plain.data as BigInt64Array, Number), [0]);
  assert.deepEqual(Array.from(r.diverse.data as BigInt64Array, Number), [1]);
});

test('a run counts its training selections per task, feeds them to task 1, and restores them from a checkpoint', async () => {
  const base = getPreset('cifar100_l2p_smoke'); // pool 4, top_k 2, no prompt mask
  const c = { ...base, prompt_pool_param: { ...base.prompt_pool_param, diversify: true } };
  const cfg = decodeVariant(c.model_name);
  const make = () => createLearner(c, { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) }, 4);
  const learner = make();
  const images = Float32Array.from({ length: 4 * 32 * 32 * 3 }, (_, i) => (i % 97) / 97);
  const r = await learner.trainStep(images, Int32Array.of(0, 1, 0, 1), 0, [0, 1], 0.01);
  const state = learner.model.saveState!();
  const counts = state.train_selection_counts as number[][];
  assert.equal(counts.length, 1);
  assert.equal(counts[0].reduce((a, b) => a + b, 0), r.promptIds.length);
  for (const id of r.promptIds) assert.ok(counts[0][id] > 0);
  const restored = make();
  restored.model.loadState!(JSON.parse(JSON.stringify(state)));
  const plan = restored.model.train({ params: restored.params, taskId: 1, batch: 4, imageSize: [32, 32], isTrained: () => true, weightDecay: 0 });
  assert.deepEqual(Array.from(plan.feeds(4).prompt_freq.data as Float32Array), Array.from(selectionFrequency(counts, 1, 4)));
  const step1 = await restored.trainStep(images, Int32Array.of(2, 3, 2, 3), 1, [2, 3], 0.01);
  assert.ok(Number.isFinite(step1.loss));
  // Task 0 has no earlier tasks: plain selection, no frequencies fed.
  assert.equal(restored.model.train({ params: restored.params, taskId: 0, batch: 4, imageSize: [32, 32], isTrained: () => true, weightDecay: 0 }).feeds(4).prompt_freq, undefined);
});

test('diversify is refused with the prompt mask and outside L2P', () => {
  const base = getPreset('five_datasets_l2p_smoke'); // use_prompt_mask true
  const cfg = decodeVariant(base.model_name);
  const bb = { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) };
  const on = { ...base.prompt_pool_param, diversify: true };
  assert.throws(() => createLearner({ ...base, prompt_pool_param: on }, bb, 20), (e: unknown) => e instanceof UserError && /'prompt_pool_param.diversify' = true needs method 'l2p'/.test(e.message));
  assert.throws(() => createLearner({ ...base, method: 'shared_prompt', prompt_pool_param: { ...on, use_prompt_mask: false } }, bb, 20), UserError);
});
