import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../../src/config/overrides.ts';
import { UserError } from '../../src/errors.ts';
import { expandGrid, parseGridArg, parseSeeds, splitValues, type SweepSpec } from '../../src/sweep/grid.ts';

const spec = (o: Partial<SweepSpec>): SweepSpec => ({ config: 'split_mnist_l2p_smoke', sets: [], grid: [], seeds: null, classOrder: 'rand_seed', ...o });
const userError = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);

test('grid values split at top-level commas only', () => {
  assert.deepEqual(splitValues('1,2,3'), ['1', '2', '3']);
  assert.deepEqual(splitValues('["a","b"],[],x'), ['["a","b"]', '[]', 'x']);
  assert.deepEqual(splitValues('"a,b",c'), ['"a,b"', 'c']);
  assert.deepEqual(parseGridArg('prompt_pool_param.pool_size=4,8'), { key: 'prompt_pool_param.pool_size', values: ['4', '8'] });
  assert.deepEqual(parseSeeds('0,1,2'), [0, 1, 2]);
});

test('the Cartesian product: first axis slowest, seeds fastest, typed values, configs resolved', () => {
  const { points } = expandGrid(spec({ grid: [parseGridArg('prompt_pool_param.length=2,3'), parseGridArg('test_time_selection=batchwise,per_instance')], seeds: [0, 1] }));
  assert.equal(points.length, 8);
  assert.deepEqual(points.map((p) => p.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(points[0].values, { 'prompt_pool_param.length': 2, test_time_selection: 'batchwise', seed: 0 });
  assert.deepEqual(points[1].values, { 'prompt_pool_param.length': 2, test_time_selection: 'batchwise', seed: 1 });
  assert.deepEqual(points[7].values, { 'prompt_pool_param.length': 3, test_time_selection: 'per_instance', seed: 1 });
  assert.equal(points[7].config.prompt_pool_param.length, 3);
  assert.deepEqual(points[7].config, resolveConfig('split_mnist_l2p_smoke', points[7].sets));
  assert.equal(new Set(points.map((p) => p.id)).size, 8);
  assert.match(points[0].id, /^length-2_test-time-selection-batchwise_seed-0-[0-9a-f]{8}$/);
});

test('run ids depend on the config difference only: axis and value order do not change them', () => {
  const a = expandGrid(spec({ grid: [parseGridArg('prompt_pool_param.length=2,3'), parseGridArg('pull_constraint_coeff=0.1,0.5')] })).points;
  const b = expandGrid(spec({ grid: [parseGridArg('pull_constraint_coeff=0.5,0.1'), parseGridArg('prompt_pool_param.length=3,2')] })).points;
  assert.deepEqual(new Set(a.map((p) => p.id)), new Set(b.map((p) => p.id)));
  // A base --set that the grid then changes gives another difference, so another id.
  const c = expandGrid(spec({ sets: ['num_epochs=2'], grid: [parseGridArg('prompt_pool_param.length=2,3'), parseGridArg('pull_constraint_coeff=0.1,0.5')] })).points;
  assert.deepEqual(new Set(c.map((p) => p.id)), new Set(a.map((p) => p.id)), 'the base is the same for every point, so its --set is not part of the difference');
});

test('class orders per seed: rand_seed, pycil, config', () => {
  const rs = expandGrid(spec({ seeds: [3] })).points[0].config;
  assert.equal(rs.seed, 3);
  assert.equal(rs.continual.rand_seed, 3);
  const py = expandGrid(spec({ seeds: [3], classOrder: 'pycil' })).points[0].config;
  assert.equal(py.seed, 3);
  assert.equal(py.continual.rand_seed, 1993);
  assert.equal(py.continual.class_order, 'pycil');
  const cf = expandGrid(spec({ seeds: [3], classOrder: 'config' })).points[0].config;
  assert.equal(cf.seed, 3);
  assert.equal(cf.continual.rand_seed, resolveConfig('split_mnist_l2p_smoke').continual.rand_seed);
});

test('bad input: one clear error before anything is built', () => {
  assert.throws(() => expandGrid(spec({})), userError(/the sweep is empty/));
  assert.throws(() => parseGridArg('prompt_pool_param.pool_size='), userError(/empty value list/));
  assert.throws(() => parseGridArg('prompt_pool_param.pool_size=4,,8'), userError(/empty value/));
  assert.throws(() => parseGridArg('pool_size'), userError(/--grid expects key=value1,value2/));
  assert.throws(() => parseGridArg('seed=1,1'), userError(/repeated/));
  assert.throws(() => parseSeeds('0,x'), userError(/--seeds expects integers/));
  assert.throws(() => expandGrid(spec({ grid: [parseGridArg('prompt_pool_param.pool_sise=4,8')] })), userError(/grid point --grid prompt_pool_param\.pool_sise=4: .*pool_sise.*pool_size/));
  assert.throws(() => expandGrid(spec({ grid: [parseGridArg('prompt_pool_param.pool_size=4,0')] })), userError(/grid point prompt_pool_param\.pool_size=0: .*pool_size/));
  assert.throws(() => expandGrid(spec({ grid: [parseGridArg('optim=adam,rmsprop')] })), userError(/optim=rmsprop: .*optim/));
  assert.throws(() => expandGrid(spec({ grid: [parseGridArg('num_epochs=1,1.0')] })), userError(/give the same config/));
  assert.throws(() => expandGrid(spec({ grid: [parseGridArg('seed=1,2')], seeds: [0] })), userError(/clashes with --seeds/));
  assert.throws(() => expandGrid(spec({ grid: [parseGridArg('seed=1,2'), parseGridArg('seed=3')] })), userError(/given twice/));
});

test('--seeds on a dataset whose task order is fixed asks for --class-order config', () => {
  const dn = (classOrder: SweepSpec['classOrder']) => spec({ config: 'domainnet_l2p_smoke', seeds: [0, 1], classOrder });
  assert.throws(() => expandGrid(dn('rand_seed')), (e: unknown) => e instanceof UserError && /^--class-order rand_seed sets continual\.rand_seed per seed, which dataset 'domainnet' does not read \(its task order is fixed\); use --class-order config$/.test(e.message));
  assert.deepEqual(expandGrid(dn('config')).points.map((p) => [p.config.seed, p.config.continual.rand_seed]), [[0, -1], [1, -1]]);
});

