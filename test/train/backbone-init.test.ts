// How a backbone starts, as pure calls: the checkpoint named, random weights when asked or for the test
// size (ViT-mu_*), and the one-line refusal otherwise, word for word.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { backboneInit, missingCheckpointFix, OFFICIAL_CHECKPOINT_URL, RANDOM_INIT } from '../../src/train/backbone-init.ts';

const smoke = getPreset('cifar100_l2p_smoke');
const named = (model_name: string) => ({ ...smoke, model_name, init_checkpoint: null });

test('the fix for a missing checkpoint, in one sentence', () => {
  assert.equal(RANDOM_INIT, 'random');
  assert.equal(OFFICIAL_CHECKPOINT_URL, 'https://storage.googleapis.com/vit_models/imagenet21k/ViT-B_16.npz');
  assert.equal(
    missingCheckpointFix(),
    "pass one with --set init_checkpoint=PATH (l2p main: --my_config.init_checkpoint=PATH): the official ViT-B_16.npz is at https://storage.googleapis.com/vit_models/imagenet21k/ViT-B_16.npz (the source google-research/l2p's README names; timm and Hugging Face checkpoints, safetensors or PyTorch files, are read too: docs/backbones.md); --set init_checkpoint=random trains from random weights",
  );
});

test('a backbone that needs weights and names none is refused with the fix', () => {
  assert.throws(() => backboneInit(named('ViT-B_16')), (e: Error) => e instanceof UserError && e.message === `init_checkpoint is not set and ViT-B_16 needs pretrained weights: ${missingCheckpointFix()}`);
  assert.throws(() => backboneInit({ ...named('ViT-Ti_16'), init_checkpoint: '' }), /^UserError: init_checkpoint is not set and ViT-Ti_16 needs/);
});

test("'random' and a path are taken as given, whatever the backbone", () => {
  assert.deepEqual(backboneInit({ ...named('ViT-B_16'), init_checkpoint: 'random' }), { random: 'asked' });
  assert.deepEqual(backboneInit({ ...named('ViT-mu_8'), init_checkpoint: 'random' }), { random: 'asked' });
  assert.deepEqual(backboneInit({ ...named('ViT-mu_8'), init_checkpoint: '/w/mu.npz' }), { checkpoint: '/w/mu.npz' });
  assert.deepEqual(backboneInit({ ...named('ViT-B_16'), init_checkpoint: 'Random' }), { checkpoint: 'Random' });
});

test('the test size, with or without ViT-, by / or _, any patch, spaces around: random weights', () => {
  for (const name of ['ViT-mu_8', 'mu_8', 'mu/8', 'ViT-mu/16', 'ViT-mu_128', '  ViT-mu_8', 'ViT-mu_8 \t']) {
    assert.deepEqual(backboneInit(named(name)), { random: 'test-size' }, JSON.stringify(name));
  }
  assert.deepEqual(backboneInit({ ...named('ViT-mu_8'), init_checkpoint: '' }), { random: 'test-size' }, 'an empty path is none');
});

test('names that only look like the test size need weights', () => {
  for (const name of ['ViT-mu', 'ViT-mu_', 'ViT-mu_8x', 'xViT-mu_8', 'ViT-mu-8', 'ViT-mu_a', 'ViT-mmu_8', 'ViT-nu_8', 'VIT-mu_8', 'ViT-mu_8_8', 'ViT-mu__8', 'ViT-mu8']) {
    assert.throws(() => backboneInit(named(name)), UserError, name);
  }
});
