// The query cache kept in the run's folder (src/train/query-cache.ts, query-cache-file.ts): a new
// process (a new cache and a new learner on the same weights) reads the queries back and computes
// none, with the uncached results to the bit; a cut or damaged file is ignored with one warning and
// its queries computed again; another key does not reuse a file; the folder's bound holds; and a run
// killed after its first evaluations and resumed reads them back and ends as an uninterrupted run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { evaluateSource } from '../../src/train/evaluate.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { QueryCache } from '../../src/train/query-cache.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { memorySource, tempDir } from '../fixtures/data/write.ts';
import { results, runWithFault, trainArgv, trainToEnd } from '../helpers/train-run.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

const base: L2PConfig = { ...getPreset('cifar100_l2p_smoke'), test_time_selection: 'per_instance' };

/** A learner on the weights of `seed`, its query runs counted: a new one stands for a new process. */
function learnerOf(seed: number) {
  const cfg = decodeVariant(base.model_name);
  const learner = createLearner(base, { config: cfg, numPatches: 16, params: randomViT(cfg, 16, seed) }, 4);
  learner.params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = ((i * 37) % 11) / 100 - 0.05));
  const calls = { n: 0 };
  const query = learner.query.bind(learner);
  learner.query = (images, n) => {
    calls.n++;
    return query(images, n);
  };
  return { learner, calls };
}

// 10 images in device batches of 4: the last one padded with two zero images, whose queries are kept too.
const source = memorySource(10, 32, 32, 3, 4);
const o = { batchSize: 4, resizeSize: 32, inputSize: 32, maxBatches: -1, poolSize: 4, workers: 0 };

function diskCache(dir: string, maxBytes?: number) {
  const warnings: string[] = [];
  return { cache: new QueryCache(maxBytes, { dir, warn: (w) => warnings.push(w) }), warnings };
}

const files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.q'));

test('a new process reads the kept queries back: no query computed, the uncached results to the bit', async (t) => {
  t.after(disposeAll);
  const dir = join(tempDir('qc-disk'), 'query-cache');
  const first = learnerOf(1);
  const plain = await evaluateSource(first.learner, source, null, o);
  const a = diskCache(dir);
  assert.deepEqual(await evaluateSource(first.learner, source, null, { ...o, queryCache: a.cache }), plain);
  assert.equal(files(dir).length, 1);
  const file = join(dir, files(dir)[0]);
  const written = statSync(file);

  const again = learnerOf(1);
  const b = diskCache(dir);
  for (const i of [1, 2]) {
    assert.deepEqual(await evaluateSource(again.learner, source, null, { ...o, queryCache: b.cache }), plain, `evaluation ${i}`);
  }
  assert.equal(again.calls.n, 0, 'every query came from the file');
  assert.deepEqual([...a.warnings, ...b.warnings], []);
  assert.equal(statSync(file).ino, written.ino, 'a file read back is not written again');

  // Another preprocessing or another backbone does not reuse it: its queries are computed and kept apart.
  const other = learnerOf(2);
  const c = diskCache(dir);
  assert.deepEqual(await evaluateSource(other.learner, source, null, { ...o, queryCache: c.cache }), await evaluateSource(other.learner, source, null, o));
  assert.equal(other.calls.n, 6, 'three device batches, uncached and cached');
  const resized = { ...o, resizeSize: 40 };
  again.calls.n = 0;
  assert.deepEqual(await evaluateSource(again.learner, source, null, { ...resized, queryCache: c.cache }), await evaluateSource(again.learner, source, null, resized));
  assert.equal(again.calls.n, 6);
  assert.equal(files(dir).length, 3);
});

test('a cut or damaged file is ignored with one warning, its queries computed again and kept whole', async (t) => {
  t.after(disposeAll);
  const dir = join(tempDir('qc-bad'), 'query-cache');
  const { learner, calls } = learnerOf(1);
  const plain = await evaluateSource(learner, source, null, o);
  await evaluateSource(learner, source, null, { ...o, queryCache: diskCache(dir).cache });
  const file = join(dir, files(dir)[0]);
  const whole = readFileSync(file);
  const flipped = Buffer.from(whole);
  flipped[whole.length >> 1] ^= 0x40; // one bit of one query
  for (const [what, bytes] of [['cut', whole.subarray(0, whole.length - 100)], ['damaged', flipped], ['empty', Buffer.alloc(0)]] as const) {
    writeFileSync(file, bytes);
    const d = diskCache(dir);
    calls.n = 0;
    assert.deepEqual(await evaluateSource(learner, source, null, { ...o, queryCache: d.cache }), plain, what);
    assert.equal(calls.n, 3, `${what}: computed again`);
    assert.equal(d.warnings.length, 1, what);
    assert.match(d.warnings[0], /\.q'?: cached queries ignored \((it is cut short \(\d+ bytes\)|its checksum does not match: the file is cut or damaged)\); computing them again$/);
    assert.deepEqual(readFileSync(file), whole, `${what}: written again whole`);
  }
});

test('the folder keeps nothing that would pass the bound', async (t) => {
  t.after(disposeAll);
  const dir = join(tempDir('qc-bound'), 'query-cache');
  const { learner } = learnerOf(1);
  const bound = 1 << 20;
  // A file of another run's queries (another key) already takes nearly all of it.
  await evaluateSource(learner, source, null, { ...o, queryCache: diskCache(dir).cache });
  const name = files(dir)[0];
  writeFileSync(join(dir, `other-${name}`), Buffer.alloc(bound - 1000));
  const { cache, warnings } = diskCache(dir, bound);
  await evaluateSource(learner, memorySource(12, 32, 32, 3, 4), null, { ...o, queryCache: cache });
  assert.equal(files(dir).length, 2, 'no third file');
  assert.ok(cache.bytes > 0, 'kept in memory all the same');
  assert.deepEqual(warnings, []);
});

const dataDir = tempDir('qc-run-data');
before(() => writePresetData(dataDir));

test('a run killed after its first evaluations reads their queries back on --resume and ends as an uninterrupted run', () => {
  const args = { dataDir, epochs: 6, workers: 1 };
  const ref = join(tempDir('qc-ref'), 'run');
  trainToEnd(trainArgv(ref, args));
  const workdir = join(tempDir('qc-kill'), 'run');
  const argv = trainArgv(workdir, args);
  const killed = runWithFault(argv, 'step:9'); // after the evaluations at steps 4 and 8 of task 0
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  const dir = join(workdir, 'query-cache');
  assert.equal(files(dir).length, 1, "task 0's test set");
  const file = join(dir, files(dir)[0]);
  const kept = statSync(file).ino;
  const resumed = spawnSync(process.execPath, [...argv, '--resume'], { encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.doesNotMatch(resumed.stderr, /cached queries/);
  assert.equal(statSync(file).ino, kept, 'read back, not computed and written again');
  assert.equal(files(dir).length, 2, "and task 1's test set kept beside it");
  assert.deepEqual(results(workdir), results(ref));
});
