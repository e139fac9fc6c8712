// numel, the shape check the safetensors and PyTorch readers share, on shapes worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numel } from '../../src/io/tensor-archive.ts';

test('numel: the product of safe non-negative integer dimensions', () => {
  assert.equal(numel([]), 1);
  assert.equal(numel([2, 3, 4]), 24);
  assert.equal(numel([5, 0, 7]), 0);
  assert.equal(numel([2 ** 26, 2 ** 26]), 2 ** 52);
});

test('numel: -1 for a negative, fractional, unsafe or non-number dimension', () => {
  // [2, -3] would give -6 and [-1, -1] would give 1 if negatives were multiplied in.
  for (const shape of [[2, -3], [-1, -1], [-1], [2.5], [NaN], [Infinity], [2 ** 53], ['3'], [null], [3n]]) {
    assert.equal(numel(shape), -1, JSON.stringify(shape, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
  }
});

test('numel: -1 when the product leaves the safe integers, though every dimension is safe', () => {
  assert.equal(numel([2 ** 30, 2 ** 30, 2 ** 30]), -1);
  assert.equal(numel([2 ** 27, 2 ** 27]), -1); // 2^54
});
