// Our official-style files (examples/configs, written for this project) against our presets: each
// sets every key the official file of the same name sets, and resolves to our preset of that name,
// field by field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flattenConfig } from '../../../src/config/flatten.ts';
import { parseL2PConfig } from '../../../src/config/l2p.ts';
import { getPreset } from '../../../src/config/presets.ts';
import { loadPyConfig, readPyConfig } from '../../../src/config/pyconfig/load.ts';
import { fromOfficial } from '../../../src/config/pyconfig/official.ts';
import { toPlain } from '../../../src/config/pyconfig/values.ts';

const DIR = 'examples/configs';

/** The keys every official config file sets (google-research/l2p configs/*.py, read by our reader). */
const COMMON = [
  'model_name', 'per_device_batch_size', 'dataset', 'gaussian_schedule', 'gaussian_mode', 'offline_eval', 'recreate_eval', 'reinit_optimizer',
  'eval_last_only', 'save_last_ckpt_only', 'learning_rate', 'optim', 'sgd_momentum', 'grad_clip_max_norm', 'learning_rate_schedule', 'warmup_epochs',
  'weight_decay', 'num_epochs', 'num_eval_steps', 'eval_pad_last_batch', 'log_loss_every_steps', 'eval_every_steps', 'checkpoint_every_steps',
  'shuffle_buffer_size', 'seed', 'trial', 'input_size', 'resize_size', 'model_config', 'init_checkpoint', 'continual.num_tasks',
  'continual.num_classes_per_task', 'continual.rand_seed', 'continual.num_train_steps_per_task', 'continual.train_mask', 'continual.eval_task_inc',
  'norm_pre_logits', 'weight_norm', 'temperature', 'norm_01', 'reverse_task', 'use_cls_token', 'task_specific_cls_token', 'vit_classifier',
  'use_g_prompt', 'use_e_prompt', 'e_prompt_layer_idx', 'use_prefix_tune_for_e_prompt', 'prompt_pool', 'prompt_pool_param.pool_size',
  'prompt_pool_param.length', 'prompt_pool_param.top_k', 'prompt_pool_param.initializer', 'prompt_pool_param.prompt_key',
  'prompt_pool_param.use_prompt_mask', 'prompt_pool_param.mask_first_epoch', 'prompt_pool_param.shared_prompt_pool',
  'prompt_pool_param.shared_prompt_key', 'prompt_pool_param.batchwise_prompt', 'prompt_pool_param.prompt_key_init', 'prompt_pool_param.embedding_key',
  'predefined_key_path', 'freeze_part', 'freeze_bn_stats', 'subsample_rate', 'pull_constraint', 'pull_constraint_coeff', 'prompt_histogram',
  'prompt_mask_mode', 'save_prompts',
];
const DUALPROMPT = ['g_prompt_length', 'g_prompt_layer_idx', 'use_prefix_tune_for_g_prompt'];
/** Each official file's keys: the common ones and its own. */
const OFFICIAL: Record<string, string[]> = {
  cifar100_l2p: COMMON,
  cifar100_gaussian_l2p: [...COMMON, 'eval_per_epochs'],
  five_datasets_l2p: COMMON,
  core50_l2p: [...COMMON, 'split_core50', 'eval_per_epochs'],
  cifar100_dualprompt: [...COMMON, ...DUALPROMPT],
  imr_dualprompt: [...COMMON, 'eval_per_epochs', ...DUALPROMPT],
};

/** Keys the official files set that the official code never reads, or reads and overwrites. */
const NEVER_READ = ['gaussian_mode', 'offline_eval', 'recreate_eval', 'trial', 'task_specific_cls_token', 'predefined_key_path', 'prompt_mask_mode', 'save_prompts', 'log_loss_every_steps', 'prompt_pool_param.mask_first_epoch'];
/** The official model's DualPrompt switches as every official L2P file sets them: L2P's meaning. */
const L2P_AS_DUALPROMPT_KEYS = ['use_g_prompt', 'use_e_prompt', 'e_prompt_layer_idx', 'use_prefix_tune_for_e_prompt'];

