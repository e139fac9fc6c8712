// APER: its closed-form step on the concatenated [frozen, adapted] features against an independent
// NumPy reference written below, its phases and the task-0-only tuning, its config keys, and a run
// through `l2p train` stopped in task 0's gradient phase and in task 1's statistics pass, resumed.
import assert from 'node:assert/strict';
import { runPython } from '../helpers/python-cache.ts';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { applyOverrides } from '../../src/config/index.ts';
import { baseLearningRate } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';
import { referenceRun, stopAndResume, trainArgv } from './closed-form-helpers.ts';

after(disposeAll);

/** LAMDA-PILOT's replace_fc on the dual-branch features and CosineLinear (sigma 1) in NumPy. */
const REFERENCE = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
D, C = d['hidden'], d['classes']
frozen = np.array(d['frozen'], dtype=np.float64).reshape(-1, D)
adapted = np.array(d['adapted'], dtype=np.float64).reshape(-1, D)
train = np.concatenate([frozen, adapted], axis=1)
labels = np.array(d['labels'])
test = np.array(d['test'], dtype=np.float64).reshape(-1, 2 * D)
protos = np.zeros((C, 2 * D))
for c in np.unique(labels):
    protos[c] = train[labels == c].mean(0)
def normalize(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
logits = normalize(test) @ normalize(protos).T
json.dump({'protos': protos.ravel().tolist(), 'logits': logits.ravel().tolist()}, sys.stdout)
`;

function numpy(input: object): { protos: number[]; logits: number[] } {
  const r = runPython(['-c', REFERENCE], JSON.stringify(input), 1 << 26);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('the closed-form step: prototypes of [frozen, adapted] features and cosine logits as NumPy computes them', async () => {
  const c = getPreset('cifar100_aper_smoke');
  const vit = decodeVariant(c.model_name);
  const size = c.input_size;
  const grid = (size / vit.patch) ** 2;
  const classes = 6;
  const backbone = () => ({ config: vit, numPatches: grid, params: randomViT(vit, grid, 3) });
  const learner = createLearner(c, backbone(), classes);
  // The frozen branch alone, as SimpleCIL's learner sees it on the same backbone.
  const plain = createLearner(getPreset('cifar100_simplecil_smoke'), backbone(), classes);
  const model = learner.model;
  assert.deepEqual(model.phases!(0), ['gradient', 'statistics']);
  assert.deepEqual(model.phases!(1), ['statistics']);
  assert.deepEqual([...learner.trainedTensors.keys()].sort(), ['tune_head/kernel', 'tune_head/sigma', 'vpt/prompts']);
  // Tuned prompts: the adapted branch then differs from the frozen one.
  const prompts = learner.params.get('vpt/prompts')!;
  prompts.data.forEach((_, i) => (prompts.data[i] = Math.cos(i * 0.11) * 0.3));
  const image = (n: number, seed: number) => Float32Array.from({ length: n * size * size * 3 }, (_, i) => Math.sin(i * 0.37 + seed * 1.3) * 0.5 + 0.5);
  const labels = Int32Array.of(1, 2, 1, 4, 2, 2, 1);
  const D = vit.hidden;
  const pass = model.statistics!(0);
  const frozen: number[] = [];
  const adapted: number[] = [];
  for (const [s, e] of [[0, 4], [4, 7]]) {
    const f = await learner.features(image(e - s, s), labels.subarray(s, e)); // [n, 2D]
    const q = await plain.features(image(e - s, s), labels.subarray(s, e)); // [n, D]
    for (let i = 0; i < e - s; i++) {
      const row = f.subarray(i * 2 * D, (i + 1) * 2 * D);
      q.subarray(i * D, (i + 1) * D).forEach((v, k) => assert.ok(Math.abs(row[k] - v) < 1e-4, `frozen half ${i}[${k}]`));
      frozen.push(...q.subarray(i * D, (i + 1) * D));
      adapted.push(...row.subarray(D));
    }
    assert.ok(f.subarray(D, 2 * D).some((v, k) => Math.abs(v - f[k]) > 1e-3), 'the adapted half is not the frozen one');
    pass.add(f, labels.subarray(s, e));
  }
  await pass.finish(learner.params, learner.graphs);
  const testImages = image(3, 99);
  const testFeatures = await learner.features(testImages, new Int32Array(3));
  const ev = await learner.evalBatch(testImages, new Int32Array(3), null);
  const want = numpy({ hidden: D, classes, frozen, adapted, labels: [...labels], test: [...testFeatures] });
  const kernel = learner.params.get('head/kernel')!; // [2D, C]
  for (let k = 0; k < classes; k++) {
    for (let j = 0; j < 2 * D; j++) assert.ok(Math.abs(kernel.data[j * classes + k] - want.protos[k * 2 * D + j]) < 1e-4, `prototype ${k}[${j}]`);
  }
  want.logits.forEach((v, i) => assert.ok(Math.abs(ev.logits[i] - v) < 1e-5, `logit ${i}: ${ev.logits[i]} vs ${v}`));
  // A class with one example in the task (4, row 3) is no error: its prototype is that example's
  // [frozen, adapted] features, the official mean of one.
  for (let j = 0; j < D; j++) assert.ok(Math.abs(kernel.data[j * classes + 4] - frozen[3 * D + j]) < 1e-4, `class 4's prototype, frozen [${j}]`);
  for (let j = 0; j < D; j++) assert.equal(kernel.data[(D + j) * classes + 4], adapted[3 * D + j], `class 4's prototype, adapted [${j}]`);
  assert.throws(() => model.train({ params: learner.params, taskId: 1, batch: 2, imageSize: [size, size], isTrained: () => false, weightDecay: 0 }), (e: unknown) => e instanceof UserError && e.message.includes('task 0 only'));
});

