import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/data/open.ts';
import { encodeExample } from '../../src/io/example.ts';
import { encodeTFRecord } from '../../src/io/tfrecord.ts';
import { UserError } from '../../src/errors.ts';
import { tempDir, writeTfds } from '../fixtures/data/write.ts';

const labels = (n: number, k: number, mod = 10) => Array.from({ length: n }, (_, i) => (i + k) % mod);

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const isUserError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

test('a TFDS directory: splits, shards, labels, slices across shard boundaries, decoded images', async () => {
  const dataDir = tempDir('tfds');
  await writeTfds(dataDir, { name: 'cifar100', numClasses: 100, splits: { train: { shards: [labels(5, 0, 100), labels(7, 5, 100)] }, test: { shards: [labels(4, 50, 100)] } } });
  const ds = await openDataset('cifar100', { dataDir, format: 'tfds' });
  assert.equal(ds.numClasses, 100);
  assert.deepEqual(ds.splits, { train: 12, test: 4 });
  assert.deepEqual(ds.imageShape, [8, 8, 3]);
  assert.equal(ds.files.length, 3);
  const train = await ds.source('train');
  assert.deepEqual(Array.from({ length: train.length }, (_, i) => train.label(i)), labels(12, 0, 100));
  const mid = await ds.source('train[4:7]');
  assert.deepEqual([mid.label(0), mid.label(1), mid.label(2)], [4, 5, 6]);
  const ex = await all(ds.read('train[4:7]'));
  assert.deepEqual(ex.map((e) => [e.label, e.image[0], e.height, e.width, e.channels]), [[4, 4, 8, 8, 3], [5, 5, 8, 8, 3], [6, 6, 8, 8, 3]]);
  const sum = await ds.source('test[:50%]+train[-1:]');
  assert.deepEqual([sum.length, sum.label(0), sum.label(1), sum.label(2)], [3, 50, 51, 11]);
});

test('configs, newest version, builder directories, legacy features, TFDS_DATA_DIR', async () => {
  const dataDir = tempDir('tfds-cfg');
  await writeTfds(dataDir, { name: 'domainnet', path: 'domainnet/real', version: '2.0.0', numClasses: 345, splits: { train: { shards: [[1, 2]] }, test: { shards: [[3]] } } });
  await writeTfds(dataDir, { name: 'domainnet', path: 'domainnet/real', version: '2.0.1', numClasses: 345, encoding: 'jpeg', splits: { train: { shards: [[1, 2, 3]] }, test: { shards: [[4]] } } });
  const dn = await openDataset('domainnet/real', { dataDir, format: 'tfds' });
  assert.deepEqual(dn.splits, { train: 3, test: 1 });
  const core = await writeTfds(dataDir, { name: 'core50_s1', numClasses: 50, legacyFeatures: true, splits: { train: { shards: [[0, 49]] } } });
  const c = await openDataset('core50_s1', { dataDir: core });
  assert.deepEqual([c.numClasses, c.splits.train], [50, 2]);
  const old = process.env.TFDS_DATA_DIR;
  process.env.TFDS_DATA_DIR = dataDir;
  try {
    assert.deepEqual((await openDataset('domainnet/real')).splits, { train: 3, test: 1 });
  } finally {
    if (old === undefined) delete process.env.TFDS_DATA_DIR;
    else process.env.TFDS_DATA_DIR = old;
  }
});

test("imagenet_r's ImageNet labels become 0..199 as the official map does", async () => {
  const dataDir = tempDir('tfds-imr');
  await writeTfds(dataDir, { name: 'imagenet_r', version: '0.2.0', numClasses: 1000, splits: { test: { shards: [[1, 2, 4, 988, 6]] } } });
  const ds = await openDataset('imagenet_r', { dataDir });
  assert.equal(ds.numClasses, 200);
  const s = await ds.source('test[:80%]');
  assert.deepEqual([0, 1, 2, 3].map((i) => s.label(i)), [0, 1, 2, 199]);
  assert.equal((await s.get(3)).label, 199);
});

