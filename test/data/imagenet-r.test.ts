// Split ImageNet-R from both forms the official code's data can take: the TFDS imagenet_r directory and
// the imagenet-r/ folder as distributed, read in TFDS's stored order so the official slices
// test[:80%] / test[80%:] pick the same images; 200 classes in 10 tasks of 20 in ImageNet order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeJpeg } from '../../src/data/image.ts';
import { IMAGENET_R_CLASSES, IMAGENET_R_WNIDS } from '../../src/data/imagenet-r.ts';
import { tfdsOrder } from '../../src/data/native/imagenet-r.ts';
import { openDataset } from '../../src/data/open.ts';
import { classIncremental } from '../../src/data/streams.ts';
import { UserError } from '../../src/errors.ts';
import { pattern, tempDir, writeTfds } from '../fixtures/data/write.ts';

const WNIDS = ['n01443537', 'n01820546', 'n12267677']; // labels 0, 20 and 199
const FILES = ['art_0.jpg', 'cartoon_1.jpg', 'sketch_2.jpg', 'toy_3.jpg'];
// TFDS's order of these keys, from Python: sorted(keys, key=lambda k: int(hashlib.md5(b'test' + k.encode()).hexdigest(), 16)).
const TFDS_ORDER = [
  'n01443537_cartoon_1.jpg', 'n01820546_toy_3.jpg', 'n12267677_toy_3.jpg', 'n12267677_cartoon_1.jpg',
  'n12267677_art_0.jpg', 'n01443537_art_0.jpg', 'n01443537_toy_3.jpg', 'n01820546_sketch_2.jpg',
  'n01443537_sketch_2.jpg', 'n01820546_cartoon_1.jpg', 'n12267677_sketch_2.jpg', 'n01820546_art_0.jpg',
];
const label200 = (key: string) => IMAGENET_R_WNIDS.indexOf(key.slice(0, 9));

async function writeRaw(): Promise<string> {
  const dir = tempDir('imr');
  let k = 0;
  for (const w of WNIDS) {
    mkdirSync(join(dir, 'imagenet-r', w), { recursive: true });
    for (const f of FILES) writeFileSync(join(dir, 'imagenet-r', w, f), await encodeJpeg(pattern(k++, 12, 10, 3), 90));
  }
  writeFileSync(join(dir, 'imagenet-r', 'README.txt'), 'not a class folder');
  return dir;
}

test('the WordNet ids and the ImageNet indices list the same 200 classes in the same order', () => {
  assert.equal(IMAGENET_R_WNIDS.length, 200);
  assert.deepEqual([...IMAGENET_R_WNIDS].sort(), IMAGENET_R_WNIDS);
  // goldfish (1), great white shark (2), hammerhead (4); the last, n12267677 acorn, is ImageNet's 988.
  assert.deepEqual(IMAGENET_R_CLASSES.slice(0, 3), [1, 2, 4]);
  assert.equal(IMAGENET_R_CLASSES[199], 988);
  assert.deepEqual([0, 20, 199].map((i) => IMAGENET_R_WNIDS[i]), WNIDS);
});

test("TFDS's stored order: ascending md5 of the split name and the key, as Python's hashlib gives it", () => {
  const keys = WNIDS.flatMap((w) => FILES.map((f) => `${w}_${f}`));
  assert.deepEqual(tfdsOrder(keys, 'test').map((i) => keys[i]), TFDS_ORDER);
});