test('APER keys: its own refused under another method, others refused under it, bad values named', () => {
  const c = getPreset('cifar100_aper_smoke');
  const oneLine = (key: string) => (e: unknown) => e instanceof UserError && e.message.includes(`'${key}'`) && !e.message.includes('\n');
  for (const set of ['prompt_pool_param.pool_size=7', 'temperature=2', 'grad_clip_scope=all']) assert.throws(() => applyOverrides(c, [set]), oneLine(set.split('=')[0]), set);
  assert.throws(() => applyOverrides(getPreset('cifar100_l2p_smoke'), ['vpt_type=deep']), oneLine('vpt_type'));
  assert.throws(() => applyOverrides(c, ['vpt_type=middle']), oneLine('vpt_type'));
  assert.throws(() => applyOverrides(c, ['prompt_token_num=0']), oneLine('prompt_token_num'));
  assert.equal(applyOverrides(c, ['vpt_type=shallow']).vpt_type, 'shallow');
  // The tuning head has the first task's classes only (update_fc(init_cls)): the class mask stays.
  assert.throws(() => applyOverrides(c, ['continual.train_mask=false']), oneLine('continual.train_mask'));
});

for (const vptType of ['deep', 'shallow']) {
  test(`the adapted branch: VPT-${vptType} as the official appends and cuts its tokens, against a NumPy forward`, async () => {
    const c = applyOverrides(getPreset('cifar100_aper_smoke'), [`vpt_type=${vptType}`]);
    const vit = decodeVariant(c.model_name);
    const size = c.input_size;
    const grid = (size / vit.patch) ** 2;
    const learner = createLearner(c, { config: vit, numPatches: grid, params: randomViT(vit, grid, 5) }, 4);
    const prompts = learner.params.get('vpt/prompts')!; // [L, P, D]
    assert.deepEqual(prompts.shape, [vptType === 'deep' ? vit.depth : 1, c.prompt_token_num, vit.hidden]);
    prompts.data.forEach((_, i) => (prompts.data[i] = Math.sin(i * 0.73) * 0.8));
    const n = 2;
    const images = Float32Array.from({ length: n * size * size * 3 }, (_, i) => Math.cos(i * 0.19) * 0.5 + 0.5);
    const f = await learner.features(images, new Int32Array(n)); // [n, 2D]
    const D = vit.hidden;
    const backbone = Object.fromEntries([...learner.params].filter(([k]) => !k.includes('/') || !/^(vpt|tune_head|head)\//.test(k)).map(([k, v]) => [k, { shape: v.shape, data: [...v.data] }]));
    const input = { hidden: D, depth: vit.depth, heads: vit.heads, patch: vit.patch, tokens: c.prompt_token_num, vpt_type: vptType, batch: n, size, params: backbone, prompts: [...prompts.data], images: [...images] };
    const r = runPython([join(import.meta.dirname, 'aper_vpt_ref.py')], JSON.stringify(input), 1 << 26);
    assert.equal(r.status, 0, r.stderr);
    const want: number[] = JSON.parse(r.stdout);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < D; k++) assert.ok(Math.abs(f[i * 2 * D + D + k] - want[i * D + k]) < 1e-4, `adapted ${i}[${k}]: ${f[i * 2 * D + D + k]} vs ${want[i * D + k]}`);
    }
  });
}

