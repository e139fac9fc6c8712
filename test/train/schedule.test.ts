// The learning-rate schedule against values worked by hand from the official formulas: libml/utils.get_learning_rate
// (warmup = min(1, epoch / warmup_epochs); cosine 0.5·lr·(1 + cos(π·ratio)); linear lr·(1 − ratio); the floor
// max(lr·warmup, min_lr) after warmup) and CODA-Prompt's utils/schedulers.py CosineSchedule
// (base · cos(99π·e / (200·(K − 1))) in epoch e).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learningRate, type Schedule } from '../../src/train/schedule.ts';

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// 4 steps per epoch, 1 warmup epoch, then 4 decay epochs: steps 1..4 warm up, 5..20 decay.
const cosine: Schedule = { kind: 'cosine', baseLr: 0.1, stepsPerEpoch: 4, numEpochs: 5, warmupEpochs: 1, minLr: 0 };

test('warmup: the rate rises linearly with the epoch to the base rate at the end of the warmup epochs', () => {
  for (const kind of ['cosine', 'linear', 'constant'] as const) {
    const s = { ...cosine, kind };
    near(learningRate(s, 1), 0.025);
    near(learningRate(s, 2), 0.05);
    near(learningRate(s, 3), 0.075);
    near(learningRate(s, 4), 0.1);
  }
  // Two warmup epochs of 4 steps: step 2 is a quarter of the way.
  near(learningRate({ ...cosine, warmupEpochs: 2, numEpochs: 6 }, 2), 0.025);
});

test('cosine: 0.5·lr·(1 + cos(π·t/span)) over the epochs after warmup', () => {
  near(learningRate(cosine, 8), 0.05 * (1 + Math.SQRT1_2)); // t = 1 of 4 epochs
  near(learningRate(cosine, 12), 0.05); // t = 2 of 4
  near(learningRate(cosine, 16), 0.05 * (1 - Math.SQRT1_2)); // t = 3 of 4
  near(learningRate(cosine, 20), 0); // the end
  near(learningRate(cosine, 6), 0.05 * (1 + Math.cos(Math.PI / 8))); // t = 0.5 of 4: within an epoch too
});

test('linear: lr·(1 − t/span) over the epochs after warmup', () => {
  const s = { ...cosine, kind: 'linear' as const };
  near(learningRate(s, 5), 0.1 * (1 - 0.25 / 4));
  near(learningRate(s, 8), 0.075);
  near(learningRate(s, 14), 0.1 * (1 - 2.5 / 4));
  near(learningRate(s, 20), 0);
});

test('constant: the base rate after warmup, and from the first step without warmup', () => {
  const s = { ...cosine, kind: 'constant' as const };
  assert.equal(learningRate(s, 5), 0.1);
  assert.equal(learningRate(s, 20), 0.1);
  assert.equal(learningRate({ ...s, warmupEpochs: 0 }, 1), 0.1);
});

test('no warmup: the decay starts at the first step', () => {
  const s = { ...cosine, warmupEpochs: 0, numEpochs: 4 };
  near(learningRate(s, 4), 0.05 * (1 + Math.SQRT1_2));
  near(learningRate({ ...s, kind: 'linear' }, 8), 0.05);
});

test('min_lr floors the rate after warmup only', () => {
  const s = { ...cosine, minLr: 0.02 };
  near(learningRate(s, 1), 0.025); // warming up: 0.025, above the floor anyway
  near(learningRate({ ...s, minLr: 0.03 }, 1), 0.025); // warming up: below the floor, not raised
  near(learningRate(s, 12), 0.05);
  assert.equal(learningRate(s, 18), 0.02);
  assert.equal(learningRate(s, 20), 0.02);
});

// CODA-Prompt: 2 steps per epoch, K = 5 epochs.
const coda: Schedule = { kind: 'coda_cosine', baseLr: 0.01, stepsPerEpoch: 2, numEpochs: 5, warmupEpochs: 0, minLr: 0 };

test('coda_cosine: one rate per epoch, base·cos(99π·e/(200·(K − 1))); the last step of an epoch still belongs to it', () => {
  const byStep = Array.from({ length: 10 }, (_, i) => learningRate(coda, i + 1));
  const byEpoch = [0, 1, 2, 3, 4].map((e) => 0.01 * Math.cos((99 * Math.PI * e) / 800));
  byStep.forEach((lr, i) => near(lr, byEpoch[Math.floor(i / 2)], 1e-15));
  assert.equal(byStep[0], 0.01);
  assert.equal(byStep[1], 0.01);
  near(byStep[9], 0.01 * Math.cos(0.495 * Math.PI), 1e-15); // ≈ 0.016 of the base in the last epoch
  // Past the last epoch the rate stays at the last epoch's.
  near(learningRate(coda, 12), byStep[9], 1e-15);
});

test('coda_cosine with one epoch keeps the base rate (the official code would divide by zero)', () => {
  const one = { ...coda, numEpochs: 1 };
  assert.equal(learningRate(one, 1), 0.01);
  assert.equal(learningRate(one, 2), 0.01);
});

test('coda_cosine after warmup epochs: warming up at the base rate, then the cosine over the remaining epochs', () => {
  const s = { ...coda, numEpochs: 3, warmupEpochs: 1 }; // K = 2 after one warmup epoch
  assert.equal(learningRate(s, 1), 0.005);
  assert.equal(learningRate(s, 2), 0.01);
  assert.equal(learningRate(s, 4), 0.01); // epoch 0 of 2
  near(learningRate(s, 6), 0.01 * Math.cos(0.495 * Math.PI), 1e-15); // epoch 1 of 2
});
