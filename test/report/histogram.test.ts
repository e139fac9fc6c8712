import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BUCKET_LIMITS, histogramOf, idHistogram } from '../../src/report/histogram.ts';

test("TensorFlow's default limits: 774 positive edges from 1e-12 growing by 10%, mirrored, 0 and ±DBL_MAX", () => {
  assert.equal(DEFAULT_BUCKET_LIMITS.length, 2 * 775 + 1);
  assert.equal(DEFAULT_BUCKET_LIMITS[775], 0);
  assert.equal(DEFAULT_BUCKET_LIMITS[776], 1e-12);
  assert.equal(DEFAULT_BUCKET_LIMITS[777], 1e-12 * 1.1);
  assert.equal(DEFAULT_BUCKET_LIMITS[0], -Number.MAX_VALUE);
  assert.equal(DEFAULT_BUCKET_LIMITS.at(-1), Number.MAX_VALUE);
  assert.ok(DEFAULT_BUCKET_LIMITS.at(-2)! >= 1e20 / 1.1 && DEFAULT_BUCKET_LIMITS.at(-2)! < 1e20);
  for (let i = 1; i < DEFAULT_BUCKET_LIMITS.length; i++) assert.ok(DEFAULT_BUCKET_LIMITS[i] > DEFAULT_BUCKET_LIMITS[i - 1]);
});

test('histogramOf counts each value in [previous limit, limit) and merges runs of empty buckets', () => {
  const values = [-3, -3, 0, 0.5, 0.5, 0.51, 7];
  const h = histogramOf(values);
  assert.deepEqual([h.min, h.max, h.num, h.sum, h.sumSquares], [-3, 7, 7, 2.51, 9 + 9 + 0.25 + 0.25 + 0.51 ** 2 + 49]);
  assert.equal(h.bucket.reduce((a, b) => a + b), values.length);
  for (let i = 1; i < h.bucket.length; i++) assert.ok(h.bucket[i] > 0 || h.bucket[i - 1] > 0, `adjacent empty buckets at ${i}`);
  for (const v of values) {
    const b = h.bucketLimit.findIndex((l) => l > v);
    assert.ok(b === 0 || h.bucketLimit[b - 1] <= v);
    assert.ok(h.bucket[b] > 0);
  }
  // 0.5 and 0.51 are within 10% of each other: TF puts them in one bucket.
  assert.equal(h.bucket[h.bucketLimit.findIndex((l) => l > 0.5)], 3);
  assert.equal(h.bucketLimit.at(-1), Number.MAX_VALUE);
});

test('an empty histogram is one empty bucket up to DBL_MAX, as TensorFlow encodes it', () => {
  assert.deepEqual(histogramOf([]), { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [Number.MAX_VALUE], bucket: [0] });
});

test('idHistogram has one bucket per id, empty ones included', () => {
  const h = idHistogram(Int32Array.of(3, 3, 0, 9), 10);
  assert.deepEqual(h.bucketLimit, [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5]);
  assert.deepEqual(h.bucket, [1, 0, 0, 2, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([h.min, h.max, h.num, h.sum, h.sumSquares], [0, 9, 4, 15, 99]);
  assert.throws(() => idHistogram([10], 10), /ids\[0\] = 10 is not an integer id in 0\.\.9/);
  assert.throws(() => idHistogram([1.5], 10), /ids\[0\] = 1.5/);
  assert.throws(() => idHistogram([], 0), /numIds must be a positive integer/);
});
