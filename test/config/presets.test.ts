import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { baseLearningRate, globalBatchSize, numTotalClasses, parseL2PConfig } from '../../src/config/l2p.ts';
import { getPreset, presetNames } from '../../src/config/presets.ts';

const METHOD_PRESETS = ['cifar100_dualprompt', 'imr_dualprompt', 'cifar100_coda_prompt', 'imr_coda_prompt', 'imr_coda_prompt_5task', 'imr_coda_prompt_20task', 'domainnet_coda_prompt', 'split_mnist_dualprompt', 'split_mnist_coda_prompt', 'cifar100_simplecil', 'imr_simplecil', 'split_mnist_simplecil', 'cifar100_ranpac', 'cifar100_ranpac_m0', 'imr_ranpac', 'imr_ranpac_m0', 'core50_ranpac', 'core50_ranpac_m0', 'domainnet_ranpac', 'domainnet_ranpac_m0', 'split_mnist_ranpac', 'cifar100_ranpac_vpt', 'imr_ranpac_vpt', 'split_mnist_ranpac_vpt', 'cifar100_aper', 'imr_aper', 'split_mnist_aper', 'cifar100_hideprompt', 'imr_hideprompt', 'split_mnist_hide_prompt'];
const OFFICIAL = ['cifar100_l2p', 'cifar100_gaussian_l2p', 'five_datasets_l2p', 'core50_l2p', 'domainnet_l2p', 'domainnet_l2p_cil'];

test('every preset and its smoke variant is registered and validates', () => {
  // The official presets, then our embedded demo.
  assert.deepEqual(presetNames(), [...OFFICIAL, 'split_mnist_l2p', ...METHOD_PRESETS].flatMap((n) => [n, `${n}_smoke`]));
  for (const name of presetNames()) {
    const c = getPreset(name);
    assert.deepEqual(parseL2PConfig(c), c, name);
  }
});

test('getPreset returns a fresh copy each time', () => {
  const a = getPreset('cifar100_l2p');
  a.freeze_part.push('head');
  a.prompt_pool_param.pool_size = 99;
  const b = getPreset('cifar100_l2p');
  assert.deepEqual(b.freeze_part, ['encoder', 'embedding', 'cls']);
  assert.equal(b.prompt_pool_param.pool_size, 10);
});

test('an unknown preset lists the names', () => {
  assert.throws(() => getPreset('cifar100_l2q'), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^unknown preset 'cifar100_l2q' \(did you mean 'cifar100_l2p'\?\); the presets are: cifar100_l2p, /);
    return true;
  });
  assert.throws(() => getPreset('constructor'), UserError);
});

// Values read from google-research/l2p configs/cifar100_l2p.py.
test('cifar100_l2p has the official values', () => {
  const c = getPreset('cifar100_l2p');
  assert.equal(c.model_name, 'ViT-B_16');
  assert.equal(c.per_device_batch_size, 16);
  assert.equal(c.dataset, 'cifar100');
  assert.equal(c.learning_rate, 0.03);
  assert.equal(c.optim, 'adam');
  assert.equal(c.sgd_momentum, 0.9);
  assert.equal(c.grad_clip_max_norm, 1.0);
  assert.equal(c.learning_rate_schedule, 'constant');
  assert.equal(c.warmup_epochs, 0);
  assert.equal(c.weight_decay, 0);
  assert.equal(c.num_epochs, 5);
  assert.equal(c.seed, 42);
  assert.equal(c.input_size, 224);
  assert.equal(c.resize_size, 256);
  assert.equal(c.reinit_optimizer, true);
  assert.deepEqual(c.continual, {
    num_tasks: 10, num_classes_per_task: 10, rand_seed: -1, num_train_steps_per_task: -1,
    train_mask: true, eval_task_inc: false, scenario: 'class_incremental',
  });
  assert.equal(c.vit_classifier, 'prompt');
  assert.equal(c.prompt_pool, true);
  assert.deepEqual(c.prompt_pool_param, {
    pool_size: 10, length: 10, top_k: 4, initializer: 'uniform', prompt_key: true, prompt_key_init: 'uniform',
    embedding_key: 'cls', batchwise_prompt: true, use_prompt_mask: false, shared_prompt_pool: false, shared_prompt_key: false,
  });
  assert.deepEqual(c.freeze_part, ['encoder', 'embedding', 'cls']);
  assert.equal(c.pull_constraint, true);
  assert.equal(c.pull_constraint_coeff, 1.0);
  assert.equal(c.prompt_histogram, true);
  assert.equal(c.prompt_layout, 'head');
  // 16 per device × 8 devices = 128; the rate is for batch 256, so 0.015 is applied.
  assert.equal(globalBatchSize(c), 128);
  assert.equal(baseLearningRate(c), 0.015);
  assert.equal(numTotalClasses(c), 100);
});

