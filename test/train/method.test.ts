// What trains, which prompt ids a task gets, slot sharing between tasks, and the schedule, by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { randomViT } from '../../src/vit/random.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { trainedPaths } from '../../src/train/learner.ts';
import { methodOf } from '../../src/methods/index.ts';
import { maskIds, sharePromptSlots } from '../../src/methods/l2p/family.ts';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { learningRate } from '../../src/train/schedule.ts';

const paths = ['embedding/kernel', 'cls', 'Transformer/posembed_input/pos_embedding', 'Transformer/encoderblock_0/LayerNorm_0/scale', 'Transformer/encoder_norm/bias', 'prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias'];

/** The method's model for a config on the smoke backbone. */
function modelFor(c: L2PConfig) {
  const cfg = decodeVariant('ViT-mu_8');
  return methodOf(c).create(c, { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) }, 4);
}

test('freeze_part: the official default trains prompts, keys and head; [] trains everything', () => {
  const c = getPreset('cifar100_l2p');
  const l2p = modelFor(c);
  assert.deepEqual(trainedPaths(c, l2p, paths), ['prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias']);
  assert.deepEqual(trainedPaths({ ...c, freeze_part: [] }, l2p, paths), paths);
  const headOnly = modelFor({ ...c, method: 'head_only' });
  assert.deepEqual([...headOnly.params.keys()], ['head/kernel', 'head/bias']);
  assert.deepEqual(trainedPaths(c, headOnly, ['cls', 'head/kernel', 'head/bias']), ['head/kernel', 'head/bias']);
});

test('use_prompt_mask: task t trains ids t·N..t·N+N−1 while they fit in the pool', () => {
  const c = getPreset('five_datasets_l2p'); // pool 20, top_k 4
  assert.deepEqual(maskIds(c, 0), [0, 1, 2, 3]);
  assert.deepEqual(maskIds(c, 4), [16, 17, 18, 19]);
  assert.equal(maskIds(c, 5), null);
  assert.equal(maskIds(getPreset('cifar100_l2p'), 0), null);
  // The shared prompt is fed as id 0 to every task's training graph.
  const shared = modelFor({ ...c, method: 'shared_prompt', prompt_pool_param: { ...c.prompt_pool_param, pool_size: 1, top_k: 1 } });
  const params = new Map([...randomViT(decodeVariant('ViT-mu_8'), 16, 1), ...shared.params]);
  const plan = shared.train({ params, taskId: 3, batch: 2, imageSize: [32, 32], isTrained: () => true, weightDecay: 0 });
  assert.deepEqual(Array.from(plan.feeds(2).prompt_ids.data as Int32Array), [0, 0]);
});

test('shared_prompt_pool copies slot t−1 into slot t before task t, keys untouched', () => {
  const base = getPreset('five_datasets_l2p_smoke'); // pool 4, top_k 2, length 2
  const c = { ...base, prompt_pool_param: { ...base.prompt_pool_param, shared_prompt_key: false } };
  const cfg = decodeVariant(c.model_name);
  const learner = createLearner(c, { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) }, 20);
  const prompt = learner.params.get('prompt_pool/prompt')!.data;
  const key = learner.params.get('prompt_pool/key')!.data;
  const row = 2 * cfg.hidden; // one prompt: length × D
  const slot0 = prompt.slice(0, 2 * row);
  const keysBefore = key.slice();
  sharePromptSlots(c, learner.params, cfg.hidden, 1);
  assert.deepEqual(prompt.slice(2 * row, 4 * row), slot0);
  assert.deepEqual(key, keysBefore);
  sharePromptSlots({ ...c, prompt_pool_param: { ...c.prompt_pool_param, shared_prompt_key: true } }, learner.params, cfg.hidden, 1);
  assert.deepEqual(key.slice(2 * cfg.hidden, 4 * cfg.hidden), key.slice(0, 2 * cfg.hidden));
});

