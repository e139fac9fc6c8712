// The input pipeline's seeds: pinned values, since a run's shuffle orders and augmentations (and so its
// published numbers) are reproduced from them; a change here changes every run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalAugmentSeed, trainSeed } from '../../src/train/seeds.ts';

test("task t's training stream is seeded seed·1009 + t", () => {
  assert.deepEqual([0, 1, 2, 9].map((t) => trainSeed({ seed: 0 }, t)), [0, 1, 2, 9]);
  assert.deepEqual([0, 1, 4].map((t) => trainSeed({ seed: 42 }, t)), [42378, 42379, 42382]);
  assert.equal(trainSeed({ seed: 3 }, 7), 3034);
});

test('the eval_augment stream is seeded seed·1009 + 0x5e7 (1511), the same at every evaluation', () => {
  assert.equal(evalAugmentSeed({ seed: 0 }), 1511);
  assert.equal(evalAugmentSeed({ seed: 42 }), 43889);
  assert.equal(evalAugmentSeed({ seed: 3 }), 4538);
});