test('corrupt data: each fault gives one UserError naming the file and the problem', async () => {
  const dataDir = tempDir('tfds-bad');
  const dir = await writeTfds(dataDir, { name: 'toy', numClasses: 10, splits: { train: { shards: [labels(3, 0), labels(3, 3)] } } });
  const shard0 = join(dir, 'toy-train.tfrecord-00000-of-00002');
  const shard1 = join(dir, 'toy-train.tfrecord-00001-of-00002');
  const good = readFileSync(shard1);

  const bytes = Buffer.from(good);
  bytes[40] ^= 0xff;
  writeFileSync(shard1, bytes);
  let ds = await openDataset('toy', { dataDir });
  assert.equal((await ds.source('train[:3]')).length, 3, 'a slice avoiding the bad shard still opens');
  await assert.rejects(ds.source('train'), isUserError(/toy-train\.tfrecord-00001-of-00002'?: corrupt TFRecord at byte 0: the data checksum/));

  writeFileSync(shard1, good.subarray(0, good.length - 5));
  ds = await openDataset('toy', { dataDir });
  await assert.rejects(ds.source('train'), isUserError(/00001-of-00002'?: truncated TFRecord at byte \d+: the file ends at byte/));

  writeFileSync(shard1, Buffer.concat([good, encodeTFRecord(encodeExample({ label: { kind: 'int64', values: [1n] } }))]));
  ds = await openDataset('toy', { dataDir });
  await assert.rejects(ds.source('train'), isUserError(/00001-of-00002'?: dataset_info.json says this shard holds 3 records, but it holds 4/));

  writeFileSync(shard1, good);
  const s0 = readFileSync(shard0);
  writeFileSync(shard0, Buffer.concat([s0, encodeTFRecord(encodeExample({ image: { kind: 'bytes', values: [Buffer.from('not an image')] }, label: { kind: 'int64', values: [2n] } }))]));
  const info = JSON.parse(readFileSync(join(dir, 'dataset_info.json'), 'utf8'));
  info.splits[0].shardLengths[0] = '4';
  writeFileSync(join(dir, 'dataset_info.json'), JSON.stringify(info));
  ds = await openDataset('toy', { dataDir });
  await assert.rejects(all(ds.read('train[3:4]')), isUserError(/00000-of-00002' record at byte \d+: cannot decode the image/));

  unlinkSync(shard1);
  await assert.rejects(openDataset('toy', { dataDir }), isUserError(/00001-of-00002'?: shard listed in dataset_info.json is missing/));

  writeFileSync(join(dir, 'dataset_info.json'), '{"name": "toy", "splits": [');
  await assert.rejects(openDataset('toy', { dataDir }), isUserError(/dataset_info.json'?: cannot read dataset_info.json/));
  writeFileSync(join(dir, 'dataset_info.json'), '{"name": "toy", "splits": [{"name": "train"}]}');
  await assert.rejects(openDataset('toy', { dataDir }), isUserError(/gives no "shardLengths" for split 'train'/));

  await assert.rejects(openDataset('nothing', { dataDir }), isUserError(/nothing'?: no TFDS data for 'nothing' here/));
  mkdirSync(join(dataDir, 'cifar10'));
  await assert.rejects(openDataset('cifar10', { dataDir }), isUserError(/no cifar10 found: expected a TFDS directory cifar10\/<version>\/dataset_info.json or the CIFAR binary/));
});

test('a record without the label feature, and a class count that disagrees with the dataset', async () => {
  const dataDir = tempDir('tfds-keys');
  const dir = await writeTfds(dataDir, { name: 'toy', numClasses: 10, splits: { train: { shards: [[1]] } } });
  writeFileSync(join(dir, 'toy-train.tfrecord-00000-of-00001'), encodeTFRecord(encodeExample({ lbl: { kind: 'int64', values: [1n] } })));
  const ds = await openDataset('toy', { dataDir });
  await assert.rejects(ds.source('train'), isUserError(/record at byte 0: feature 'label' is missing/));
  await writeTfds(dataDir, { name: 'mnist', numClasses: 12, splits: { train: { shards: [[1]] } } });
  await assert.rejects(openDataset('mnist', { dataDir }), isUserError(/mnist should have 10 classes, but features.json says 12/));
});
