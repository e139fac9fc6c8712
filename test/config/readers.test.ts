// The rule's edges, without running anything: the official keys nobody reads are accepted at any
// value under every method and named in one notice; the official keys held at the official value are
// refused otherwise with their reason; --set method= moves a preset to another method. The proofs by
// mutation are mutation.test.ts (methods), dataset-keys.test.ts, shared-keys.test.ts, run-keys.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configNotices, NEVER_READ, valueAt } from '../../src/config/keys.ts';
import { parseL2PConfig } from '../../src/config/l2p.ts';
import { applyOverrides } from '../../src/config/overrides.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';

const PRESETS = ['cifar100_l2p', 'cifar100_dualprompt', 'cifar100_coda_prompt', 'split_mnist_l2p'];

test('the official keys nothing reads are accepted at any value under every method, kept as given, and named in one notice', () => {
  for (const name of PRESETS) {
    const c = getPreset(name);
    assert.deepEqual(configNotices(c), [], `${name}: no notice without them`);
    const odd = { gaussian_mode: 'anything', offline_eval: [1, 2], recreate_eval: null, trial: 3, task_specific_cls_token: true, predefined_key_path: '', prompt_mask_mode: null, save_prompts: {}, log_loss_every_steps: -1, model_config: { hidden_size: 1 }, same_key_value_for_pool: 7 };
    const parsed = parseL2PConfig({ ...c, ...odd, prompt_pool_param: { ...c.prompt_pool_param, mask_first_epoch: 'x' } });
    for (const [k, v] of Object.entries(odd)) assert.deepEqual(valueAt(parsed, k), v, k);
    const notices = configNotices(parsed);
    assert.equal(notices.length, 1);
    assert.ok(!notices[0].includes('\n'));
    for (const k of NEVER_READ) assert.ok(notices[0].includes(k), `${name}: ${k} named`);
  }
  const one = configNotices(parseL2PConfig({ ...getPreset('cifar100_l2p'), trial: 0 }));
  assert.match(one[0], /^notice: config keys trial are set in the official configs but never read by the official code; accepted, they change nothing$/);
  // --set reaches them like any key.
  assert.equal(applyOverrides(getPreset('cifar100_l2p'), ['trial=2', 'prompt_pool_param.mask_first_epoch=false']).trial, 2);
});

test('keys the official code reads but we hold at its value are refused otherwise, in one line that says why', () => {
  const c = getPreset('cifar100_l2p');
  for (const [patch, key] of [
    [{ use_cls_token: false }, 'use_cls_token'],
    [{ norm_01: false }, 'norm_01'],
    [{ split_core50: true }, 'split_core50'],
    [{ weight_norm: true }, 'weight_norm'],
    [{ freeze_bn_stats: true }, 'freeze_bn_stats'],
  ] as const) {
    assert.throws(() => parseL2PConfig({ ...c, ...patch }), (e: Error) => e instanceof UserError && e.message.includes(`'${key}'`) && /not supported: \S/.test(e.message) && !e.message.includes('\n'));
  }
  // At the official configs' values they are accepted.
  assert.equal(parseL2PConfig({ ...c, weight_norm: false, freeze_bn_stats: false, split_core50: false }).weight_norm, false);
});

test("what an official L2P file says in DualPrompt's keys is accepted under L2P; anything else is refused naming method=dualprompt", () => {
  const c = getPreset('cifar100_l2p');
  const official = { use_g_prompt: false, use_e_prompt: true, e_prompt_layer_idx: [0], use_prefix_tune_for_e_prompt: false };
  for (const m of ['l2p', 'joint', 'shared_prompt'] as const) {
    const parsed = parseL2PConfig(m === 'l2p' ? { ...c, ...official } : { ...applyOverrides(c, [`method=${m}`]), ...official });
    assert.equal(parsed.use_e_prompt, true, m);
  }
  // HiDe-Prompt's e-prompts are DualPrompt's, on the layers e_prompt_layer_idx names
  const readers = { use_g_prompt: 'method=dualprompt reads it', use_e_prompt: 'method=dualprompt reads it', e_prompt_layer_idx: 'method=dualprompt, hide_prompt read it', use_prefix_tune_for_e_prompt: 'method=dualprompt reads it' };
  for (const [key, value] of [['use_g_prompt', true], ['use_e_prompt', false], ['e_prompt_layer_idx', [0, 1]], ['use_prefix_tune_for_e_prompt', true]] as const) {
    assert.throws(() => parseL2PConfig({ ...c, ...official, [key]: value }), new RegExp(`^UserError: config key '${key}' = ${JSON.stringify(value).replace(/[[\]]/g, '\\$&')} is not read by method 'l2p' \\(${readers[key]}\\): leave it unset or at `));
  }
  // head_only has no prompts at all: an e-prompt is not what it means.
  assert.throws(() => parseL2PConfig({ ...applyOverrides(c, ['method=head_only']), use_e_prompt: true }), /'use_e_prompt' = true is not read by method 'head_only'/);
});

test('--set method= moves a preset to another method; keys set beside it are still checked', () => {
  const c = getPreset('cifar100_l2p');
  const head = applyOverrides(c, ['method=head_only']);
  assert.equal(head.method, 'head_only');
  assert.equal(head.prompt_pool, false);
  assert.deepEqual([head.learning_rate, head.continual, head.temperature], [c.learning_rate, c.continual, c.temperature], 'what head_only reads is kept');
  assert.throws(() => applyOverrides(c, ['method=head_only', 'prompt_pool_param.pool_size=20']), /^UserError: config key 'prompt_pool_param.pool_size' = 20 is not read by method 'head_only' \(method=l2p, dualprompt, joint, hide_prompt read it\): leave it at 10$/);
  assert.equal(applyOverrides(c, ['method=shared_prompt', 'prompt_pool_param.length=3']).prompt_pool_param.length, 3);
  // A method that needs keys of its own still asks for them.
  assert.throws(() => applyOverrides(c, ['method=dualprompt']), /is required by method 'dualprompt'/);
});
