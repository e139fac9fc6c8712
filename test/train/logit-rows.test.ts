// Masked argmax, cross-entropy and the training-accuracy count on rows worked by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmax, countCorrect, crossEntropy } from '../../src/train/logit-rows.ts';

const all = (n: number) => new Uint8Array(n).fill(1);
const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('argmax: the largest logit among the masked classes; the first of equal ones; -1 for an empty mask', () => {
  assert.equal(argmax(Float32Array.of(5, 1, 3), all(3)), 0);
  assert.equal(argmax(Float32Array.of(1, 5, 3), all(3)), 1);
  assert.equal(argmax(Float32Array.of(1, 3, 5), all(3)), 2);
  assert.equal(argmax(Float32Array.of(9, 1, 3), Uint8Array.of(0, 1, 1)), 2, 'an unmasked larger logit is passed over');
  assert.equal(argmax(Float32Array.of(2, 7, 7, 1), all(4)), 1, 'ties: the first');
  assert.equal(argmax(Float32Array.of(-4, -2, -3), all(3)), 1);
  assert.equal(argmax(Float32Array.of(1, 2), Uint8Array.of(0, 0)), -1);
});

test('cross-entropy: logsumexp over the masked classes minus the label logit', () => {
  near(crossEntropy(Float32Array.of(0, 0), 1, all(2)), Math.LN2);
  near(crossEntropy(Float32Array.of(2, 0, 1), 0, all(3)), Math.log(1 + Math.exp(-2) + Math.exp(-1)));
  near(crossEntropy(Float32Array.of(2, 0, 1), 2, all(3)), 1 + Math.log(1 + Math.exp(-2) + Math.exp(-1)));
  // The unmasked class 0 counts in neither the sum nor the shift: log(e⁰ + e¹) − 0.
  near(crossEntropy(Float32Array.of(5, 0, 1), 1, Uint8Array.of(0, 1, 1)), Math.log(1 + Math.E));
});

test('cross-entropy is shifted by the masked maximum: huge logits neither overflow nor vanish', () => {
  near(crossEntropy(Float32Array.of(1000, 0), 1, all(2)), 1000);
  near(crossEntropy(Float32Array.of(1000, 999), 0, all(2)), Math.log(1 + Math.exp(-1)), 1e-9);
  // An unmasked logit far above the masked ones must not be the shift (every masked term would underflow).
  near(crossEntropy(Float32Array.of(1e4, 0, 1), 2, Uint8Array.of(0, 1, 1)), Math.log(1 + Math.exp(-1)));
});

test('cross-entropy of a label outside the mask is infinite', () => {
  assert.equal(crossEntropy(Float32Array.of(0, 1, 2), 0, Uint8Array.of(0, 1, 1)), Infinity);
});

test("a mask longer than the row (a model's classes beyond the logits given) ranks and sums the row's classes only", () => {
  assert.equal(argmax(Float32Array.of(1, 2), Uint8Array.of(0, 0, 1)), -1, 'no masked class within the row');
  assert.equal(argmax(Float32Array.of(1, 2), Uint8Array.of(1, 0, 1)), 0);
  near(crossEntropy(Float32Array.of(0, 0), 1, Uint8Array.of(1, 1, 1)), Math.LN2);
});

test('countCorrect: rows of c logits, each argmax (masked) compared with its label', () => {
  // 4 rows of 3 classes: argmaxes 2, 0, 1, 2.
  const logits = Float32Array.of(0, 1, 2, 5, 1, 0, 0, 3, 1, 1, 1, 4);
  assert.equal(countCorrect(logits, Int32Array.of(2, 0, 1, 2), 3, all(3)), 4);
  assert.equal(countCorrect(logits, Int32Array.of(2, 1, 1, 0), 3, all(3)), 2);
  assert.equal(countCorrect(logits, Int32Array.of(0, 0, 0, 0), 3, all(3)), 1);
  // Masking class 2 out: argmaxes 1, 0, 1, 0 (ties to the first).
  assert.equal(countCorrect(logits, Int32Array.of(1, 0, 1, 0), 3, Uint8Array.of(1, 1, 0)), 4);
  assert.equal(countCorrect(logits, Int32Array.of(), 3, all(3)), 0);
});
