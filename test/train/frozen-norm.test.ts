// The frozen gradients' summed squares in their fixed order (src/train/frozen-norm.ts): chunk bounds,
// the shares of the workers, the float32 mean and the float64 sums, by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addInOrder, CHUNK, chunkBounds, chunkSquares, meanInPlace, shareChunks } from '../../src/train/frozen-norm.ts';

test('chunk bounds: every CHUNK values within a tensor and at every tensor end; empty tensors add none', () => {
  assert.equal(CHUNK, 65536);
  assert.deepEqual(chunkBounds([]), [0]);
  assert.deepEqual(chunkBounds([0]), [0]);
  assert.deepEqual(chunkBounds([0, 4, 0, 0, 2]), [0, 4, 6]);
  assert.deepEqual(chunkBounds([CHUNK]), [0, CHUNK], 'a tensor of exactly one chunk: no bound inside it');
  assert.deepEqual(chunkBounds([CHUNK + 1]), [0, CHUNK, CHUNK + 1]);
  assert.deepEqual(chunkBounds([7, 2 * CHUNK + 5, 3]), [0, 7, 7 + CHUNK, 7 + 2 * CHUNK, 12 + 2 * CHUNK, 15 + 2 * CHUNK]);
});

test("shares: a chunk goes to the worker whose equal share of the values holds its middle (a middle on the share's end included)", () => {
  // 40 values in 4 chunks of 10: middles 5, 15, 25, 35; targets 20, 40.
  assert.deepEqual(shareChunks([0, 10, 20, 30, 40], 2), [[0, 2], [2, 4]]);
  // Middles 2, 5, 8 and a first target of exactly 5: chunk 1 is worker 0's.
  assert.deepEqual(shareChunks([0, 4, 6, 10], 2), [[0, 2], [2, 3]]);
  // Unequal chunks: middles 1, 7, 16 of 20 values; targets 6.67, 13.3, 20.
  assert.deepEqual(shareChunks([0, 2, 12, 20], 3), [[0, 1], [1, 2], [2, 3]]);
  assert.deepEqual(shareChunks([0, 2, 12, 20], 2), [[0, 2], [2, 3]]);
  // One worker takes all; more workers than chunks leave some with none.
  assert.deepEqual(shareChunks([0, 3, 9], 1), [[0, 2]]);
  assert.deepEqual(shareChunks([0, 3, 9], 4), [[0, 1], [1, 1], [1, 2], [2, 2]]);
  assert.deepEqual(shareChunks([0], 3), [[0, 0], [0, 0], [0, 0]]);
});

test('meanInPlace divides in float32', () => {
  const a = Float32Array.of(3, -1, 1, 0);
  meanInPlace(a, 3);
  assert.deepEqual(Array.from(a), [1, Math.fround(-1 / 3), Math.fround(1 / 3), 0]);
  const b = Float32Array.of(5);
  meanInPlace(b, 1);
  assert.equal(b[0], 5);
});

test('chunkSquares: the float64 sum of squares of each chunk, the bounds absolute and the array starting at base', () => {
  const mean = Float32Array.of(1, 2, 3, 0.5, -4);
  // The array holds absolute values 10..14; chunks [10, 12), [12, 13), [13, 15).
  assert.deepEqual(chunkSquares(mean, 10, [10, 12, 13, 15]), [5, 9, 16.25]);
  assert.deepEqual(chunkSquares(mean, 0, [0, 5]), [30.25]);
  assert.deepEqual(chunkSquares(mean, 7, [8, 9]), [4]);
  assert.deepEqual(chunkSquares(mean, 0, [2]), []);
  // Float64 accumulation: 1 + (2⁻¹²)² stays above 1, as it would not in float32.
  assert.deepEqual(chunkSquares(Float32Array.of(1, 2 ** -12), 0, [0, 2]), [1 + 2 ** -24]);
});

test('addInOrder adds the chunk sums to the start in order', () => {
  assert.equal(addInOrder(2, [3, 4.5]), 9.5);
  assert.equal(addInOrder(1.5, []), 1.5);
  // The order shows in float64: (1 + 2⁻⁵³) + 2⁻⁵³ = 1, unlike 1 + (2⁻⁵³ + 2⁻⁵³).
  assert.equal(addInOrder(1, [2 ** -53, 2 ** -53]), 1);
});
