// The Split-MNIST presets name the shipped glyph backbone by a path inside the package
// (models/glyph-vit-nano4.npz): a library user's working directory is elsewhere, and the preset must
// still load it, while a relative path that exists in the working directory keeps meaning that file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getPreset } from '../../src/config/index.ts';
import { backboneFor, checkpointPath } from '../../src/train/experiment.ts';
import { SHIPPED_BACKBONE } from '../../configs/split_mnist_l2p.ts';

const repo = resolve(import.meta.dirname, '../..');

test('a preset naming the shipped backbone loads it from another working directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-cwd-'));
  const before = process.cwd();
  try {
    process.chdir(dir);
    const c = getPreset('split_mnist_l2p');
    assert.equal(c.init_checkpoint, SHIPPED_BACKBONE);
    assert.equal(checkpointPath(SHIPPED_BACKBONE), join(repo, SHIPPED_BACKBONE));
    const vit = backboneFor(c, () => assert.fail('no warning expected'));
    assert.equal(vit.config.hidden > 0, true);
    // A file of that name in the working directory is the one read.
    mkdirSync('models');
    copyFileSync(join(repo, SHIPPED_BACKBONE), SHIPPED_BACKBONE);
    assert.equal(checkpointPath(SHIPPED_BACKBONE), SHIPPED_BACKBONE);
    // Other relative paths are left alone, so a missing one is reported as the user wrote it.
    assert.equal(checkpointPath('ckpt/ViT-B_16.npz'), 'ckpt/ViT-B_16.npz');
    assert.throws(() => backboneFor({ ...c, init_checkpoint: 'models/none.npz' }, () => {}), /models\/none\.npz/);
  } finally {
    process.chdir(before);
    rmSync(dir, { recursive: true, force: true });
  }
});
