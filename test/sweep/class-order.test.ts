// Class orders per seed: numpy's seeded permutation checked against numpy's own output, and the
// two conventions of continual.class_order on a class-incremental stream.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { applyOverrides, resolveConfig } from '../../src/config/overrides.ts';
import { getPreset } from '../../src/config/presets.ts';
import { openDataset } from '../../src/data/open.ts';
import { NumpyRandomState } from '../../src/data/numpy-random.ts';
import { classIncremental } from '../../src/data/streams.ts';
import { UserError } from '../../src/errors.ts';
import { tempDir, writeTfds } from '../fixtures/data/write.ts';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/numpy/permutations.json', import.meta.url), 'utf8')) as {
  generator: string;
  cases: { seed: number; n: number; permutation: number[] }[];
};

test('np.random.seed(s); np.random.permutation(n) is reproduced bit for bit (numpy output in the fixture)', () => {
  assert.match(fixture.generator, /^numpy \d/);
  assert.equal(fixture.cases.length, 10);
  for (const c of fixture.cases) assert.deepEqual(new NumpyRandomState(c.seed).permutation(c.n), c.permutation, `seed ${c.seed}, n ${c.n}`);
  // The order PyCIL and LAMDA-PILOT report for CIFAR-100 starts 68, 56, 78, 8, 23.
  assert.deepEqual(fixture.cases[0].permutation.slice(0, 5), [68, 56, 78, 8, 23]);
});

const cycle = (n: number, mod: number) => Array.from({ length: n }, (_, i) => i % mod);

test("class_order 'pycil' permutes all the dataset's classes and labels them by their place; 'l2p' only the ones it splits", async () => {
  const dataDir = tempDir('class-order');
  await writeTfds(dataDir, { name: 'cifar100', numClasses: 100, splits: { train: { shards: [cycle(200, 100)] }, test: { shards: [cycle(100, 100)] } } });
  const ds = await openDataset('cifar100', { dataDir });
  const pycil = fixture.cases.find((c) => c.seed === 1993 && c.n === 100)!.permutation;
  const a = await classIncremental(ds, { numTasks: 3, numClassesPerTask: 2, randSeed: 1993, classOrder: 'pycil' });
  // PyCIL's classes are pycil[0..5]; each is relabelled by its place in the order (_map_new_class_index).
  assert.deepEqual(a.tasks.map((t) => t.classMask), [[0, 1], [2, 3], [4, 5]]);
  for (const [t, task] of a.tasks.entries()) {
    for (const src of [task.train, task.test]) {
      assert.equal(src.length, (src === task.train ? 4 : 2), `task ${t}`);
      for (let i = 0; i < src.length; i++) {
        const label = src.label(i);
        assert.ok(task.classMask.includes(label), `task ${t}: label ${label}`);
        assert.equal((await src.get(i)).label, label);
      }
    }
  }
  // The image behind label k is one of class pycil[k]: the fixture's records are labelled i % 100 in order.
  const first = a.tasks[0].train;
  const stored = await (await ds.source('train')).get(pycil[first.label(0)]);
  assert.deepEqual((await first.get(0)).image, stored.image);
  const b = await classIncremental(ds, { numTasks: 3, numClassesPerTask: 2, randSeed: 1993 });
  const six = new NumpyRandomState(1993).permutation(6);
  assert.deepEqual(b.tasks.map((t) => t.classMask), [six.slice(0, 2), six.slice(2, 4), six.slice(4, 6)]);
  // With every class split into tasks, PyCIL's labels are 0..99 in task order.
  const full = await classIncremental(ds, { numTasks: 10, numClassesPerTask: 10, randSeed: 1993, classOrder: 'pycil' });
  assert.deepEqual(full.tasks.flatMap((t) => t.classMask), Array.from({ length: 100 }, (_, i) => i));
  assert.equal(full.tasks[0].test.length, 10);
});

test("class_order 'pycil' is refused without a seed or on a stream that does not shuffle classes", () => {
  const base = getPreset('cifar100_l2p_smoke');
  assert.equal(applyOverrides(base, ['continual.class_order=pycil', 'continual.rand_seed=1993']).continual.class_order, 'pycil');
  assert.throws(() => applyOverrides(base, ['continual.class_order=pycil']), (e: unknown) => e instanceof UserError && /continual\.rand_seed' must be >= 0 when continual\.class_order is 'pycil'/.test(e.message));
  assert.throws(
    () => resolveConfig('five_datasets_l2p_smoke', ['continual.class_order=pycil', 'continual.rand_seed=1993']),
    (e: unknown) => e instanceof UserError && /'continual\.rand_seed' = 1993 is not read by dataset '5datasets'/.test(e.message),
  );
  assert.throws(() => applyOverrides(base, ['continual.class_order=icarl']), (e: unknown) => e instanceof UserError && /class_order/.test(e.message));
});