// configs/cifar100_gaussian_l2p.py
test('cifar100_gaussian_l2p has the official values', () => {
  const c = getPreset('cifar100_gaussian_l2p');
  assert.equal(c.gaussian_schedule, true);
  assert.equal(c.reinit_optimizer, false);
  assert.equal(c.eval_per_epochs, 100);
  assert.equal(c.prompt_histogram, false);
  assert.equal(c.continual.num_tasks, 200);
  assert.equal(c.continual.num_classes_per_task, 100);
  assert.equal(c.prompt_pool_param.pool_size, 10);
  assert.equal(c.prompt_pool_param.length, 10);
  assert.equal(c.prompt_pool_param.top_k, 4);
  assert.equal(c.pull_constraint_coeff, 1.0);
  assert.equal(numTotalClasses(c), 100);
});

// configs/five_datasets_l2p.py
test('five_datasets_l2p has the official values', () => {
  const c = getPreset('five_datasets_l2p');
  assert.equal(c.dataset, '5datasets');
  assert.equal(c.optim, 'adam');
  assert.equal(c.continual.num_tasks, 5);
  assert.equal(c.continual.num_classes_per_task, 10);
  assert.equal(c.continual.train_mask, true);
  assert.equal(c.prompt_pool_param.pool_size, 20);
  assert.equal(c.prompt_pool_param.length, 10);
  assert.equal(c.prompt_pool_param.top_k, 4);
  assert.equal(c.prompt_pool_param.use_prompt_mask, true);
  assert.equal(c.prompt_pool_param.shared_prompt_pool, true);
  assert.equal(c.prompt_pool_param.shared_prompt_key, false);
  assert.equal(c.pull_constraint_coeff, 0.5);
  assert.deepEqual(c.freeze_part, ['encoder', 'embedding', 'cls']);
  assert.deepEqual(c.dataset_list, ['cifar10', 'mnist', 'svhn_cropped', 'not_mnist', 'fashion_mnist']);
  assert.equal(numTotalClasses(c), 50);
});

// configs/core50_l2p.py
test('core50_l2p has the official values', () => {
  const c = getPreset('core50_l2p');
  assert.equal(c.dataset, 'core50');
  assert.equal(c.split_core50, false);
  assert.equal(c.optim, 'sgd');
  assert.equal(c.learning_rate, 0.03);
  assert.deepEqual(c.freeze_part, []);
  assert.equal(c.eval_per_epochs, 5);
  assert.equal(c.continual.num_tasks, 8);
  assert.equal(c.continual.num_classes_per_task, 50);
  assert.equal(c.continual.train_mask, false);
  assert.equal(c.continual.scenario, 'domain_incremental');
  assert.equal(c.prompt_pool_param.pool_size, 10);
  assert.equal(c.prompt_pool_param.length, 5);
  assert.equal(c.prompt_pool_param.top_k, 4);
  assert.equal(c.pull_constraint_coeff, 1.0);
  assert.equal(numTotalClasses(c), 50);
});

