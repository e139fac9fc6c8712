import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyOverrides, loadConfigFile, parseSet, parseValue, resolveConfig } from '../../src/config/overrides.ts';
import { getPreset } from '../../src/config/presets.ts';
import { throwsUser } from '../helpers/errors.ts';

const base = getPreset('cifar100_l2p');

test('parseSet splits at the first =', () => {
  assert.deepEqual(parseSet('prompt_pool_param.pool_size=20'), { key: ['prompt_pool_param', 'pool_size'], raw: '20' });
  assert.deepEqual(parseSet('data_dir=a=b'), { key: ['data_dir'], raw: 'a=b' });
  throwsUser(() => parseSet('pool_size'), `--set expects key.path=value, got 'pool_size'`);
  throwsUser(() => parseSet('a..b=1'), /--set expects key.path=value/);
});

test('values are JSON when they parse, else text', () => {
  assert.equal(parseValue('20'), 20);
  assert.deepEqual(parseValue('[]'), []);
  assert.equal(parseValue('true'), true);
  assert.equal(parseValue('null'), null);
  assert.equal(parseValue('./ViT-B_16.npz'), './ViT-B_16.npz');
  assert.equal(parseValue('"quoted"'), 'quoted');
});

test('overrides set nested keys, lists, strings and null', () => {
  const c = applyOverrides(base, [
    'prompt_pool_param.pool_size=20',
    'freeze_part=[]',
    'init_checkpoint=./ViT-B_16.npz',
    'optim=sgd',
    'continual.num_tasks=5',
    'data_dir=2024',
  ]);
  assert.equal(c.prompt_pool_param.pool_size, 20);
  assert.deepEqual(c.freeze_part, []);
  assert.equal(c.init_checkpoint, './ViT-B_16.npz');
  assert.equal(c.optim, 'sgd');
  assert.equal(c.continual.num_tasks, 5);
  assert.equal(c.data_dir, '2024');
  assert.equal(applyOverrides(c, ['init_checkpoint=null']).init_checkpoint, null);
  assert.equal(base.prompt_pool_param.pool_size, 10, 'the input is not changed');
});

test('overrides may add optional keys', () => {
  assert.equal(applyOverrides(base, ['keep_checkpoints=5']).keep_checkpoints, 5);
});

test('bad overrides name the key', () => {
  throwsUser(() => applyOverrides(base, ['continual.num_tasks=ten']), `config key 'continual.num_tasks' must be an integer, got "ten"`);
  throwsUser(() => applyOverrides(base, ['prompt_pool_param.pool_sise=20']),
    `config key 'prompt_pool_param.pool_sise' is unknown (did you mean 'prompt_pool_param.pool_size'?)`);
  throwsUser(() => applyOverrides(base, ['prompt_pool_parm.pool_size=20']),
    `config key 'prompt_pool_parm' is unknown (did you mean 'prompt_pool_param'?)`);
  throwsUser(() => applyOverrides(base, ['prompt_pool.pool_size=20']),
    /^config key 'prompt_pool' is true or false, not a group of keys, so 'prompt_pool.pool_size' cannot be set \(did you mean 'prompt_pool_param.pool_size'\?\)$/);
  throwsUser(() => applyOverrides(base, ['learning_rate=fast']), `config key 'learning_rate' must be a number, got "fast"`);
  throwsUser(() => applyOverrides(base, ['__proto__=1']), `config key '__proto__' is unknown`);
  throwsUser(() => applyOverrides(base, ['constructor=1']), `config key 'constructor' is unknown`);
});

test('config files are read and validated, errors name the file and key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-config-'));
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ ...base, seed: 7 }));
  assert.equal(loadConfigFile(good).seed, 7);
  assert.equal(resolveConfig(good, ['seed=8']).seed, 8);

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...base, prompt_pool_param: { ...base.prompt_pool_param, top_k: 'four' } }));
  throwsUser(() => loadConfigFile(bad), `${bad}: config key 'prompt_pool_param.top_k' must be an integer, got "four"`);

  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"seed": ');
  throwsUser(() => loadConfigFile(broken), new RegExp(`^config file '${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is not valid JSON`));
  throwsUser(() => loadConfigFile(join(dir, 'missing.json')), /^cannot read config file/);
});

test('resolveConfig takes a preset name', () => {
  const c = resolveConfig('core50_l2p_smoke', ['num_epochs=2']);
  assert.equal(c.dataset, 'core50');
  assert.equal(c.num_epochs, 2);
});