test('learning-rate schedule as the official get_learning_rate', () => {
  const s = { kind: 'cosine' as const, baseLr: 0.1, stepsPerEpoch: 10, numEpochs: 5, warmupEpochs: 1, minLr: 0.001 };
  assert.equal(learningRate(s, 5), 0.05); // warmup: epoch 0.5 of 1
  assert.ok(Math.abs(learningRate(s, 10) - 0.1) < 1e-12); // end of warmup, cosine at 0
  assert.ok(Math.abs(learningRate(s, 30) - 0.05) < 1e-12); // epoch 3: halfway through 4 decay epochs
  assert.equal(learningRate(s, 50), 0.001); // the floor
  assert.ok(Math.abs(learningRate({ ...s, kind: 'linear' }, 30) - 0.05) < 1e-12);
  assert.equal(learningRate({ ...s, kind: 'constant', warmupEpochs: 0 }, 7), 0.1);
});

test('evaluation sees the current trained parameters, not those of its first compile', async () => {
  const c = { ...getPreset('cifar100_l2p_smoke'), test_time_selection: 'per_instance' as const };
  const cfg = decodeVariant(c.model_name);
  const learner = createLearner(c, { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) }, 4);
  const images = new Float32Array(2 * 32 * 32 * 3).fill(0.5);
  const labels = Int32Array.of(0, 1);
  const before = await learner.evalBatch(images, labels, null);
  assert.ok(Math.abs(before.lossSum - 2 * Math.log(4)) < 1e-5, 'a zero head gives uniform logits');
  learner.params.get('head/bias')!.data[3] = 10;
  const after = await learner.evalBatch(images, labels, null);
  assert.deepEqual(Array.from(after.predictions), [3, 3]);
});

test("grad_clip_scope 'all' adds the frozen parameters' gradients to the norm, and updates only the trained ones", async () => {
  const base = { ...getPreset('cifar100_l2p_smoke'), grad_clip_max_norm: 1e-3, pull_constraint: false };
  const cfg = decodeVariant(base.model_name);
  const images = Float32Array.from({ length: 4 * 32 * 32 * 3 }, (_, i) => (i % 97) / 97);
  const labels = Int32Array.of(0, 1, 0, 1);
  const norms: Record<string, number> = {};
  for (const scope of ['trained', 'all'] as const) {
    const backbone = randomViT(cfg, 16, 1);
    const learner = createLearner({ ...base, grad_clip_scope: scope }, { config: cfg, numPatches: 16, params: backbone }, 4);
    // A head whose columns differ, so the cross-entropy sends gradients into the network.
    learner.params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = ((i * 37) % 11) / 100 - 0.05));
    const before = learner.params.get('Transformer/encoder_norm/scale')!.data.slice();
    norms[scope] = (await learner.trainStep(images, labels, 0, [0, 1], 0.01)).gradNorm;
    assert.deepEqual(learner.params.get('Transformer/encoder_norm/scale')!.data, before, 'the backbone stays frozen');
  }
  assert.ok(norms.all > norms.trained * 1.01, `norm over all ${norms.all} vs trained ${norms.trained}`);
});

test("grad_clip_scope 'all': a step over two devices (frozen gradients averaged, then normed) and over one (summed squares in the graph) agree", async () => {
  // Per-instance selection: the mean of two devices' mean losses is the one-device mean loss.
  const base = getPreset('cifar100_l2p_smoke');
  const c = { ...base, grad_clip_max_norm: 1e-3, prompt_pool_param: { ...base.prompt_pool_param, batchwise_prompt: false }, test_time_selection: 'per_instance' as const };
  const cfg = decodeVariant(c.model_name);
  const images = Float32Array.from({ length: 4 * 32 * 32 * 3 }, (_, i) => (i % 89) / 89);
  const labels = Int32Array.of(0, 1, 1, 0);
  const norm = async (scope: 'all' | 'trained', per: number, devices: number) => {
    const learner = createLearner({ ...c, grad_clip_scope: scope, per_device_batch_size: per, num_devices: devices }, { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) }, 4);
    learner.params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = ((i * 37) % 11) / 100 - 0.05));
    return (await learner.trainStep(images, labels, 0, [0, 1], 0.01)).gradNorm;
  };
  const [one, two, trained] = [await norm('all', 4, 1), await norm('all', 2, 2), await norm('trained', 2, 2)];
  // The tolerance sits between float32 rounding (about 2e-8 relative here) and what the frozen
  // gradients add to the norm (about 4.5e-5 relative), so leaving them out of either path fails.
  const tol = 1e-6 * one;
  assert.ok(Math.abs(one - two) <= tol, `one device ${one}, two ${two}`);
  assert.ok(two - trained > 10 * tol, `the frozen part ${two - trained} must exceed the tolerance ${tol} tenfold`);
});
