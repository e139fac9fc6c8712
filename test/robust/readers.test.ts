// The reader faults the fuzz and CLI tests found, one test each: a lying length or count must not
// size an allocation, a name from a data file must not lead out of the data directory, a label must
// lie within its dataset's classes, and valid but large input must not overflow the stack.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeImage, encodePng, MAX_IMAGE_PIXELS } from '../../src/data/image.ts';
import { openCore50Folders } from '../../src/data/native/core50.ts';
import { openDataset } from '../../src/data/open.ts';
import { discoverFonts } from '../../src/glyphs/fonts.ts';
import { UserError } from '../../src/errors.ts';
import { crc32 } from '../../src/io/crc32.ts';
import { maskedCrc32c } from '../../src/io/crc32c.ts';
import { decodeExample, encodeExample } from '../../src/io/example.ts';
import { encodeTFRecord, readTFRecordAt, readTFRecords } from '../../src/io/tfrecord.ts';
import { pattern, tempDir, writeTfds } from '../fixtures/data/write.ts';
import { editJson, pngRecords, shardOf, writeShard } from './data.ts';

const root = tempDir('robust-readers');
after(() => rmSync(root, { recursive: true, force: true }));
const isUserError = (p: RegExp) => (e: unknown) => e instanceof UserError && p.test(e.message);

async function drain(path: string): Promise<void> {
  for await (const _ of readTFRecords(path));
}