test('the raw imagenet-r/ folder: one split test in TFDS order, labels 0..199 from the folder names', async () => {
  const dir = await writeRaw();
  for (const at of [dir, join(dir, 'imagenet-r')]) {
    const ds = await openDataset('imagenet_r', { dataDir: at, format: 'native' });
    assert.equal(ds.numClasses, 200);
    assert.deepEqual(ds.splits, { test: 12 });
    const s = await ds.source('test');
    assert.deepEqual(Array.from({ length: 12 }, (_, i) => s.label(i)), TFDS_ORDER.map(label200));
    const r = await s.get(4);
    assert.match(r.origin, /n12267677[\\/]art_0\.jpg'$/);
    assert.equal(r.label, 199);
  }
  // auto: no TFDS directory there, so the folder layout is read
  assert.deepEqual((await openDataset('imagenet_r', { dataDir: dir })).splits, { test: 12 });
});

test('split ImageNet-R: 10 tasks of 20 classes in ImageNet order, train test[:80%] and test test[80%:], alike from TFDS and from the folder', async () => {
  const raw = await openDataset('imagenet_r', { dataDir: await writeRaw(), format: 'native' });
  const tfdsDir = tempDir('imr-tfds');
  const imagenetIdx = TFDS_ORDER.map((k) => IMAGENET_R_CLASSES[label200(k)]);
  await writeTfds(tfdsDir, { name: 'imagenet_r', version: '0.2.0', numClasses: 1000, encoding: 'jpeg', splits: { test: { shards: [imagenetIdx.slice(0, 5), imagenetIdx.slice(5)] } } });
  const tfds = await openDataset('imagenet_r', { dataDir: tfdsDir });
  const streams = await Promise.all([raw, tfds].map((ds) => classIncremental(ds, { numTasks: 10, numClassesPerTask: 20 })));
  for (const st of streams) {
    assert.equal(st.tasks.length, 10);
    assert.deepEqual(st.tasks[1].classMask, Array.from({ length: 20 }, (_, i) => 20 + i));
  }
  const labels = (s: { length: number; label(i: number): number }) => Array.from({ length: s.length }, (_, i) => s.label(i));
  for (const t of [0, 1, 9]) {
    assert.deepEqual(labels(streams[0].tasks[t].train), labels(streams[1].tasks[t].train), `task ${t} train`);
    assert.deepEqual(labels(streams[0].tasks[t].test), labels(streams[1].tasks[t].test), `task ${t} test`);
  }
  // test[:80%] of 12 is the first 10 in stored order; the last two (labels 199, 20) are the test split.
  assert.deepEqual(labels(streams[0].tasks[9].test), [199]);
  assert.deepEqual(labels(streams[0].tasks[1].test), [20]);
  assert.deepEqual(labels(streams[0].tasks[0].train), [0, 0, 0, 0]);
});

test('l2p data describe --dataset imagenet_r works on the folder and on the TFDS directory', async () => {
  const describe = (dir: string, ...more: string[]) => spawnSync(process.execPath, ['bin/l2p.mjs', 'data', 'describe', '--dataset', 'imagenet_r', '--data-dir', dir, '--split', 'test[:80%]', '--json', ...more], { encoding: 'utf8' });
  const r = describe(await writeRaw());
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.num_classes, 200);
  assert.deepEqual(j.num_examples, { test: 12 });
  assert.deepEqual(j.official_splits, { train: 'test[:80%]', test: 'test[80%:]' });
  assert.deepEqual(j.split, { spec: 'test[:80%]', num_examples: 10, class_counts: { 0: 4, 20: 3, 199: 3 } });
  const tfdsDir = tempDir('imr-tfds-cli');
  await writeTfds(tfdsDir, { name: 'imagenet_r', version: '0.2.0', numClasses: 1000, splits: { test: { shards: [[1, 90, 988, 988, 1]] } } });
  const t = describe(tfdsDir);
  assert.equal(t.status, 0, t.stderr);
  assert.deepEqual(JSON.parse(t.stdout).split.class_counts, { 0: 1, 20: 1, 199: 2 }); // the first 4 of 5
});

test('a folder that is not one of the 200 classes is one clear error naming it', async () => {
  const dir = await writeRaw();
  mkdirSync(join(dir, 'imagenet-r', 'n99999999'));
  await assert.rejects(openDataset('imagenet_r', { dataDir: dir, format: 'native' }), (e: unknown) => e instanceof UserError && /n99999999': 'n99999999' is not one of ImageNet-R's 200 classes/.test(e.message));
  await assert.rejects(openDataset('imagenet_r', { dataDir: tempDir('imr-empty'), format: 'native' }), /no imagenet-r\/ folder of WordNet-id class folders/);
});
