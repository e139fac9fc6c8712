// The pretrained backbones table: its names decode as model_name, and a run says what each expects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KNOWN_BACKBONES, knownBackboneNotes } from '../../src/vit/backbones.ts';
import { decodeVariant, variantName } from '../../src/vit/variants.ts';

const B16 = { hidden: 768, depth: 12, heads: 12, mlp: 3072, patch: 16 };

test('every table name decodes as model_name to its ViT size', () => {
  for (const name of Object.keys(KNOWN_BACKBONES)) assert.deepEqual(decodeVariant(name), B16, name);
  assert.throws(() => decodeVariant('vit_base_patch16_224.nope'), /unknown ViT variant 'vit_base_patch16_224\.nope' \(.*or a pretrained backbone: ViT-B_16, vit_base_patch16_224\.augreg_in21k/);
});

test('variantName finds the table size of a checkpoint, or none', () => {
  assert.equal(variantName({ hidden: 768, depth: 12, mlp: 3072, patch: 16 }), 'ViT-B_16');
  assert.equal(variantName({ hidden: 128, depth: 6, mlp: 256, patch: 4 }), 'ViT-nano_4');
  assert.equal(variantName({ hidden: 128, depth: 2, mlp: 256, patch: 4 }), undefined);
});

test('a named backbone prints its normalisation, and warns when the file is of another family', () => {
  assert.deepEqual(knownBackboneNotes('dino_vitb16', 'timm'), {
    info: ["model_name 'dino_vitb16' was pretrained on pixels normalised as (x - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225); runs here feed pixels in [0, 1] (norm_01), as the official code does"],
    warn: [],
  });
  assert.match(knownBackboneNotes('ViT-B_16', 'official').info[0], /\(x - \(0\.5, 0\.5, 0\.5\)\) \/ \(0\.5, 0\.5, 0\.5\)/);
  assert.deepEqual(knownBackboneNotes('vit_base_patch16_224.augreg_in21k', 'transformers').warn, ["model_name 'vit_base_patch16_224.augreg_in21k' is published in timm's names, but init_checkpoint holds transformers' names"]);
  assert.deepEqual(knownBackboneNotes('ViT-nano_4', 'timm'), { info: [], warn: [] });
});
