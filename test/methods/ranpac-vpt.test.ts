// RanPAC with its first session (petl 'vpt', RanPAC.py's 'vpt' rows): the closed-form step after
// the adaptation, on the adapted features, against the NumPy reference of RanPAC.py (ranpac-ref.ts)
// and the adapted features against a NumPy VPT forward; its phases and keys, the adapter/ssf rows
// refused by name, the presets, and a run through `l2p train` stopped in task 0's gradient phase and
// in task 1's statistics pass, resumed.
import assert from 'node:assert/strict';
import { runPython } from '../helpers/python-cache.ts';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { applyOverrides } from '../../src/config/index.ts';
import { baseLearningRate } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { readNpz } from '../../src/io/npz.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';
import { checkpoints, referenceRun, stopAndResume, trainArgv } from './closed-form-helpers.ts';
import { close, numpy, testImage, twoTasks } from './ranpac-ref.ts';

after(disposeAll);

const oneLine = (...parts: string[]) => (e: unknown) => e instanceof UserError && !e.message.includes('\n') && parts.every((p) => e.message.includes(p));

test('after the first session: G, Q, λ, Wo and the logits on the adapted features as NumPy computes them', async () => {
  const c = getPreset('cifar100_ranpac_vpt_smoke');
  const vit = decodeVariant(c.model_name);
  const size = c.input_size;
  const grid = (size / vit.patch) ** 2;
  const classes = 6;
  const backbone = () => ({ config: vit, numPatches: grid, params: randomViT(vit, grid, 3) });
  const learner = createLearner(c, backbone(), classes);
  // M = 0: its features are the adapted pre_logits themselves, which the reference projects.
  const plain = createLearner(applyOverrides(c, ['M=0']), backbone(), classes);
  const model = learner.model;
  assert.deepEqual(model.phases!(0), ['gradient', 'statistics']);
  assert.deepEqual(model.phases!(1), ['statistics']);
  assert.deepEqual([...learner.trainedTensors.keys()].sort(), ['tune_head/kernel', 'tune_head/sigma', 'vpt/prompts']);
  assert.equal(model.usesQuery, false, 'no cached frozen query stands in for the adapted features');
  // The prompts as a first session might leave them (zeros are VPT's start).
  for (const l of [learner, plain]) {
    const prompts = l.params.get('vpt/prompts')!;
    prompts.data.forEach((_, i) => (prompts.data[i] = Math.cos(i * 0.11) * 0.3));
  }
  const M = c.M!;
  const D = vit.hidden;
  const { got, tasks } = await twoTasks(learner, plain, c.seed, size);
  const image = testImage(size);
  // The features fed to the reference are VPT's adapted pre_logits (petl/vpt.py's forward in NumPy).
  const backboneParams = Object.fromEntries([...learner.params].filter(([k]) => !/^(vpt|tune_head|head|rp)\//.test(k)).map(([k, v]) => [k, { shape: v.shape, data: [...v.data] }]));
  const first = (tasks[0] as { test: number[] }).test;
  const input = { hidden: D, depth: vit.depth, heads: vit.heads, patch: vit.patch, tokens: c.prompt_token_num, vpt_type: 'deep', batch: 4, size, params: backboneParams, prompts: [...learner.params.get('vpt/prompts')!.data], images: [...image(4, 99)] };
  const r = runPython([join(import.meta.dirname, 'aper_vpt_ref.py')], JSON.stringify(input), 1 << 26);
  assert.equal(r.status, 0, r.stderr);
  (JSON.parse(r.stdout) as number[]).forEach((v, i) => assert.ok(Math.abs(first[i] - v) < 1e-4, `adapted test feature ${i}: ${first[i]} vs ${v}`));
  const want = numpy({ hidden: D, M, classes, w_rand: [...learner.params.get('rp/w_rand')!.data], tasks });
  want.forEach((w, t) => {
    const s = got[t].state;
    close((s.ridge_G as { data: Float64Array }).data.filter((_, k) => k % M >= Math.floor(k / M)), w.G.filter((_, k) => k % M >= Math.floor(k / M)), 1e-5, `task ${t} G (upper)`);
    close((s.ridge_Q as { data: Float64Array }).data, w.Q, 1e-5, `task ${t} Q`);
    assert.equal((s.ridge_lambda as number[][])[0][t], w.lambda, `task ${t} λ`);
    close(got[t].wo, w.Wo, 1e-3, `task ${t} Wo`);
    close(got[t].logits, w.logits, 1e-3, `task ${t} logits`);
  });
  assert.throws(() => model.train({ params: learner.params, taskId: 1, batch: 2, imageSize: [size, size], isTrained: () => false, weightDecay: 0 }), oneLine("'ranpac'", 'task 0 only'));
});

test("petl: 'adapter' and 'ssf' refused naming their official rows, 'vpt' needs its VPT keys, and other methods refuse the key", () => {
  const c = getPreset('cifar100_ranpac_smoke');
  const vit = decodeVariant(c.model_name);
  const grid = (c.input_size / vit.patch) ** 2;
  const create = (sets: string[]) => createLearner(applyOverrides(c, sets), { config: vit, numPatches: grid, params: randomViT(vit, grid, 3) }, 4);
  assert.throws(() => create(['petl=adapter']), oneLine("'petl' = 'adapter'", 'cifar224', "'vpt'"));
  assert.throws(() => create(['petl=ssf']), oneLine("'petl' = 'ssf'", 'imagenetr', "'vpt'"));
  assert.throws(() => create(['petl=vpt']), oneLine("'vpt_type'", "'prompt_token_num'"));
  assert.throws(() => create(['vpt_type=deep']), oneLine("'vpt_type'", "only with petl 'vpt'"));
  assert.throws(() => applyOverrides(c, ['petl=lora']), oneLine("'petl'"));
  assert.throws(() => applyOverrides(getPreset('cifar100_simplecil_smoke'), ['petl=vpt']), oneLine("'petl'", 'ranpac'));
  const plain = create([]);
  assert.deepEqual(plain.model.phases!(0), ['statistics']);
  assert.equal(plain.trainedTensors.size, 0);
  assert.throws(() => plain.model.train({ params: plain.params, taskId: 0, batch: 2, imageSize: [c.input_size, c.input_size], isTrained: () => false, weightDecay: 0 }), oneLine('no training step'));
});

test("the presets: the 'vpt' rows' first session (cars/omnibenchmark row 7) on rows 3 and 4's CIFAR-100 and ImageNet-R streams", () => {
  for (const [name, base] of [['cifar100_ranpac_vpt', 'cifar100_ranpac'], ['imr_ranpac_vpt', 'imr_ranpac']]) {
    const c = getPreset(name);
    const b = getPreset(base);
    assert.deepEqual([c.method, c.petl, c.use_RP, c.M, c.vpt_type, c.prompt_token_num], ['ranpac', 'vpt', true, 10000, 'deep', 5], name);
    assert.deepEqual([c.per_device_batch_size * c.num_devices, c.num_epochs, c.optim, c.sgd_momentum, c.weight_decay, c.learning_rate_schedule, c.min_learning_rate, c.warmup_epochs, c.grad_clip_max_norm], [48, 20, 'sgd', 0.9, 0.0005, 'cosine', 0, 0, null], name);
    assert.ok(Math.abs(baseLearningRate(c) - 0.01) < 1e-12, `${name}: body_lr ${baseLearningRate(c)}`);
    assert.deepEqual([c.dataset, c.seed, c.continual, c.input_size, c.resize_size], [b.dataset, b.seed, b.continual, b.input_size, b.resize_size], name);
  }
  assert.equal(getPreset('split_mnist_ranpac_vpt').petl, 'vpt');
  assert.equal(getPreset('split_mnist_ranpac').petl, undefined, "the demo's plain RanPAC has no first session");
});

const dataDir = tempDir('ranpac-vpt-data');
before(() => writePresetData(dataDir));

test('l2p train: task 0 tunes, then the prompts stay; stops in the gradient phase and in a later statistics pass resume to the same results', () => {
  const argv = trainArgv('cifar100_ranpac_vpt_smoke', dataDir, ['continual.class_order=l2p']);
  const ref = referenceRun(argv, 'ranpac-vpt');
  assert.ok(ref.counts.step >= 2, `task 0 trains by steps (${ref.counts.step}), task 1 by none`);
  assert.ok(ref.want.images > 0);
  assert.equal(ref.want.acc.length, 2);
  const { files, keys } = checkpoints(ref.workdir);
  assert.deepEqual(keys, ['method/ridge_G', 'method/ridge_Q', 'opt/momentum/tune_head/kernel', 'opt/momentum/tune_head/sigma', 'opt/momentum/vpt/prompts', 'params/head/kernel', 'params/tune_head/kernel', 'params/tune_head/sigma', 'params/vpt/prompts']);
  const prompts = files.map((f) => readNpz(join(ref.workdir, 'checkpoints', f)).get('params/vpt/prompts')!.data);
  assert.ok(prompts[0].some((v) => v !== 0), 'task 0 tuned the prompts');
  assert.deepEqual(prompts[1], prompts[0], 'task 1 leaves them as task 0 tuned them');
  const { stderr } = stopAndResume(argv, 'ranpac-vpt', ['step:1', `stats-batch:${ref.counts['stats-batch'] / 2 + 1}`], ref.want);
  assert.match(stderr[1], /statistics|task 1/);
});
