// The method modules through the one interface the learner uses: what trains, the per-task hooks, a
// training step that moves only the trained tensors, and settings a method refuses.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { METHODS } from '../../src/methods/index.ts';
import { loadRun } from '../../src/report/run-data.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { tempDir } from '../fixtures/data/write.ts';

after(disposeAll);

const cfg = decodeVariant('ViT-mu_8');
const backbone = () => ({ config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) });
const learnerFor = (c: L2PConfig) => createLearner(c, backbone(), 4);

test('each method trains its own tensors and the frozen backbone none', () => {
  const expect: Record<string, string[]> = {
    cifar100_l2p_smoke: ['prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias'],
    cifar100_dualprompt_smoke: ['prefix', 'prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias'],
    cifar100_coda_prompt_smoke: ['prompt/e_p_0', 'prompt/e_k_0', 'prompt/e_a_0', 'prompt/e_p_1', 'prompt/e_k_1', 'prompt/e_a_1', 'head/kernel', 'head/bias'],
  };
  for (const [name, paths] of Object.entries(expect)) assert.deepEqual([...learnerFor(getPreset(name)).trainedTensors.keys()], paths, name);
  const headOnly = learnerFor({ ...getPreset('cifar100_l2p_smoke'), method: 'head_only' });
  assert.deepEqual([...headOnly.trainedTensors.keys()], ['head/kernel', 'head/bias']);
});

test('every method config name has a module that names itself so', () => {
  for (const [name, m] of Object.entries(METHODS)) assert.equal(m.name, name);
});

test('DualPrompt: task 1 starts from task 0 e-prefixes (shared pool), keys kept; a step trains prompt 1 only', async () => {
  const c = getPreset('cifar100_dualprompt_smoke'); // pool 2, top_k 1, e-prefix [1, 2, 2, 2, H, hd]
  const learner = learnerFor(c);
  const prompt = learner.params.get('prompt_pool/prompt')!;
  const [layers, kv, pool] = prompt.shape;
  const inner = prompt.data.length / (layers * kv * pool);
  const slot = (data: Float32Array, s: number) => Array.from({ length: layers * kv }, (_, o) => Array.from(data.subarray((o * pool + s) * inner, (o * pool + s + 1) * inner))).flat();
  const keys = learner.params.get('prompt_pool/key')!.data.slice();
  assert.notDeepEqual(slot(prompt.data, 1), slot(prompt.data, 0));
  learner.beginTask(1, true);
  assert.deepEqual(slot(prompt.data, 1), slot(prompt.data, 0));
  assert.deepEqual(learner.params.get('prompt_pool/key')!.data, keys);
  learner.params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = ((i * 37) % 11) / 100 - 0.05));
  const before = { slot0: slot(prompt.data, 0), embed: learner.params.get('embedding/kernel')!.data.slice() };
  const images = Float32Array.from({ length: 4 * 32 * 32 * 3 }, (_, i) => (i % 97) / 97);
  const r = await learner.trainStep(images, Int32Array.of(2, 3, 2, 3), 1, [2, 3], 0.01);
  assert.ok(Number.isFinite(r.loss) && r.gradNorm > 0);
  // The prompt mask: task 1 uses e-prompt 1 for every image; prompt 0 gets no gradient and stays.
  assert.deepEqual(Array.from(r.promptIds), [1, 1, 1, 1]);
  assert.deepEqual(slot(prompt.data, 0), before.slot0);
  assert.notDeepEqual(slot(prompt.data, 1), before.slot0);
  assert.deepEqual(learner.params.get('embedding/kernel')!.data, before.embed);
});

test("CODA-Prompt: task 1's components start orthonormal to task 0's; evaluation reports weighted selection, no discrete ids", async () => {
  const c = getPreset('cifar100_coda_prompt_smoke'); // pool 4: 2 components per task
  const learner = learnerFor(c);
  const k = learner.params.get('prompt/e_k_0')!;
  const d = k.shape[1];
  const row = (i: number) => k.data.subarray(i * d, (i + 1) * d);
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
  assert.deepEqual(Array.from(row(2)), new Array(d).fill(0), 'task 1 components are zero before task 1');
  learner.beginTask(1, true);
  for (const i of [2, 3]) {
    assert.ok(Math.abs(dot(row(i), row(i)) - 1) < 1e-4, `row ${i} has unit norm`);
    for (const j of [0, 1]) assert.ok(Math.abs(dot(row(i), row(j))) < 1e-4, `row ${i} ⟂ row ${j}`);
  }
  const r = await learner.evalBatch(new Float32Array(2 * 32 * 32 * 3).fill(0.5), Int32Array.of(0, 1), null);
  assert.equal(r.promptIds.length, 0, 'no discrete selection to count');
  assert.equal(learner.evalSelection(), 'weighted');
});

test('settings a method has no graph for are refused with the key named, not ignored', () => {
  const dp = getPreset('cifar100_dualprompt_smoke');
  const refused = (c: L2PConfig, re: RegExp) => assert.throws(() => learnerFor(c), (e: unknown) => e instanceof UserError && re.test(e.message));
  refused({ ...dp, weight_decay: 0.1 }, /'weight_decay' = 0.1 is not supported with method 'dualprompt'/);
  refused({ ...dp, vit_classifier: 'prompt' }, /'vit_classifier' = 'prompt' is not one DualPrompt supports/);
  refused({ ...dp, e_prompt_layer_idx: [5] }, /e_prompt_layer_idx holds 5, outside the backbone's layers \[0, 2\)/);
  refused({ ...dp, prompt_pool_param: { ...dp.prompt_pool_param, prompt_key: false } }, /'prompt_pool_param.prompt_key' = false is not supported with method 'dualprompt'/);
  refused({ ...dp, prompt_pool_param: { ...dp.prompt_pool_param, embedding_key: 'mean' } }, /'prompt_pool_param.embedding_key' = "mean" is not supported with method 'dualprompt'/);
  const coda = getPreset('cifar100_coda_prompt_smoke');
  refused({ ...coda, grad_clip_scope: 'all' }, /'grad_clip_scope' = "all" is not supported with method 'coda_prompt'/);
});

test('the report names the method and says when it selects no discrete prompts', () => {
  const dir = join(tempDir('report-coda'), 'coda');
  mkdirSync(dir, { recursive: true });
  const config = getPreset('cifar100_coda_prompt_smoke');
  const summary = {
    method: 'coda_prompt', tasks: 2, acc_matrix: [[50, 40], [0, 60]], avg_acc: 50, forgetting: 10, backward: -10, learning_acc: 55,
    prompt_usage: [[0, 0, 0, 0], [0, 0, 0, 0]], prompt_selection_accuracy: null, test_time_selection: 'weighted', shared_test_set: false,
    wall_time_s: 10, train_images: 24, images_per_s: 2.4, config,
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  const run = loadRun(dir);
  assert.equal(run.config?.method, 'coda_prompt');
  assert.ok(run.notes.some((n) => n === "No prompt usage: method 'coda_prompt' selects no discrete prompts at test time (test-time selection 'weighted')."), run.notes.join('\n'));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...summary, method: 'dualprompt', prompt_usage: [[3, 1, 0, 0], [0, 4, 0, 0]], test_time_selection: 'per_instance' }));
  assert.ok(!loadRun(dir).notes.some((n) => n.startsWith('No prompt usage')));
});
