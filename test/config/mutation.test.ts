// Every (method, key) pair by mutation: each key a method's table says it reads changes what the
// method's steps are (test/config/observe.ts: graphs, feeds, parameters, the host update; that is
// enough because a step's result is a function of exactly these), and each key it does not read is
// refused, in one line naming the key and the method, unless it holds its default.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accepted, DEFAULTS, METHOD_AXIS, valueAt, type ConfigKey } from '../../src/config/keys.ts';
import { parseL2PConfig, type L2PConfig } from '../../src/config/l2p.ts';
import { applyOverrides } from '../../src/config/overrides.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { METHOD_KEYS } from '../../src/methods/keys.ts';
import { differences, stepIdentity } from './observe.ts';
import { withKeys } from './with-keys.ts';

type Method = L2PConfig['method'];

/** Each method on its smoke preset; the baselines on L2P's, moved to them as `--set method=` does. */
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

/**
 * Valid values for each key, at least two, so that one differs from any base; `context` is set on
 * both sides of a comparison where the key acts only with it (pull_constraint_coeff needs the pull).
 */
const VALUES: { [K in ConfigKey]?: { values: unknown[]; context?: Partial<Record<ConfigKey, unknown>> } } = {
  prompt_pool: { values: [false, true], context: { vit_classifier: 'token' } },
  'prompt_pool_param.pool_size': { values: [6, 8] },
  'prompt_pool_param.length': { values: [3, 4] },
  'prompt_pool_param.top_k': { values: [1, 2], context: { 'prompt_pool_param.pool_size': 8 } },
  'prompt_pool_param.initializer': { values: ['normal', 'uniform'] },
  'prompt_pool_param.prompt_key': { values: [false, true] },
  'prompt_pool_param.prompt_key_init': { values: ['zero', 'uniform'] },
  'prompt_pool_param.embedding_key': { values: ['mean', 'cls'] },
  'prompt_pool_param.batchwise_prompt': { values: [false, true], context: { test_time_selection: 'per_instance', 'prompt_pool_param.use_prompt_mask': false } },
  'prompt_pool_param.use_prompt_mask': { values: [true, false] },
  'prompt_pool_param.shared_prompt_pool': { values: [true, false], context: { 'prompt_pool_param.use_prompt_mask': true } },
  'prompt_pool_param.shared_prompt_key': { values: [true, false], context: { 'prompt_pool_param.use_prompt_mask': true, 'prompt_pool_param.shared_prompt_pool': true } },
  'prompt_pool_param.diversify': { values: [true, false], context: { 'prompt_pool_param.use_prompt_mask': false } },
  prompt_layout: { values: ['cls_first', 'head'] },
  test_time_selection: { values: ['per_instance', 'batchwise'] },
  pull_constraint: { values: [true, false] },
  pull_constraint_coeff: { values: [0.5, 0.25], context: { pull_constraint: true } },
  temperature: { values: [2, 0.5] },
  norm_pre_logits: { values: [true, false] },
  vit_classifier: { values: ['gap', 'token'] },
  query_precision: { values: ['int8', 'fp32'] },
  grad_clip_scope: { values: ['trained', 'all'] },
  'continual.train_mask': { values: [false, true] },
  use_g_prompt: { values: [false, true] },
  g_prompt_length: { values: [3, 4] },
  g_prompt_layer_idx: { values: [[1], [0, 1]] },
  use_prefix_tune_for_g_prompt: { values: [false, true], context: { use_prefix_tune_for_e_prompt: false, e_prompt_layer_idx: [0, 1] } },
  use_e_prompt: { values: [false, true] },
  e_prompt_layer_idx: { values: [[0], [0, 1]] },
  use_prefix_tune_for_e_prompt: { values: [false, true] },
  same_key_value_for_shared: { values: [true, false], context: { use_prefix_tune_for_g_prompt: true } },
  'coda_prompt_param.pool_size': { values: [6, 8] },
  'coda_prompt_param.length': { values: [4, 6] },
  'coda_prompt_param.ortho_mu': { values: [0.5, 0] },
  'coda_prompt_param.layer_idx': { values: [[0], [1]] },
  vpt_type: { values: ['deep', 'shallow'] },
  prompt_token_num: { values: [2, 3] },
  prompt_histogram: { values: [false, true] },
  use_RP: { values: [false, true] },
  M: { values: [8, 16] },
  prompt_momentum: { values: [0.1, 0.01] },
  reg: { values: [0.5, 0.1] },
  larger_prompt_lr: { values: [false, true] },
  ca_storage_efficient_method: { values: ['variance', 'multi-centroid'] },
  n_centroids: { values: [3, 2] },
  ca_lr: { values: [0.01, 0.005] },
  crct_epochs: { values: [3, 2] },
  not_train_ca: { values: [true, false] },
  original_model_mlp_structure: { values: [[], [2]] },
  sched: { values: ['cosine', 'step'] },
  decay_epochs: { values: [10, 30] },
  decay_rate: { values: [0.5, 0.1] },
  min_lr: { values: [0.001, 1e-5] },
  tii_epochs: { values: [2, 1] },
  tii_lr: { values: [0.001, 0.0005] },
  petl: { values: ['vpt', 'ncm'], context: { vpt_type: 'deep', prompt_token_num: 2 } },
};

