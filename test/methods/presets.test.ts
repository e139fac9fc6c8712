// The DualPrompt presets hold the official values (read from google-research/l2p configs/cifar100_dualprompt.py
// and configs/imr_dualprompt.py), CODA-Prompt's its published ones; each method's keys are refused elsewhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseLearningRate, parseL2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';

const OFFICIAL_CIFAR = {
  model_name: 'ViT-B_16', per_device_batch_size: 24, dataset: 'cifar100', learning_rate: 0.03, optim: 'adam', sgd_momentum: 0.9,
  grad_clip_max_norm: 1.0, learning_rate_schedule: 'constant', warmup_epochs: 0, weight_decay: 0, num_epochs: 5, num_eval_steps: -1,
  eval_every_steps: -1, checkpoint_every_steps: 5000, shuffle_buffer_size: 10000, seed: 42, input_size: 224, resize_size: 256,
  reinit_optimizer: true, eval_last_only: false, save_last_ckpt_only: true, eval_pad_last_batch: false, norm_pre_logits: false,
  temperature: 1, norm_01: true, reverse_task: false, use_cls_token: true, vit_classifier: 'token', use_g_prompt: true,
  g_prompt_length: 5, g_prompt_layer_idx: [0, 1], use_prefix_tune_for_g_prompt: true, use_e_prompt: true,
  e_prompt_layer_idx: [2, 3, 4], use_prefix_tune_for_e_prompt: true, prompt_pool: true, freeze_part: ['encoder', 'embedding', 'cls'],
  subsample_rate: -1, pull_constraint: true, pull_constraint_coeff: 1.0, prompt_histogram: true, gaussian_schedule: false,
};
const OFFICIAL_POOL = {
  pool_size: 10, length: 5, top_k: 1, initializer: 'uniform', prompt_key: true, use_prompt_mask: true, shared_prompt_pool: true,
  shared_prompt_key: false, batchwise_prompt: true, prompt_key_init: 'uniform', embedding_key: 'cls',
};
const OFFICIAL_CONTINUAL = { num_tasks: 10, num_classes_per_task: 10, rand_seed: -1, num_train_steps_per_task: -1, train_mask: true, eval_task_inc: false };

test('cifar100_dualprompt has every official value', () => {
  const c = getPreset('cifar100_dualprompt') as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(OFFICIAL_CIFAR)) assert.deepEqual(c[k], v, k);
  assert.deepEqual(c.prompt_pool_param, OFFICIAL_POOL);
  assert.deepEqual(c.continual, { ...OFFICIAL_CONTINUAL, scenario: 'class_incremental' });
  assert.equal(c.method, 'dualprompt');
});

test('imr_dualprompt differs from cifar100_dualprompt where the official files do', () => {
  const c = getPreset('imr_dualprompt') as unknown as Record<string, unknown>;
  const differs = { dataset: 'imagenet_r', learning_rate: 0.005, num_epochs: 50, eval_per_epochs: 10 };
  for (const [k, v] of Object.entries({ ...OFFICIAL_CIFAR, ...differs })) assert.deepEqual(c[k], v, k);
  assert.deepEqual(c.prompt_pool_param, { ...OFFICIAL_POOL, length: 20, batchwise_prompt: false });
  assert.deepEqual(c.continual, { ...OFFICIAL_CONTINUAL, num_classes_per_task: 20, scenario: 'class_incremental' });
});

test('the CODA-Prompt presets hold the official HEAD values (experiments/*.sh, configs/*_prompt.yaml) per benchmark', () => {
  // name: [dataset, tasks, classes per task, epochs, resize_size] as GT-RIPL/CODA-Prompt 6417d4f runs them
  const official: Record<string, [string, number, number, number, number]> = {
    cifar100_coda_prompt: ['cifar100', 10, 10, 20, 224], // CIFAR test images: Resize(224), no crop
    imr_coda_prompt: ['imagenet_r', 10, 20, 50, 256], // ImageNet-R: Resize(256), CenterCrop(224)
    imr_coda_prompt_5task: ['imagenet_r', 5, 40, 50, 256],
    imr_coda_prompt_20task: ['imagenet_r', 20, 10, 50, 256],
    domainnet_coda_prompt: ['domainnet', 5, 69, 5, 256],
  };
  for (const [name, [dataset, tasks, perTask, epochs, resize]] of Object.entries(official)) {
    const c = getPreset(name);
    assert.equal(c.method, 'coda_prompt');
    assert.equal(c.dataset, dataset, name);
    assert.deepEqual([c.continual.num_tasks, c.continual.num_classes_per_task, c.continual.scenario], [tasks, perTask, 'class_incremental'], name);
    assert.equal(c.num_epochs, epochs, name);
    assert.deepEqual([c.input_size, c.resize_size], [224, resize], name);
    // --prompt_param 100 8 0.0; lr 0.001 at batch_size 128; Adam, weight_decay 0, schedule_type cosine
    assert.deepEqual(c.coda_prompt_param, { pool_size: 100, length: 8, ortho_mu: 0, layer_idx: [0, 1, 2, 3, 4] }, name);
    assert.ok(Math.abs(baseLearningRate(c) - 0.001) < 1e-12, name);
    assert.equal(c.per_device_batch_size * c.num_devices, 128);
    assert.deepEqual([c.optim, c.weight_decay, c.grad_clip_max_norm, c.learning_rate_schedule, c.warmup_epochs, c.reinit_optimizer], ['adam', 0, null, 'coda_cosine', 0, true], name);
    // Evaluated after each task only; seed 0 (REPEAT=1) keeps the natural class order; timm's exact GELU.
    assert.equal(c.eval_per_epochs, epochs, name);
    assert.equal(c.continual.rand_seed, -1, name);
    assert.equal(c.gelu, 'erf', name);
  }
  // The demo's variant keeps its glyph backbone's own (tanh) GELU and the official prompt settings.
  const demo = getPreset('split_mnist_coda_prompt');
  assert.equal(demo.gelu, undefined);
  assert.deepEqual([demo.coda_prompt_param!.ortho_mu, demo.learning_rate_schedule], [0, 'coda_cosine']);
});

test("a method's keys are refused under another method, with the reader named, and required under its own", () => {
  const l2p = getPreset('cifar100_l2p');
  assert.throws(() => parseL2PConfig({ ...l2p, g_prompt_length: 5 }), (e: unknown) => e instanceof UserError && /'g_prompt_length' = 5 is not read by method 'l2p' \(method=dualprompt reads it\)/.test(e.message));
  const coda = getPreset('cifar100_coda_prompt');
  assert.throws(() => parseL2PConfig({ ...l2p, coda_prompt_param: coda.coda_prompt_param }), /config key 'coda_prompt_param' = \{.*\} is not read by method 'l2p' \(method=coda_prompt reads it\): leave it unset$/);
  const { e_prompt_layer_idx, ...dp } = getPreset('cifar100_dualprompt');
  assert.deepEqual(e_prompt_layer_idx, [2, 3, 4]);
  assert.throws(() => parseL2PConfig(dp), /'e_prompt_layer_idx' is required by method 'dualprompt'/);
  assert.throws(() => parseL2PConfig({ ...dp, e_prompt_layer_idx, coda_prompt_param: coda.coda_prompt_param }), /'coda_prompt_param' = .* is not read by method 'dualprompt' \(method=coda_prompt reads it\)/);
});
