// Resource and path bounds: memory stays flat while the pipeline streams a dataset far larger than
// its prefetch queue, a run keeps at most `keep` checkpoint files, a run writes nothing outside its
// workdir, and names read from data files never become paths outside the data directory.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { encodePng } from '../../src/data/image.ts';
import { openDataset } from '../../src/data/open.ts';
import { Pipeline } from '../../src/data/pipeline.ts';
import { UserError } from '../../src/errors.ts';
import { encodeExample } from '../../src/io/example.ts';
import { encodeTFRecord } from '../../src/io/tfrecord.ts';
import { saveCheckpoint, type LoopState } from '../../src/train/checkpoint.ts';
import { pattern, tempDir, writeCore50, writeDomainNet, writeTfds } from '../fixtures/data/write.ts';
import { assertUnchanged, l2p, snapshot } from './cli.ts';
import { editJson, shardOf, tfdsCifar100 } from './data.ts';

const root = tempDir('robust-bounds');
after(() => rmSync(root, { recursive: true, force: true }));
const MB = 2 ** 20;
const STREAM_RSS_LIMIT = 64 * MB;

test('streaming a dataset 60× the prefetch queue keeps memory flat', async (t) => {
  // 2,000 records of 8×8 PNGs (16 distinct images), each decoded and resized to 128×128 float32
  // (192 KB): 390 MB over the pass, through a queue of 2 batches of 16 (6 MB).
  const N = 2_000;
  const S = 128;
  const dataDir = join(root, 'stream');
  const builder = await writeTfds(dataDir, { name: 'toy', numClasses: 10, splits: { train: { shards: [[0]] } } });
  const images = await Promise.all(Array.from({ length: 16 }, (_, k) => encodePng(pattern(k, 8, 8, 3))));
  const frames = Array.from({ length: N }, (_, i) =>
    encodeTFRecord(encodeExample({ image: { kind: 'bytes', values: [images[i % 16]] }, label: { kind: 'int64', values: [BigInt(i % 10)] } })),
  );
  writeFileSync(shardOf(builder, 'toy', 'train'), Buffer.concat(frames));
  editJson(join(builder, 'dataset_info.json'), (j) => (j.splits[0].shardLengths = [String(N)]));

  const ds = await openDataset('toy', { dataDir });
  const pipe = new Pipeline(await ds.source('train'), { batchSize: 16, train: false, workers: 0, prefetch: 2, preprocess: { resizeSize: S, inputSize: S } });
  const decodedBytes = N * S * S * 3 * 4;
  let seen = 0;
  let checksum = 0;
  let base = 0;
  let peak = 0;
  try {
    for await (const b of pipe) {
      seen += b.size;
      checksum += b.labels.reduce((a, l) => a + l, 0);
      const rss = process.memoryUsage().rss;
      // the first batches warm up sharp and the heap; growth is measured from there
      if (seen === 16 * 8) base = rss;
      if (base > 0) peak = Math.max(peak, rss);
    }
  } finally {
    await pipe.close();
  }
  const growth = peak - base;
  t.diagnostic(`${N} images (${(decodedBytes / MB).toFixed(0)} MB decoded), RSS grew ${(growth / MB).toFixed(1)} MB`);
  assert.equal(seen, N);
  assert.equal(checksum, (N / 10) * 45);
  assert.ok(decodedBytes > 5 * STREAM_RSS_LIMIT);
  assert.ok(growth < STREAM_RSS_LIMIT, `RSS grew ${(growth / MB).toFixed(0)} MB while streaming ${(decodedBytes / MB).toFixed(0)} MB`);
});

/** A loop state at `globalStep`, as the training loop checkpoints it. */
const loopAt = (globalStep: number): LoopState => ({
  task: 0, stepInTask: globalStep, globalStep, pipeline: null, accMatrix: [[0]], promptUsage: [[]],
  window: { loss: [], correct: 0, count: 0, grad: 0, lr: 0 }, done: false, elapsed: 0, images: 0,
});

test('saveCheckpoint keeps the newest `keep` npz files and state.json names the newest', () => {
  const params = new Map([['head/bias', { shape: [3], data: new Float32Array(3) }]]);
  const opt = { kind: 'sgd' as const, state: { step: 0, momentum: new Map([['head/bias', new Float32Array(3)]]) } };
  for (const keep of [1, 2, 3]) {
    const workdir = join(root, `keep-${keep}`);
    for (let step = 1; step <= 6; step++) saveCheckpoint(workdir, params, ['head/bias'], opt, loopAt(step), keep);
    const files = readdirSync(join(workdir, 'checkpoints')).sort();
    const want = Array.from({ length: keep }, (_, k) => `ckpt-${String(6 - keep + 1 + k).padStart(8, '0')}.npz`);
    assert.deepEqual(files, [...want, 'state.json'], `keep=${keep}`);
    assert.equal(JSON.parse(readFileSync(join(workdir, 'checkpoints', 'state.json'), 'utf8')).npz, want.at(-1));
  }
});

