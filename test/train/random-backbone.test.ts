// No silent random backbone: a config whose backbone needs pretrained weights and names none is
// refused before anything is read or written; random weights only when asked or for the test size.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { getPreset, presetNames } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { backboneFor, backboneInit, RANDOM_INIT } from '../../src/train/experiment.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';
import { assertRefusal, assertUnchanged, l2p, snapshot } from '../robust/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'l2p-random-backbone-'));
const data = join(root, 'data');
after(() => rmSync(root, { recursive: true, force: true }));
before(() => writePresetData(data));

const REFUSAL = /^l2p train: init_checkpoint is not set and ViT-B_16 needs pretrained weights: pass one with --set init_checkpoint=PATH \(l2p main: --my_config\.init_checkpoint=PATH\): the official ViT-B_16\.npz is at https:\/\/storage\.googleapis\.com\/vit_models\/imagenet21k\/ViT-B_16\.npz .*; --set init_checkpoint=random trains from random weights$/;

test('every official preset without a checkpoint is refused; its smoke variant starts from random weights', () => {
  const official = presetNames().filter((n) => !n.endsWith('_smoke') && getPreset(n).init_checkpoint === null);
  assert.ok(official.length >= 10, official.join(', '));
  for (const name of official) {
    const c = getPreset(name);
    assert.throws(() => backboneInit(c), (e: Error) => e instanceof UserError && e.message.includes(`${c.model_name} needs pretrained weights`), name);
    assert.deepEqual(backboneInit({ ...c, init_checkpoint: RANDOM_INIT }), { random: 'asked' }, name);
    assert.deepEqual(backboneInit({ ...c, init_checkpoint: '/x/ViT-B_16.npz' }), { checkpoint: '/x/ViT-B_16.npz' }, name);
    assert.deepEqual(backboneInit(getPreset(`${name}_smoke`)), { random: 'test-size' }, name);
  }
  // The glyph backbone is pretrained here: without its file it is refused as well.
  assert.throws(() => backboneInit({ ...getPreset('split_mnist_l2p'), init_checkpoint: null }), /ViT-nano_4 needs pretrained weights/);
});

test('random weights when asked: seeded by the config, with a warning that says so', () => {
  const c = { ...getPreset('cifar100_l2p_smoke'), model_name: 'ViT-Ti_16', input_size: 32, init_checkpoint: RANDOM_INIT };
  const warnings: string[] = [];
  const a = backboneFor(c, (m) => warnings.push(m));
  const b = backboneFor(c, () => {});
  assert.deepEqual(warnings, ["init_checkpoint is 'random': ViT-Ti_16 starts from random weights"]);
  assert.equal(a.config.hidden, 192);
  const key = 'Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel';
  assert.deepEqual(a.params.get(key)!.data, b.params.get(key)!.data);
});

test('l2p train of an official preset without a checkpoint stops with one line and writes nothing', async () => {
  const workdir = join(root, 'run');
  const was = snapshot([data]);
  const r = await l2p(['train', '--config', 'cifar100_l2p', '--workdir', workdir, '--set', `data_dir=${data}`, '--workers', '0']);
  const lines = assertRefusal(r, 'train', REFUSAL);
  assert.deepEqual(lines, [], r.stderr);
  assert.equal(existsSync(workdir), false);
  assertUnchanged(was, snapshot([data]), data);
});

test('l2p sweep refuses such a point before its directory exists', async () => {
  const dir = join(root, 'sweep');
  const r = await l2p(['sweep', '--config', 'cifar100_l2p', '--seeds', '0,1', '--workdir', dir, '--no-launch']);
  assertRefusal(r, 'sweep', /^l2p sweep: init_checkpoint is not set and ViT-B_16 needs pretrained weights/);
  assert.equal(existsSync(dir), false);
});
