// The pipeline's workers read, decode, augment and batch by themselves: the batches they make are,
// bit for bit, those of the reference path written out here (each record got on this thread with the
// source's own `get`, decoded and preprocessed one by one, in the order epochOrder gives), across
// shuffle-buffered epochs and a stop and resume mid-epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../../src/data/image.ts';
import { openDataset } from '../../src/data/open.ts';
import { Pipeline, type Batch, type PipelineOptions } from '../../src/data/pipeline.ts';
import { OFFICIAL_PREPROCESS, positionSeed, preprocessExample } from '../../src/data/preprocess.ts';
import { epochOrder } from '../../src/data/rng.ts';
import { mapLabels } from '../../src/data/source.ts';
import type { Source } from '../../src/data/types.ts';
import { UserError } from '../../src/errors.ts';
import { tempDir, writeDomainNet, writeTfds } from '../fixtures/data/write.ts';

const cfg = { ...OFFICIAL_PREPROCESS, resizeSize: 16, inputSize: 12 };
const opts = (o: Partial<PipelineOptions>): PipelineOptions => ({ batchSize: 4, train: true, seed: 11, shuffleBuffer: 5, epochs: 3, preprocess: cfg, ...o });

interface Plain {
  labels: number[];
  bytes: Buffer;
}

/** The reference: the batches of `count` stream positions from `from`, made one example at a time. */
async function reference(src: Source, o: PipelineOptions, from: number, count: number): Promise<Plain[]> {
  const out: Plain[] = [];
  const n = src.length;
  for (let start = from; start < from + count; start += o.batchSize) {
    const labels: number[] = [];
    const rows: Float32Array[] = [];
    for (let p = start; p < start + o.batchSize; p++) {
      const i = o.train ? epochOrder(n, o.seed!, Math.floor(p / n), o.shuffleBuffer)[p % n] : p % n;
      const r = await src.get(i);
      labels.push(r.label);
      rows.push(preprocessExample(await decodeImage(r.image, r.origin), cfg, o.train ? positionSeed(o.seed!, p) : null));
    }
    out.push({ labels, bytes: Buffer.concat(rows.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength))) });
  }
  return out;
}

function plain(b: Batch): Plain {
  return { labels: [...b.labels], bytes: Buffer.from(b.images.buffer, b.images.byteOffset, b.images.byteLength) };
}

async function take(p: Pipeline, n = Infinity): Promise<Batch[]> {
  const out: Batch[] = [];
  while (out.length < n) {
    const b = await p.next();
    if (!b) break;
    out.push(b);
  }
  return out;
}

/** The source with `get` refused: whatever the pipeline reads, it must read through `locate`. */
function locateOnly(src: Source): Source {
  return { ...src, get: () => Promise.reject(new Error('read on the main thread')) };
}

async function tfdsSource(): Promise<Source> {
  const dataDir = tempDir('pipe-workers');
  const labels = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i * 7 + k) % 10);
  await writeTfds(dataDir, { name: 'cifar100', numClasses: 100, shape: [20, 26, 3], encoding: 'jpeg', splits: { train: { shards: [labels(6, 0), labels(9, 1), labels(5, 2)] }, test: { shards: [labels(4, 3)] } } });
  const ds = await openDataset('cifar100', { dataDir, format: 'tfds' });
  // slices across shards, a concatenation of splits and a label map: every view passes `locate` on
  return mapLabels(await ds.source('train[2:19]+test[1:]'), (l) => l + 1);
}

test('TFDS: the workers make the reference batches, epochs and the shuffle buffer included', async () => {
  const src = await tfdsSource();
  assert.equal(src.length, 20);
  const o = opts({});
  const expected = await reference(src, o, 0, 60);
  for (const workers of [0, 1, 3]) {
    const p = new Pipeline(locateOnly(src), { ...o, workers });
    const got = await take(p);
    assert.equal(got.length, 15, `workers=${workers}`);
    assert.deepEqual(got.map(plain), expected, `workers=${workers}`);
    await p.close();
  }
  // evaluation: stored order, central crops, a short last batch
  const ev = opts({ train: false, batchSize: 6, epochs: 1 });
  const p = new Pipeline(locateOnly(src), { ...ev, workers: 2 });
  const got = (await take(p)).map(plain);
  const want = await reference(src, { ...ev, batchSize: 6 }, 0, 18);
  assert.deepEqual(got.slice(0, 3), want);
  assert.deepEqual(got[3].labels, [src.label(18), src.label(19)]);
  await p.close();
});

test('a stop mid-epoch and a restore from the saved state continue with the reference batches', async () => {
  const src = await tfdsSource();
  const o = opts({ workers: 2, prefetch: 3 });
  const expected = await reference(src, o, 0, 60);
  const first = new Pipeline(locateOnly(src), o);
  const before = await take(first, 7); // 28 examples: 8 into the second epoch
  const saved = JSON.parse(JSON.stringify(first.state()));
  await first.close();
  assert.deepEqual(saved, { seed: 11, position: 28 });
  const resumed = new Pipeline(locateOnly(src), { ...o, seed: 0, workers: 1 });
  resumed.restore(saved);
  const after = await take(resumed);
  await resumed.close();
  assert.deepEqual([...before, ...after].map(plain), expected);
});

test('DomainNet folders: the workers read the image files themselves', async () => {
  const root = tempDir('pipe-dn');
  await writeDomainNet(root, 'clipart', { train: [3, 1, 4, 1, 5, 9, 2], test: [6] });
  const src = await (await openDataset('domainnet/clipart', { dataDir: root, format: 'native' })).source('train');
  const o = opts({ batchSize: 3, shuffleBuffer: undefined, epochs: 2 });
  const p = new Pipeline(locateOnly(src), { ...o, workers: 2 });
  assert.deepEqual((await take(p)).map(plain), await reference(src, o, 0, 12));
  await p.close();
});

test('a corrupt record fails its batch in a worker, named with its file and byte, as on the main thread', async () => {
  const dataDir = tempDir('pipe-crc');
  const dir = await writeTfds(dataDir, { name: 'cifar100', numClasses: 100, splits: { train: { shards: [[1, 2, 3, 4]] } } });
  const file = join(dir, 'cifar100-train.tfrecord-00000-of-00001');
  const ds = await openDataset('cifar100', { dataDir, format: 'tfds' });
  const src = await ds.source('train'); // indexed before the damage, as a run that reads on
  const bytes = readFileSync(file);
  const second = src.locate!(2);
  assert.equal(second.kind, 'tfrecord');
  const offset = second.kind === 'tfrecord' ? second.offset : 0;
  bytes[offset + 20] ^= 0xff; // inside record 2's data
  writeFileSync(file, bytes);
  const why = new RegExp(`cifar100-train\\.tfrecord-00000-of-00001'?: corrupt TFRecord at byte ${offset}: the data checksum does not match$`);
  for (const workers of [0, 2]) {
    const p = new Pipeline(src, { batchSize: 4, train: false, preprocess: cfg, workers });
    await assert.rejects(p.next(), (e: unknown) => e instanceof UserError && why.test(e.message));
    await p.close();
  }
  await assert.rejects(src.get(2), (e: unknown) => e instanceof UserError && why.test(e.message));
});