/** Keys read by the training loop only (the histogram of selected prompts it logs): test/config/run-keys.test.ts. */
const LOOP_ONLY: readonly ConfigKey[] = ['prompt_histogram'];


/** `c` with the group of `key` (coda_prompt_param) filled in from a method that has it, where `c` has none. */
function withGroup(c: L2PConfig, key: ConfigKey): L2PConfig {
  const group = key.split('.')[0] as keyof L2PConfig;
  if (!key.includes('.') || c[group] !== undefined) return c;
  const owner = Object.values(BASE).find((b) => b[group] !== undefined)!;
  return { ...c, [group]: structuredClone(owner[group]) };
}

test('every key of the method axis has a default and mutation values', () => {
  for (const key of METHOD_AXIS) {
    assert.ok(DEFAULTS[key] !== undefined, `${key} has no default`);
    assert.ok(VALUES[key] !== undefined, `${key} has no mutation values`);
  }
});

test('each method runs as its base config holds every key it does not read at the accepted value', () => {
  for (const [m, c] of Object.entries(BASE)) {
    for (const key of METHOD_AXIS) {
      if (METHOD_KEYS[m as Method].reads.includes(key)) continue;
      assert.ok(accepted(METHOD_KEYS[m as Method], key).some((v) => JSON.stringify(v) === JSON.stringify(valueAt(c, key))), `${m}: ${key}`);
    }
  }
});

test('a key a method does not read is refused at any other value, in one line naming the key, the method and its readers', () => {
  let refused = 0;
  for (const [m, base] of Object.entries(BASE) as [Method, L2PConfig][]) {
    const table = METHOD_KEYS[m];
    for (const key of METHOD_AXIS) {
      if (table.reads.includes(key)) continue;
      const ok = accepted(table, key);
      for (const value of VALUES[key]!.values.filter((v) => !ok.some((a) => JSON.stringify(a) === JSON.stringify(v)))) {
        const readers = Object.entries(METHOD_KEYS).filter(([, t]) => t.reads.includes(key)).map(([n]) => n);
        const named = new RegExp(`^config key '${key.startsWith('coda_prompt_param.') ? 'coda_prompt_param' : key.replace(/[.[\]]/g, '\\$&')}' = .* is not read by method '${m}' \\(method=${readers.join(', ')} reads? it\\): leave it `);
        assert.throws(() => parseL2PConfig(withKeys(withGroup(base, key), { [key]: value })), (e: unknown) => {
          assert.ok(e instanceof UserError, `${m} ${key}`);
          assert.match(e.message, named, `${m} ${key}`);
          assert.ok(!e.message.includes('\n'));
          return true;
        });
        refused++;
      }
    }
  }
  assert.ok(refused > 60, `${refused} refusals`);
});

for (const [m, base] of Object.entries(BASE) as [Method, L2PConfig][]) {
  test(`${m}: each key it reads changes its steps`, async () => {
    for (const key of METHOD_KEYS[m].reads) {
      if (LOOP_ONLY.includes(key)) continue;
      const { values, context = {} } = VALUES[key]!;
      const before = parseL2PConfig(withKeys(base, context));
      const value = values.find((v) => JSON.stringify(v) !== JSON.stringify(valueAt(before, key)));
      const after = parseL2PConfig(withKeys(before, { [key]: value }));
      const changed = differences(await stepIdentity(before), await stepIdentity(after));
      assert.ok(changed.length > 0, `${m}: ${key} = ${JSON.stringify(value)} changes nothing`);
    }
  });
}

test('the observable can fail: it is the same for the same config, and blind to the keys a method does not read', async () => {
  // Past the refusal (the config not validated), a key the table says a method does not read changes
  // none of its steps, or the method itself refuses it: the table does not hide a reader. Keys a
  // method holds (L2P's prompt_pool: true) are pinned by the rule instead.
  const hidden: string[] = [];
  for (const [m, base] of Object.entries(BASE) as [Method, L2PConfig][]) {
    const same = await stepIdentity(base);
    assert.deepEqual(differences(same, await stepIdentity(base)), [], m);
    for (const key of METHOD_AXIS) {
      if (METHOD_KEYS[m].reads.includes(key) || LOOP_ONLY.includes(key) || METHOD_KEYS[m].holds?.[key]) continue;
      const value = VALUES[key]!.values.find((v) => JSON.stringify(v) !== JSON.stringify(valueAt(base, key)));
      let changed: string[];
      try {
        changed = differences(same, await stepIdentity(withKeys(withGroup(base, key), { [key]: value })));
      } catch (e) {
        assert.ok(e instanceof UserError, `${m} ${key}: ${(e as Error).message}`);
        continue;
      }
      if (changed.length > 0) hidden.push(`${m} ${key}=${JSON.stringify(value)} (${changed.join(', ')})`);
    }
  }
  assert.deepEqual(hidden, [], 'keys a method is said not to read that change its steps');
});
