import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { tempDir, writeTfds } from '../fixtures/data/write.ts';

function l2p(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'data', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dataDir = tempDir('cli');
const ready = writeTfds(dataDir, {
  name: 'cifar10',
  encoding: 'jpeg',
  shape: [24, 20, 3],
  splits: { train: { shards: [[0, 1, 2, 3], [4, 5, 6]] }, test: { shards: [[7, 8]] } },
});

test('describe --json gives num_examples per split and num_classes', async () => {
  await ready;
  const r = l2p('describe', '--dataset', 'cifar10', '--data-dir', dataDir, '--split', 'train[:50%]', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.num_examples, { train: 7, test: 2 });
  assert.equal(j.num_classes, 10);
  assert.deepEqual(j.image_shape, [24, 20, 3]);
  assert.equal(j.num_files, 3);
  assert.deepEqual(j.split, { spec: 'train[:50%]', num_examples: 4, class_counts: { 0: 1, 1: 1, 2: 1, 3: 1 } });
  const text = l2p('describe', '--dataset', 'cifar10', '--data-dir', dataDir);
  assert.match(text.out, /cifar10: 10 classes, images 24×20×3, 3 files\n {2}train {4}7 examples\n {2}test {5}2 examples/);
});

test('preview writes a labelled grid of augmented samples (through a worker thread)', async () => {
  await ready;
  const out = join(dataDir, 'grid.png');
  const r = l2p('preview', '--dataset', 'cifar10', '--data-dir', dataDir, '--out', out, '--count', '5', '--resize-size', '40', '--input-size', '32', '--workers', '1');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote .*grid\.png': 5 samples of cifar10 train \(augmented for training, 32×32\), labels( \d){5}/);
  const meta = await sharp(out).metadata();
  // 3 columns × 2 rows of 32-pixel tiles with 4-pixel gaps and 23-pixel label strips
  assert.deepEqual([meta.width, meta.height], [3 * 36 + 4, 2 * (32 + 23) + 4]);
});

test('mistakes give one line on stderr and exit status 1', async () => {
  await ready;
  const missing = l2p('describe', '--dataset', 'svhn_cropped', '--data-dir', dataDir);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^l2p data: '.*svhn_cropped': no TFDS data for 'svhn_cropped' here \(the directory does not exist\)\n$/);
  const flag = l2p('describe', '--dataset', 'cifar10', '--bogus');
  assert.equal(flag.code, 1);
  assert.match(flag.err, /^l2p data: Unknown option '--bogus'.*\(see l2p data --help\)\n$/);
  const split = l2p('describe', '--dataset', 'cifar10', '--data-dir', dataDir, '--split', 'validation');
  assert.match(split.err, /^l2p data: '.*1\.0\.0': unknown split 'validation'; it has 'train', 'test'\n$/);
});
