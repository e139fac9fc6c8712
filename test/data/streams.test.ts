import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDataset } from '../../src/data/open.ts';
import { classIncremental, core50Stream, domainNetStream, fiveDatasets, gaussianCifar100 } from '../../src/data/streams.ts';
import { gaussianSchedule, scheduleKey, scheduleStats } from '../../src/data/gaussian.ts';
import { bernoulli, prngKey, split, threefry2x32, uniform } from '../../src/data/jax-random.ts';
import { NumpyRandomState } from '../../src/data/numpy-random.ts';
import { UserError } from '../../src/errors.ts';
import { tempDir, writeCore50, writeDomainNet, writeIdx, writeTfds } from '../fixtures/data/write.ts';
import type { Source } from '../../src/data/types.ts';

const labelsOf = (s: Source) => Array.from({ length: s.length }, (_, i) => s.label(i));
const cycle = (n: number, mod: number) => Array.from({ length: n }, (_, i) => i % mod);

test("numpy's seeded permutation is reproduced (values from numpy 2.4)", () => {
  assert.deepEqual(new NumpyRandomState(0).permutation(10), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
  assert.deepEqual(new NumpyRandomState(42).permutation(10), [8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
  assert.deepEqual(new NumpyRandomState(1).permutation(100).slice(0, 12), [80, 84, 33, 81, 93, 17, 36, 82, 69, 65, 92, 39]);
});

test("JAX's threefry: Random123 known answers, split and uniform of PRNGKey(0)", () => {
  assert.deepEqual(threefry2x32([0, 0], 0, 0), [0x6b200159, 0x99ba4efe]);
  assert.deepEqual(threefry2x32([0xffffffff, 0xffffffff], 0xffffffff, 0xffffffff), [0x1cb996fc, 0xbb002be7]);
  assert.deepEqual(threefry2x32([0x13198a2e, 0x03707344], 0x243f6a88, 0x85a308d3), [0xc4923a9c, 0x483df7a0]);
  assert.deepEqual(split(prngKey(0)), [[4146024105, 967050713], [2718843009, 1272950319]]);
  assert.equal(Math.fround(uniform(prngKey(0))), Math.fround(0.41845703));
  assert.equal(bernoulli(prngKey(0), 0.42), true);
  assert.equal(bernoulli(prngKey(0), 0.41), false);
});

test('class-incremental CIFAR-100: natural and seeded orders, masks, filtered sources', async () => {
  const dataDir = tempDir('streams');
  await writeTfds(dataDir, { name: 'cifar100', numClasses: 100, splits: { train: { shards: [cycle(200, 100)] }, test: { shards: [cycle(100, 100)] } } });
  const ds = await openDataset('cifar100', { dataDir });
  const natural = await classIncremental(ds, { numTasks: 10, numClassesPerTask: 10 });
  assert.equal(natural.tasks.length, 10);
  assert.deepEqual(natural.tasks[3].classMask, [30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  assert.deepEqual(labelsOf(natural.tasks[3].train), [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  assert.equal(natural.tasks[3].test.length, 10);
  const shuffled = await classIncremental(ds, { numTasks: 10, numClassesPerTask: 10, randSeed: 1 });
  assert.deepEqual(shuffled.tasks[0].classMask.slice(0, 3), [80, 84, 33]);
  assert.deepEqual(shuffled.tasks.flatMap((t) => t.classMask).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.ok(shuffled.tasks.every((t) => labelsOf(t.train).every((l) => t.classMask.includes(l))));
  const reversed = await classIncremental(ds, { numTasks: 10, numClassesPerTask: 10, reverse: true });
  assert.deepEqual(reversed.tasks[0].classMask, natural.tasks[9].classMask);
  await assert.rejects(classIncremental(ds, { numTasks: 11, numClassesPerTask: 10 }), (e: unknown) => e instanceof UserError && /need 110 classes, but it has 100/.test(e.message));
});

test('5-datasets: the official order, labels offset by 10, notMNIST split 80/20', async () => {
  const root = tempDir('five');
  const dirs: Record<string, string> = {};
  for (const name of ['cifar10', 'svhn_cropped', 'not_mnist']) {
    dirs[name] = join(root, name);
    await writeTfds(dirs[name], { name, splits: name === 'not_mnist' ? { train: { shards: [cycle(10, 10)] } } : { train: { shards: [cycle(4, 10)] }, test: { shards: [cycle(2, 10)] } } });
  }
  for (const name of ['mnist', 'fashion_mnist']) {
    dirs[name] = join(root, name);
    writeIdx(dirs[name], 'train', [3, 1, 4]);
    writeIdx(dirs[name], 't10k', [9]);
  }
  const s = await fiveDatasets({ dataDirs: dirs });
  assert.equal(s.numClasses, 50);
  assert.deepEqual(s.tasks.map((t) => t.classMask[0]), [0, 10, 20, 30, 40]);
  assert.deepEqual(labelsOf(s.tasks[1].train), [13, 11, 14]);
  assert.deepEqual(labelsOf(s.tasks[3].train), [30, 31, 32, 33, 34, 35, 36, 37]);
  assert.deepEqual(labelsOf(s.tasks[3].test), [38, 39]);
  assert.deepEqual(labelsOf(s.tasks[4].test), [49]);
  const rec = await s.tasks[2].train.get(1);
  assert.equal(rec.label, 21);
});

test('domain-incremental: CORe50 sessions and DomainNet domains share one class mask', async () => {
  const root = tempDir('domains');
  await writeCore50(root, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [1, 50], 1);
  const core = await core50Stream({ dataDir: root, format: 'native' });
  assert.equal(core.tasks.length, 8);
  assert.deepEqual(core.tasks[0].classMask.length, 50);
  assert.deepEqual(labelsOf(core.tasks[2].train), [0, 49]);
  assert.equal(core.tasks[0].test, core.tasks[7].test);
  assert.equal(core.tasks[0].test.length, 6);

  const tfds = tempDir('core50-tfds');
  for (const s of ['s1', 's2', 's4', 's5', 's6', 's8', 's9', 's11', 'test']) {
    await writeTfds(tfds, { name: `core50_${s}`, numClasses: 50, splits: { train: { shards: [[0, 1, 2]] } } });
  }
  const viaTfds = await core50Stream({ dataDir: tfds });
  assert.deepEqual([viaTfds.tasks.length, viaTfds.tasks[7].train.length, viaTfds.tasks[7].test.length], [8, 3, 3]);

  const dn = tempDir('dn');
  for (const d of ['clipart', 'sketch']) await writeDomainNet(dn, d, { train: [1, 2], test: [3] });
  const stream = await domainNetStream({ dataDir: dn }, ['clipart', 'sketch']);
  assert.deepEqual([stream.numClasses, stream.tasks.length, stream.tasks[1].classMask.length, labelsOf(stream.tasks[1].test)], [345, 2, 345, [3]]);
});

test('the Gaussian schedule of the official CIFAR-100 config (seed 42): episode statistics', async () => {
  const episodes = gaussianSchedule(scheduleKey(42));
  assert.deepEqual(scheduleStats(episodes), {
    episodes: 200,
    meanClasses: 50.42,
    minClasses: 29,
    maxClasses: 66,
    redrawnEpisodes: 0,
    appearances: { min: 60, mean: 100.84, max: 131 },
  });
  // Class j peaks at episode 2j + 1: the first episode is dominated by low classes, the last by high ones.
  assert.ok(episodes[0].labels.slice(0, 20).every((l, i) => l === i));
  assert.ok(episodes[199].labels.every((l) => l >= 20));
  // A narrow schedule with few episodes needs redraws when an episode draws nothing.
  const narrow = gaussianSchedule(scheduleKey(0), { numClasses: 4, numTasks: 40, stepsPerTask: 1, width: 1 });
  assert.ok(narrow.every((e) => e.labels.length > 0));
  assert.ok(narrow.some((e) => e.redraws > 0));

  const dataDir = tempDir('gauss');
  await writeTfds(dataDir, { name: 'cifar100', numClasses: 100, splits: { train: { shards: [cycle(300, 100)] }, test: { shards: [cycle(100, 100)] } } });
  const s = await gaussianCifar100(await openDataset('cifar100', { dataDir }), 42);
  assert.equal(s.tasks.length, 200);
  assert.deepEqual(s.tasks[5].classMask, episodes[5].labels);
  assert.equal(s.tasks[5].train.length, 3 * episodes[5].labels.length);
  assert.equal(s.tasks[5].test.length, 100);
});