test('the presets hold exps/aper_vpt_deep.json and exps/aper_vpt_deep_inr.json in our keys', () => {
  // The official files' values, by hand: tuned_epoch, init_lr, batch_size, weight_decay, min_lr, optimizer, vpt_type, prompt_token_num, init_cls, increment.
  const official = [
    { name: 'cifar100_aper', dataset: 'cifar100', tuned_epoch: 20, init_lr: 0.01, batch_size: 48, prompt_token_num: 5, increment: 10 },
    { name: 'imr_aper', dataset: 'imagenet_r', tuned_epoch: 20, init_lr: 0.05, batch_size: 24, prompt_token_num: 30, increment: 20 },
  ];
  for (const o of official) {
    const c = getPreset(o.name);
    assert.equal(c.method, 'aper');
    assert.equal(c.dataset, o.dataset);
    assert.equal(c.num_epochs, o.tuned_epoch);
    assert.ok(Math.abs(baseLearningRate(c) - o.init_lr) < 1e-12, `${o.name}: rate ${baseLearningRate(c)} at batch ${c.per_device_batch_size * c.num_devices}`);
    assert.equal(c.per_device_batch_size * c.num_devices, o.batch_size);
    assert.deepEqual([c.optim, c.sgd_momentum, c.weight_decay, c.learning_rate_schedule, c.min_learning_rate, c.warmup_epochs], ['sgd', 0.9, 0.0005, 'cosine', 0, 0]);
    assert.deepEqual([c.vpt_type, c.prompt_token_num], ['deep', o.prompt_token_num]);
    assert.deepEqual([c.continual.num_tasks, c.continual.num_classes_per_task], [10, o.increment]);
    assert.deepEqual([c.input_size, c.resize_size, c.grad_clip_max_norm], [224, 256, null]);
  }
  assert.deepEqual([getPreset('cifar100_aper').continual.rand_seed, getPreset('cifar100_aper').continual.class_order], [1993, 'pycil']);
});

const dataDir = tempDir('aper-data');
before(() => writePresetData(dataDir));

test('l2p train: task 0 tunes, task 1 fits only; stops in the gradient phase and in a later statistics pass resume to the same results', () => {
  const argv = trainArgv('cifar100_aper_smoke', dataDir);
  const ref = referenceRun(argv, 'aper');
  assert.ok(ref.counts.step >= 2, `task 0 trains by steps (${ref.counts.step}), task 1 by none`);
  // Two tasks of equal size: the second half of the statistics batches is task 1's pass.
  assert.equal(ref.counts['stats-batch'] % 2, 0);
  assert.equal(ref.want.acc.length, 2);
  // Resumed after step 1: task 0's other steps, task 0's pass, then a stop in task 1's pass.
  const { stderr } = stopAndResume(argv, 'aper', ['step:1', `stats-batch:${ref.counts['stats-batch'] / 2 + 1}`], ref.want);
  assert.match(stderr[1], /statistics|task 1/);
});
