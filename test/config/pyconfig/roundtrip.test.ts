// `l2p config --format py` writes an official-style file that reads back to the same configuration,
// for every preset, and whose numbers keep their types (an int key refuses 2.5, as ml_collections).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getPreset, presetNames } from '../../../src/config/presets.ts';
import { evaluateConfig } from '../../../src/config/pyconfig/evaluate.ts';
import { configOf } from '../../../src/config/pyconfig/load.ts';
import { applyPyOverrides } from '../../../src/config/pyconfig/override.ts';
import { writePyConfig } from '../../../src/config/pyconfig/write.ts';

for (const name of presetNames()) {
  test(`${name}: written as .py and read back, the same configuration`, () => {
    const text = writePyConfig(getPreset(name), name);
    assert.deepEqual(configOf(evaluateConfig(text, `${name}.py`), `${name}.py`), getPreset(name));
  });
}

test('the written file takes the overrides of the official README, typed as the schema types them', () => {
  const root = evaluateConfig(writePyConfig(getPreset('domainnet_l2p'), 'domainnet_l2p'), 'd.py');
  applyPyOverrides(root, [{ key: 'init_checkpoint', raw: './ViT-B_16.npz' }, { key: 'learning_rate', raw: '1' }, { key: 'continual.num_tasks', raw: '3' }, { key: 'dataset_list', raw: '["real", "sketch", "quickdraw"]' }], 'd.py');
  const c = configOf(root, 'd.py');
  assert.equal(c.init_checkpoint, './ViT-B_16.npz');
  assert.equal(c.learning_rate, 1);
  assert.equal(c.continual.num_tasks, 3);
  assert.throws(() => applyPyOverrides(root, [{ key: 'num_epochs', raw: '2.5' }], 'd.py'), /'num_epochs' is an int in d\.py/);
});

test('our own keys are marked, official ones are not', () => {
  const text = writePyConfig(getPreset('cifar100_l2p'), 'cifar100_l2p');
  assert.match(text, /^ {2}config\.method = "l2p" {2}# \(ours\)$/m);
  assert.match(text, /^ {2}config\.continual\.scenario = "class_incremental" {2}# \(ours\)$/m);
  assert.match(text, /^ {2}config\.prompt_pool_param\.pool_size = 10$/m);
  assert.match(text, /^ {2}config\.init_checkpoint = ml_collections\.FieldReference\(None, field_type=str\)$/m);
  assert.match(text, /^ {2}config\.temperature = 1\.0$/m);
});
