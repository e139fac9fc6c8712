import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pyRound, resolveSplit } from '../../src/data/split.ts';
import { UserError } from '../../src/errors.ts';

const r = (spec: string, splits: Record<string, { numExamples: number; shardLengths?: number[] }>) =>
  resolveSplit(spec, splits, "'data'").map((x) => [x.split, x.start, x.end]);

test("Python's round: ties go to the even neighbour", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -10.05, 12.5, 7.5].map(pyRound), [0, 2, 2, 0, -2, -10, 12, 8]);
});

test('percent slices round like TFDS (closest, ties to even)', () => {
  const s = { train: { numExamples: 10 }, test: { numExamples: 50 } };
  assert.deepEqual(r('train[:80%]', s), [['train', 0, 8]]);
  assert.deepEqual(r('train[80%:]', s), [['train', 8, 10]]);
  assert.deepEqual(r('test[:5%]', s), [['test', 0, 2]]); // 2.5 → 2
  assert.deepEqual(r('test[:25%]', s), [['test', 0, 12]]); // 12.5 → 12
  assert.deepEqual(r('test[:15%]', { test: { numExamples: 50 } }), [['test', 0, 8]]); // 7.5 → 8
  assert.deepEqual(r('train[:-1%]', { train: { numExamples: 1005 } }), [['train', 0, 995]]); // -10.05 → -10
  assert.deepEqual(r('train[-1%:]', { train: { numExamples: 1005 } }), [['train', 995, 1005]]);
  assert.deepEqual(r('test[64%:80%]', { test: { numExamples: 30000 } }), [['test', 19200, 24000]]);
  assert.deepEqual(r('train[:10%](pct1_dropremainder)', { train: { numExamples: 259 } }), [['train', 0, 20]]);
});

test('absolute and shard slices, sums and all', () => {
  const s = { train: { numExamples: 12, shardLengths: [3, 4, 5] }, test: { numExamples: 6 } };
  assert.deepEqual(r('train', s), [['train', 0, 12]]);
  assert.deepEqual(r('train[2:5]', s), [['train', 2, 5]]);
  assert.deepEqual(r('train[-3:]', s), [['train', 9, 12]]);
  assert.deepEqual(r('train[1shard]', s), [['train', 3, 7]]);
  assert.deepEqual(r('train[:2shard]', s), [['train', 0, 7]]);
  assert.deepEqual(r('train[-1shard:]', s), [['train', 7, 12]]);
  assert.deepEqual(r('test[:50%] + train[10:]', s), [['test', 0, 3], ['train', 10, 12]]);
  assert.deepEqual(r('all', s), [['train', 0, 12], ['test', 0, 6]]);
});

test('bad specs are UserErrors that name the dataset and the spec', () => {
  const s = { train: { numExamples: 10 } };
  const bad = (spec: string, pattern: RegExp) =>
    assert.throws(() => r(spec, s), (e: unknown) => e instanceof UserError && /^'data': /.test(e.message) && pattern.test(e.message));
  bad('validation', /unknown split 'validation'; it has 'train'/);
  bad('train[:20]', /asks for \[0:20\] of 'train', which has 10 examples/);
  bad('train[:120%]', /percent boundaries must lie in \[-100, 100\]/);
  bad('train[3]', /single index is only allowed in shards/);
  bad('train[1:2:3]', /too many colons/);
  bad('train[a:b]', /unreadable slice/);
  bad('train[:50%](pct1_dropremainder)', /fewer than 100 examples/);
  bad('all[:5]', /'all' cannot be sliced/);
});