const tree = (name: string) => toPlain(readPyConfig(join(DIR, `${name}.py`))) as Record<string, unknown>;

function without(t: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out = structuredClone(t);
  for (const k of keys) {
    const parts = k.split('.');
    const holder = parts.slice(0, -1).reduce((o, p) => o[p] as Record<string, unknown>, out);
    delete holder[parts[parts.length - 1]];
  }
  return out;
}

for (const [name, keys] of Object.entries(OFFICIAL)) {
  test(`${name}.py sets every key of the official ${name}.py and no other`, () => {
    const ours = flattenConfig(tree(name)).map(([k]) => k);
    assert.deepEqual([...ours].sort(), [...keys].sort());
  });

  test(`${name}.py resolves to the ${name} preset, field by field (the keys the key rule accepts set aside)`, () => {
    const t = tree(name);
    const accepted = [...NEVER_READ, ...(t.use_g_prompt === false ? L2P_AS_DUALPROMPT_KEYS : [])];
    assert.deepEqual(parseL2PConfig(fromOfficial(without(t, accepted))), getPreset(name));
  });

  // Needs the key rule of src/config (official never-read keys accepted with a notice, DualPrompt's
  // switches accepted under L2P when they hold L2P's meaning): the whole file, as it is.
  test(`${name}.py as it is runs the ${name} preset`, () => {
    const got = Object.fromEntries(flattenConfig(loadPyConfig(join(DIR, `${name}.py`))));
    const want = Object.fromEntries(flattenConfig(getPreset(name)));
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, k);
    const allowed = new Set([...NEVER_READ, ...L2P_AS_DUALPROMPT_KEYS]);
    for (const k of Object.keys(got)) assert.ok(k in want || allowed.has(k), `unexpected key ${k}`);
  });
}

test('domainnet_l2p.py resolves to the domainnet_l2p preset exactly; its argument sets data_dir', () => {
  assert.deepEqual(loadPyConfig(join(DIR, 'domainnet_l2p.py')), getPreset('domainnet_l2p'));
  assert.equal(loadPyConfig(`${join(DIR, 'domainnet_l2p.py')}:/data/tfds`).data_dir, '/data/tfds');
});

test('the example files between them use every construct of the subset', () => {
  const text = Object.keys(OFFICIAL).concat('domainnet_l2p').map((n) => readFileSync(join(DIR, `${n}.py`), 'utf8')).join('\n');
  const constructs: [string, RegExp][] = [
    ['module docstring', /^"""/m],
    ['comment', /^\s*# /m],
    ['import ml_collections', /^import ml_collections$/m],
    ['def get_config():', /^def get_config\(\):$/m],
    ['def get_config(arg):', /^def get_config\(\w+(="[^"]*")?\):$/m],
    ['module-level constant', /^[A-Z_]+ = /m],
    ['local variable', /^ {2}[a-z_]+ = ml_collections\.ConfigDict\(\)$/m],
    ['config.a.b = ...', /^ {2}config\.\w+\.\w+ = /m],
    ['ConfigDict()', /ml_collections\.ConfigDict\(\)/],
    ['ConfigDict from a dict literal', /ml_collections\.ConfigDict\(\{/],
    ['FieldReference with field_type', /ml_collections\.FieldReference\(None, field_type=str\)/],
    ['None', /= None$/m],
    ['list', /= \[/],
    ['tuple', /= \("/],
    ['dict literal', /= \{$/m],
    ['unary minus', /= -\(?\d/],
    ['arithmetic', /\d+ \/\/ [A-Z]|[A-Z_]+ \* [A-Z_]+|1 \/ 2|40 \+ 2/],
    ['string concatenation', /" \+ "/],
    ['float with exponent', /\de-\d/],
    ['digit separator', /\d_\d/],
    ['return config', /^ {2}return config$/m],
  ];
  for (const [what, re] of constructs) assert.match(text, re, what);
});
