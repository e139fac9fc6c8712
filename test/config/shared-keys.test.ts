// The keys every run reads (SHARED), under every method: each changes the method's steps
// (test/config/observe.ts) or the loop's plan of them (the pure functions src/train/loop.ts follows:
// planTask, the official schedule of evaluations and checkpoints, the evaluation options, the input
// seeds). Keys whose effect only a run shows are in test/config/run-keys.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELD, METHOD_AXIS, DATASET_AXIS, NEVER_READ, SHARED, valueAt, type ConfigKey } from '../../src/config/keys.ts';
import { l2pConfigSchema, parseL2PConfig, type L2PConfig } from '../../src/config/l2p.ts';
import { applyOverrides } from '../../src/config/overrides.ts';
import { getPreset } from '../../src/config/presets.ts';
import { shapeOf, type AnySchema } from '../../src/config/schema.ts';
import { evalOptionsOf } from '../../src/train/evaluate.ts';
import { evalInterval, periodicCheckpoints } from '../../src/train/official-schedule.ts';
import { planTask } from '../../src/train/plan.ts';
import { evalAugmentSeed, trainSeed } from '../../src/train/seeds.ts';
import { differences, stepIdentity } from './observe.ts';
import { RUN_KEYS } from './run-keys.ts';
import { withKeys } from './with-keys.ts';

type Method = L2PConfig['method'];
type Patch = Partial<Record<ConfigKey, unknown>>;

// SimpleCIL and RanPAC run no training step for these observations to see: their keys are checked in
// test/methods/simplecil.test.ts and test/methods/ranpac.test.ts. HiDe-Prompt's steps belong to its
// phases (a learner outside the loop has none): its keys are checked in test/methods/hide-prompt/method.test.ts.
const BASE: Record<Exclude<Method, 'simplecil' | 'ranpac' | 'hide_prompt'>, L2PConfig> = {
  l2p: getPreset('cifar100_l2p_smoke'),
  dualprompt: getPreset('cifar100_dualprompt_smoke'),
  coda_prompt: getPreset('cifar100_coda_prompt_smoke'),
  shared_prompt: applyOverrides(getPreset('cifar100_l2p_smoke'), ['method=shared_prompt']),
  head_only: applyOverrides(getPreset('cifar100_l2p_smoke'), ['method=head_only']),
  joint: applyOverrides(getPreset('cifar100_l2p_smoke'), ['method=joint']),
  aper: getPreset('cifar100_aper_smoke'),
};

/** The loop's plan for a config: steps and evaluations per task, evaluation options, input seeds. */
function loopIdentity(c: L2PConfig): string {
  return JSON.stringify({
    plans: [0, 1].map((t) => planTask(c, 24, t)),
    evalInterval: evalInterval(c),
    checkpoints: [0, 1].map((t) => periodicCheckpoints(c, t, 2)),
    eval: evalOptionsOf(c),
    seeds: [trainSeed(c, 0), trainSeed(c, 1), evalAugmentSeed(c)],
  });
}