test('the two DomainNet readings', () => {
  const dil = getPreset('domainnet_l2p');
  assert.equal(dil.continual.scenario, 'domain_incremental');
  assert.equal(dil.continual.num_tasks, 6);
  assert.equal(dil.dataset_list?.length, 6);
  assert.equal(numTotalClasses(dil), 345);
  const cil = getPreset('domainnet_l2p_cil');
  assert.equal(cil.continual.scenario, 'class_incremental');
  assert.equal(cil.continual.num_tasks * cil.continual.num_classes_per_task, 345);
  assert.equal(cil.dataset_list, undefined);
  assert.equal(numTotalClasses(cil), 345);
});

test('smoke variants keep the method and dataset but shrink everything else', () => {
  for (const name of OFFICIAL) {
    const full = getPreset(name);
    const c = getPreset(`${name}_smoke`);
    assert.equal(c.model_name, 'ViT-mu_8', name);
    assert.equal(c.dataset, full.dataset, name);
    assert.equal(c.continual.scenario, full.continual.scenario, name);
    assert.equal(c.init_checkpoint, null, name);
    // The Gaussian smoke run keeps 10 episodes: the official evaluation interval is 10.
    assert.ok(c.input_size <= 32 && c.continual.num_tasks <= (full.gaussian_schedule ? 10 : 2) && c.num_epochs === 1, name);
    assert.ok(c.continual.num_train_steps_per_task > 0 && c.num_eval_steps > 0, name);
    assert.ok(c.continual.num_tasks * c.prompt_pool_param.top_k <= c.prompt_pool_param.pool_size, name);
    assert.deepEqual(c.freeze_part, full.freeze_part, name);
  }
});

test('checks between fields name the key to change', () => {
  const c = getPreset('cifar100_l2p');
  assert.throws(() => parseL2PConfig({ ...c, prompt_pool_param: { ...c.prompt_pool_param, top_k: 11 } }),
    /^UserError: config key 'prompt_pool_param.top_k' must be <= prompt_pool_param.pool_size \(10\), got 11$/);
  assert.throws(() => parseL2PConfig({ ...c, input_size: 300 }), /config key 'input_size' must be <= resize_size \(256\), got 300/);
  assert.throws(() => parseL2PConfig({ ...c, warmup_epochs: 5 }), /config key 'warmup_epochs' must be < num_epochs \(5\), got 5/);
  assert.throws(() => parseL2PConfig({ ...c, prompt_pool: false }), /^UserError: config key 'prompt_pool' = false is not read by method 'l2p' \(method=shared_prompt, joint read it\): leave it at true$/);
  assert.throws(() => parseL2PConfig({ ...getPreset('five_datasets_l2p'), dataset_list: ['a'] }), /config key 'dataset_list' must be one dataset per task/);
  assert.throws(() => parseL2PConfig({ ...c, prompt_pool_param: { ...c.prompt_pool_param, batchwise_prompt: false } }),
    /config key 'test_time_selection' must be 'per_instance' when prompt_pool_param.batchwise_prompt is false/);
});

test('official keys left out say why', () => {
  const c = getPreset('cifar100_l2p');
  assert.equal(parseL2PConfig({ ...c, use_g_prompt: false }).use_g_prompt, false, "what L2P means: no g-prompt");
  assert.throws(() => parseL2PConfig({ ...c, use_g_prompt: true }), /^UserError: config key 'use_g_prompt' = true is not read by method 'l2p' \(method=dualprompt reads it\): leave it unset or at false$/);
  // L2P's schedule is learning_rate_schedule; `sched` is HiDe-Prompt's (its official name there).
  assert.throws(() => parseL2PConfig({ ...c, sched: 'cosine' }), /^UserError: config key 'sched' = "cosine" is not read by method 'l2p' \(method=hide_prompt reads it\): leave it unset$/);
  assert.throws(() => parseL2PConfig({ ...c, continual: { ...c.continual, replay: {} } }), /config key 'continual.replay' is not supported/);
});