test('a run writes only inside its workdir and keeps at most 2 checkpoints', async () => {
  // The command runs from an empty cwd with HOME and TMPDIR of its own; everything but the workdir is watched.
  const top = join(root, 'paths');
  const [data, cwd, home, tmp] = ['data', 'cwd', 'home', 'tmp'].map((d) => join(top, d));
  for (const d of [cwd, home, tmp]) mkdirSync(d, { recursive: true });
  await tfdsCifar100(data);
  const workdir = join(top, 'run');
  const watched = [data, cwd, home];
  const was = snapshot(watched);
  const env = { ...process.env, HOME: home, TMPDIR: tmp, TFDS_DATA_DIR: join(home, 'tensorflow_datasets') };
  const r = await l2p(
    ['train', '--config', 'cifar100_l2p_smoke', '--workdir', workdir, '--set', `data_dir=${data}`, '--set', 'checkpoint_every_steps=1', '--workers', '0', '--threads', '1'],
    env,
    cwd,
  );
  assert.equal(r.status, 0, r.stderr);
  assertUnchanged(was, snapshot(watched), 'the data, the working directory and HOME');
  // tsx's compile cache in TMPDIR belongs to the test harness, not to l2p (ONNX Runtime's telemetry
  // files would land here and in HOME without ORT_DISABLE_TELEMETRY).
  assert.deepEqual(readdirSync(tmp).filter((f) => !f.startsWith('tsx-')), []);
  assert.deepEqual(readdirSync(top).sort(), ['cwd', 'data', 'home', 'run', 'tmp']);
  const ckpts = readdirSync(join(workdir, 'checkpoints')).filter((f) => /^ckpt-\d+\.npz$/.test(f));
  assert.ok(ckpts.length >= 1 && ckpts.length <= 2, `checkpoints: ${ckpts.join(', ')}`);
  const state = JSON.parse(readFileSync(join(workdir, 'checkpoints', 'state.json'), 'utf8'));
  assert.ok(ckpts.includes(state.npz));
  for (const f of readdirSync(workdir)) assert.ok(!f.endsWith('.tmp'), `a temporary file was left: ${f}`);
});

test('DomainNet: names in the split lists cannot lead out of the data directory', async () => {
  const top = join(root, 'domainnet');
  const dataDir = join(top, 'data');
  await writeDomainNet(dataDir, 'real', { train: [0, 1], test: [2] });
  // a readable image outside the data directory, which a followed '..' would reach
  const outside = join(top, 'outside.jpg');
  writeFileSync(outside, readFileSync(join(dataDir, 'real', 'class_0', 'real_000.jpg')));
  const list = join(dataDir, 'real_train.txt');
  const good = readFileSync(list, 'utf8');
  for (const name of ['../outside.jpg', 'real/../../outside.jpg', outside, '..\\outside.jpg']) {
    writeFileSync(list, `${good}${name} 3\n`);
    await assert.rejects(
      openDataset('domainnet/real', { dataDir, format: 'native' }),
      (e: unknown) => e instanceof UserError && e.message.endsWith(`real_train.txt': line 3 names '${name}', which is outside the DomainNet directory`),
    );
  }
  writeFileSync(list, good);
  const ds = await openDataset('domainnet/real', { dataDir, format: 'native' });
  assert.equal((await ds.source('train')).length, 2);
});

test('CORe50: every file read is a listing entry under the session folders', async () => {
  const dataDir = join(root, 'core50');
  await writeCore50(dataDir, [1, 3], [1, 2], 2);
  const sessions = join(dataDir, 'core50_128x128');
  // entries whose names only look like paths or images: a folder named like an image is refused when read
  mkdirSync(join(sessions, 's1', 'o1', 'folder.png'));
  writeFileSync(join(sessions, 's1', 'o2', '..png'), readFileSync(join(sessions, 's1', 'o2', 'C_01_02_000.png')));
  mkdirSync(join(sessions, 's1', 'notes'));
  const ds = await openDataset('core50', { dataDir, format: 'native' });
  const s1 = await ds.source('s1');
  const origins: string[] = [];
  for (let i = 0; i < s1.length; i++) {
    try {
      origins.push((await s1.get(i)).origin);
    } catch (e) {
      assert.ok(e instanceof UserError && /folder\.png': cannot read the image: it is a directory$/.test(e.message), String(e));
    }
  }
  assert.equal(origins.length, 5);
  for (const o of origins) {
    const rel = relative(sessions, o.slice(1, -1));
    assert.ok(!rel.startsWith('..') && existsSync(o.slice(1, -1)), o);
  }
});