/** Each key shown by the steps or the plan: values (two, one differs from any base) and a context set on both sides. */
const SHOWN: { [K in ConfigKey]?: { by: 'step' | 'plan'; values: unknown[]; context?: Patch } } = {
  model_name: { by: 'step', values: ['ViT-mu_16', 'ViT-mu_8'] },
  input_size: { by: 'step', values: [16, 32] },
  gelu: { by: 'step', values: ['erf', 'tanh'] },
  per_device_batch_size: { by: 'step', values: [2, 4] },
  num_devices: { by: 'step', values: [2, 1] },
  optim: { by: 'step', values: ['sgd', 'adam'] },
  sgd_momentum: { by: 'step', values: [0.5, 0.9], context: { optim: 'sgd' } },
  'optim_config.beta1': { by: 'step', values: [0.5, 0.9], context: { optim: 'adam' } },
  'optim_config.beta2': { by: 'step', values: [0.9, 0.999], context: { optim: 'adam' } },
  'optim_config.eps': { by: 'step', values: [0.01, 1e-8], context: { optim: 'adam' } },
  'optim_config.nesterov': { by: 'step', values: [false, true], context: { optim: 'sgd' } },
  weight_decay: { by: 'step', values: [0.1, 0], context: { optim: 'adamw' } },
  grad_clip_max_norm: { by: 'step', values: [1e-4, null] },
  freeze_part: { by: 'step', values: [[], ['encoder', 'embedding', 'cls']] },
  seed: { by: 'plan', values: [5, 7] },
  'continual.num_tasks': { by: 'step', values: [1, 2] },
  'continual.num_classes_per_task': { by: 'step', values: [3, 2] },
  'continual.scenario': { by: 'step', values: ['domain_incremental', 'class_incremental'] },
  num_epochs: { by: 'plan', values: [2, 1], context: { 'continual.num_train_steps_per_task': -1 } },
  eval_every_steps: { by: 'plan', values: [1, -1] },
  eval_per_epochs: { by: 'plan', values: [2, 1], context: { num_epochs: 3 } },
  'continual.num_train_steps_per_task': { by: 'plan', values: [2, 3] },
  eval_last_only: { by: 'plan', values: [true, false] },
  save_last_ckpt_only: { by: 'plan', values: [true, false] },
  eval_pad_last_batch: { by: 'plan', values: [true, false] },
  eval_augment: { by: 'plan', values: [true, false] },
  resize_size: { by: 'plan', values: [40, 36] },
  shuffle_buffer_size: { by: 'plan', values: [2, 64], context: { eval_augment: true } },
};


function leaves(s: AnySchema, path = ''): string[] {
  const shape = shapeOf(s);
  if (!shape) return [path];
  return Object.entries(shape).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
}

test('every key of the schema is in exactly one class: the choice itself, shared, a method\'s, a dataset\'s, held, never read', () => {
  const classes: Record<string, readonly string[]> = { choice: ['method', 'dataset'], SHARED, METHOD_AXIS, DATASET_AXIS, HELD, NEVER_READ };
  const all = leaves(l2pConfigSchema);
  assert.ok(all.length > 80 && all.includes('optim_config.nesterov') && all.includes('coda_prompt_param.layer_idx'));
  for (const key of all) {
    const in_ = Object.entries(classes).filter(([, keys]) => keys.includes(key)).map(([n]) => n);
    assert.equal(in_.length, 1, `${key} is in ${in_.join(', ') || 'no class'}`);
  }
  for (const keys of Object.values(classes)) for (const k of keys) assert.ok(all.includes(k), `${k} is no key of the schema`);
});

test('every shared key has its proof: shown by the steps, the plan, or a run', () => {
  for (const key of SHARED) assert.ok(SHOWN[key] !== undefined || Object.hasOwn(RUN_KEYS, key), key);
});

for (const [m, base] of Object.entries(BASE) as [Method, L2PConfig][]) {
  test(`${m}: each shared key changes its steps or their plan`, async () => {
    const identity = async (c: L2PConfig, by: 'step' | 'plan') => (by === 'plan' ? { plan: loopIdentity(c) } : stepIdentity(c));
    for (const [key, { by, values, context = {} }] of Object.entries(SHOWN) as [ConfigKey, NonNullable<(typeof SHOWN)[ConfigKey]>][]) {
      const before = parseL2PConfig(withKeys(base, context));
      const value = values.find((v) => JSON.stringify(v) !== JSON.stringify(valueAt(before, key)));
      const after = parseL2PConfig(withKeys(before, { [key]: value }));
      const [a, b] = [await identity(before, by), await identity(after, by)];
      assert.deepEqual(differences(a, await identity(before, by)), [], `${m}: ${key}: the same config, the same ${by}`);
      assert.ok(differences(a, b).length > 0, `${m}: ${key} = ${JSON.stringify(value)} changes nothing`);
    }
  });
}