test('TFRecord: a record length that lies (with a valid checksum) is refused before it sizes a buffer', async () => {
  const file = join(root, 'lie.tfrecord');
  const rec = encodeTFRecord(new Uint8Array(10));
  const dv = new DataView(rec.buffer);
  dv.setBigUint64(0, 2n ** 40n, true);
  dv.setUint32(8, maskedCrc32c(rec.subarray(0, 8)), true);
  writeFileSync(file, rec);
  const rss = process.memoryUsage().rss;
  await assert.rejects(readTFRecordAt(file, 0), isUserError(/lie\.tfrecord': truncated TFRecord at byte 0: the file ends at byte 26$/));
  await assert.rejects(drain(file), isUserError(/lie\.tfrecord': truncated TFRecord at byte 0/));
  assert.ok(process.memoryUsage().rss - rss < 64 * 2 ** 20);
});

test('TFRecord: a directory is refused with a UserError, not EISDIR', async () => {
  const dir = join(root, 'shard-dir');
  mkdirSync(dir);
  await assert.rejects(drain(dir), isUserError(/shard-dir': not a TFRecord file \(not a regular file\)$/));
  await assert.rejects(readTFRecordAt(dir, 0), isUserError(/not a regular file/));
});

test('tf.train.Example: a float list of 300,000 values decodes (no spread onto the call stack)', () => {
  const values = Array.from({ length: 300_000 }, (_, i) => i % 7);
  const f = decodeExample(encodeExample({ x: { kind: 'float', values } }), 'big').get('x')!;
  assert.equal(f.values.length, 300_000);
  assert.equal(f.values[299_999], 299_999 % 7);
});

test("TFDS: shard names from dataset_info.json stay inside the builder directory and must be files", async () => {
  const dataDir = join(root, 'tfds-paths');
  const builder = await writeTfds(dataDir, { name: 'toy', numClasses: 10, splits: { train: { shards: [[0, 1]] } } });
  const info = join(builder, 'dataset_info.json');
  const outside = join(dataDir, 'stolen');
  writeFileSync(outside, readFileSync(shardOf(builder, 'toy', 'train')));
  editJson(info, (j) => (j.splits[0].filepathTemplate = '../../stolen'));
  await assert.rejects(openDataset('toy', { dataDir }), isUserError(/dataset_info\.json': names shard '\.\.\/\.\.\/stolen' of split 'train', outside its directory$/));
  editJson(info, (j) => (j.splits[0].filepathTemplate = '/etc/passwd'));
  await assert.rejects(openDataset('toy', { dataDir }), isUserError(/etc\/passwd': shard listed in dataset_info\.json is missing$/));
  mkdirSync(join(builder, 'sub'));
  editJson(info, (j) => (j.splits[0].filepathTemplate = 'sub'));
  await assert.rejects(openDataset('toy', { dataDir }), isUserError(/sub': shard listed in dataset_info\.json is not a file$/));
  editJson(info, (j) => (j.splits[0].filepathTemplate = '.'));
  await assert.rejects(openDataset('toy', { dataDir }), isUserError(/names shard '' of split 'train', outside its directory$/));
});

test('TFDS: a shard length that lies is refused before it sizes the index', async () => {
  const dataDir = join(root, 'tfds-count');
  const builder = await writeTfds(dataDir, { name: 'toy', numClasses: 10, splits: { train: { shards: [[0, 1]] } } });
  editJson(join(builder, 'dataset_info.json'), (j) => (j.splits[0].shardLengths = ['1000000000000']));
  const ds = await openDataset('toy', { dataDir });
  await assert.rejects(ds.source('train[:1]'), isUserError(/00000-of-00001': dataset_info\.json says this shard holds 1000000000000 records, but its size allows at most \d+$/));
});

test('TFDS: a label outside the stored classes is a UserError naming the record', async () => {
  const dataDir = join(root, 'tfds-labels');
  const builder = await writeTfds(dataDir, { name: 'cifar10', numClasses: 10, splits: { train: { shards: [[0, 1, 2]] }, test: { shards: [[0]] } } });
  const shard = shardOf(builder, 'cifar10', 'train');
  for (const [label, why] of [[10, 'the 10 classes'], [-1, 'the 10 classes'], [2 ** 33, 'the 10 classes']] as const) {
    writeShard(shard, await pngRecords([0, label, 2]));
    const ds = await openDataset('cifar10', { dataDir });
    await assert.rejects(ds.source('train'), isUserError(new RegExp(`cifar10-train\\.tfrecord-00000-of-00001' record at byte \\d+: label ${label} is outside ${why} of 'label'$`)));
  }
  writeShard(shard, await pngRecords([0, 9, 2]));
  const ds = await openDataset('cifar10', { dataDir });
  assert.deepEqual([0, 1, 2].map((await ds.source('train')).label), [0, 9, 2]);
});

test('images: a header claiming more than MAX_IMAGE_PIXELS is refused before decoding', async () => {
  // A valid 4×4 PNG whose IHDR (checksum recomputed) claims 12000×12000, under sharp's own limit.
  const png = await encodePng(pattern(0, 4, 4, 3));
  const dv = new DataView(png.buffer, png.byteOffset);
  assert.equal(new TextDecoder().decode(png.subarray(12, 16)), 'IHDR');
  dv.setUint32(16, 12_000);
  dv.setUint32(20, 12_000);
  dv.setUint32(29, crc32(png.subarray(12, 29)));
  assert.ok(12_000 ** 2 > MAX_IMAGE_PIXELS);
  await assert.rejects(decodeImage({ encoded: png }, "'big.png'"), isUserError(/^'big\.png': cannot decode the image \(.*pixel limit.*\)$/));
});

test('a path that is not a directory is reported as such, not as missing', async () => {
  const file = join(root, 'plain-file');
  writeFileSync(file, 'x');
  await assert.rejects(openDataset('cifar100', { dataDir: file }), isUserError(/plain-file': the data directory cannot be read: a part of the path is not a directory$/));
  await assert.rejects(openDataset('cifar100', { dataDir: file, format: 'tfds' }), isUserError(/no TFDS data for 'cifar100' here \(cannot list the directory: a part of the path is not a directory\)$/));
  // CORe50: a session "folder" that is a file.
  const core = join(root, 'core50-file-session');
  mkdirSync(core, { recursive: true });
  writeFileSync(join(core, 's1'), 'x');
  assert.throws(() => openCore50Folders(core), isUserError(/s1': cannot read the CORe50 session folder: a part of the path is not a directory$/));
  assert.throws(() => openCore50Folders(join(file, 'core50')), isUserError(/cannot read the CORe50 directory: a part of the path is not a directory$/));
  // A font path through a file.
  assert.throws(() => discoverFonts([join(file, 'fonts')]), isUserError(/font path '.*plain-file\/fonts': a part of the path is not a directory$/));
});
