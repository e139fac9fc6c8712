// Keys whose effect only a whole run shows (test/config/run-keys.ts), each run twice on a small
// CIFAR-100 (test/config/run-observe.ts: every event, metrics record, summary field, checkpoint file
// and printed line). The shared keys run under L2P alone: the loop that reads them never asks which
// method runs. prompt_histogram runs under each method that reads it. And the official keys nothing
// reads: a run that sets them all records exactly what a run without them does (but for the config as
// given, which it keeps), and prints one notice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER_READ, valueAt, type ConfigKey } from '../../src/config/keys.ts';
import { parseL2PConfig, type L2PConfig } from '../../src/config/l2p.ts';
import { applyOverrides } from '../../src/config/overrides.ts';
import { getPreset } from '../../src/config/presets.ts';
import { METHOD_KEYS } from '../../src/methods/keys.ts';
import { RUN_KEYS } from './run-keys.ts';
import { cifarDir, runRecord as freshRun, type RunRecord } from './run-observe.ts';
import { withKeys } from './with-keys.ts';

type Patch = Partial<Record<ConfigKey, unknown>>;


/** What differs between two runs, by part. */
function differences(a: RunRecord, b: RunRecord): string[] {
  return (['configRecord', 'events', 'metrics', 'summary', 'checkpoints', 'printed'] as const).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

const dataDir = cifarDir();

/** Runs are deterministic (the first test's comparisons check it), so each distinct config runs once. */
const runs = new Map<string, Promise<RunRecord>>();
const runRecord = (c: L2PConfig) => {
  const key = JSON.stringify(c);
  if (!runs.has(key)) runs.set(key, freshRun(c));
  return runs.get(key)!;
};
const base = async (method: L2PConfig['method'] = 'l2p') => {
  const c = { ...getPreset('cifar100_l2p_smoke'), data_dir: await dataDir };
  return method === 'l2p' ? c : applyOverrides(c, [`method=${method}`]);
};

test('each shared key that only a run shows changes the run', async () => {
  const l2p = await base();
  assert.deepEqual(differences(await freshRun(l2p), await runRecord(l2p)), [], 'a run is the same for the same config');
  for (const [key, { values, context = {} }] of Object.entries(RUN_KEYS) as [ConfigKey, NonNullable<(typeof RUN_KEYS)[ConfigKey]>][]) {
    const before = parseL2PConfig(withKeys(l2p, context));
    const value = values.find((v) => JSON.stringify(v) !== JSON.stringify(valueAt(before, key)));
    const changed = differences(await runRecord(before), await runRecord(parseL2PConfig(withKeys(before, { [key]: value }))));
    assert.ok(changed.some((k) => k !== 'printed' && k !== 'configRecord'), `${key} = ${JSON.stringify(value)} changes no record (${changed.join(', ') || 'nothing'})`);
  }
});

test('prompt_histogram changes the events of every method that reads it', async () => {
  for (const [m, table] of Object.entries(METHOD_KEYS) as [L2PConfig['method'], (typeof METHOD_KEYS)[L2PConfig['method']]][]) {
    if (!table.reads.includes('prompt_histogram') || m === 'dualprompt') continue;
    const on = await base(m);
    assert.equal(on.prompt_histogram, true);
    const [a, b] = [await runRecord(on), await runRecord({ ...on, prompt_histogram: false })];
    assert.deepEqual(differences(a, b), ['configRecord', 'events'], m);
  }
  const dp = { ...getPreset('cifar100_dualprompt_smoke'), data_dir: await dataDir };
  assert.deepEqual(differences(await runRecord(dp), await runRecord({ ...dp, prompt_histogram: false })), ['configRecord', 'events'], 'dualprompt');
});

test('past the refusal, prompt_histogram changes no record of a method that selects no prompts', async () => {
  const coda = { ...getPreset('cifar100_coda_prompt_smoke'), data_dir: await dataDir };
  for (const c of [coda, await base('head_only')]) {
    assert.equal(c.prompt_histogram, true);
    assert.deepEqual(differences(await runRecord(c), await runRecord({ ...c, prompt_histogram: false })), ['configRecord'], c.method);
  }
});

test('the official keys nothing reads change no record of a run, and one printed line names them all', async () => {
  const c = await base();
  const values: Patch = { gaussian_mode: '', offline_eval: true, recreate_eval: true, trial: 3, task_specific_cls_token: true, predefined_key_path: '/k.npy', prompt_mask_mode: 'x', save_prompts: true, log_loss_every_steps: 7, 'prompt_pool_param.mask_first_epoch': true, model_config: { hidden_size: 8 }, same_key_value_for_pool: true };
  assert.deepEqual(Object.keys(values).sort(), [...NEVER_READ].sort());
  const [a, b] = [await runRecord(c), await runRecord(parseL2PConfig(withKeys(c, values)))];
  // Kept as given in the config the run records (config.json, the hparams table), and nowhere else.
  assert.deepEqual(differences(a, b), ['configRecord', 'printed']);
  for (const k of NEVER_READ) assert.ok(b.configRecord.includes(k) && !a.configRecord.includes(k), k);
  const extra = b.printed.filter((l) => !a.printed.includes(l));
  assert.equal(extra.length, 1);
  for (const k of NEVER_READ) assert.ok(extra[0].includes(k), k);
});
