import assert from 'node:assert/strict';
import { test } from 'node:test';
import { avgAcc, backwardTransfer, forgetting, learningAcc, stepMetrics } from '../../src/rundir/metrics.ts';

// acc[i][t]: accuracy on task i after training task t. Entries below the diagonal (i > t) are
// never read; the official code keeps zeros there.
const A = [
  [90, 80, 85],
  [0, 70, 60],
  [0, 0, 75],
];

const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('after the first task: accuracies only, no forgetting or backward transfer', () => {
  assert.deepEqual(stepMetrics(A, 0), { avg_acc: 90, forgetting: null, backward: null, learning_acc: 90, accuracy: [90] });
});

test('after task 1', () => {
  // avg   = (80 + 70) / 2 = 75
  // forg. = max(90, 80) − 80 = 10 for task 0, the only earlier task
  // bwt   = 80 − 90 = −10
  // learn = (90 + 70) / 2 = 80
  assert.deepEqual(stepMetrics(A, 1), { avg_acc: 75, forgetting: 10, backward: -10, learning_acc: 80, accuracy: [80, 70] });
});

test('after task 2', () => {
  // avg   = (85 + 60 + 75) / 3 = 220 / 3
  // forg. = ((90 − 85) + (70 − 60)) / 2 = 7.5
  // bwt   = ((85 − 90) + (60 − 70)) / 2 = −7.5
  // learn = (90 + 70 + 75) / 3 = 235 / 3
  close(avgAcc(A, 2), 220 / 3);
  assert.equal(forgetting(A, 2), 7.5);
  assert.equal(backwardTransfer(A, 2), -7.5);
  close(learningAcc(A, 2), 235 / 3);
  assert.deepEqual(stepMetrics(A, 2).accuracy, [85, 60, 75]);
});

test('forgetting takes the row maximum where it is, not at the diagonal', () => {
  // Task 0 peaks after task 1 (80), above its diagonal (60); it ends at 70.
  const B = [
    [60, 80, 70],
    [0, 50, 50],
    [0, 0, 40],
  ];
  // forg. = ((80 − 70) + (50 − 50)) / 2 = 5, while bwt = ((70 − 60) + (50 − 50)) / 2 = 5 is positive.
  assert.equal(forgetting(B, 2), 5);
  assert.equal(backwardTransfer(B, 2), 5);
});

test('the maximum includes the current task, so forgetting is never negative', () => {
  // Task 0 keeps improving: 60, 70, 80. Official: max(60, 70, 80) − 80 = 0. (A maximum over
  // j < t only, as in Chaudhry et al., would give 70 − 80 = −10.) Task 1: max(50, 45) − 45 = 5.
  // forg. = (0 + 5) / 2 = 2.5
  const C = [
    [60, 70, 80],
    [0, 50, 45],
    [0, 0, 40],
  ];
  assert.equal(forgetting(C, 2), 2.5);
});

test('columns after t are never read', () => {
  // After task 1 only columns 0 and 1 exist; the 99 written after task 2 must not count.
  // forg. = max(90, 80) − 80 = 10 (a whole-row maximum over this final matrix would give 19).
  const D = [
    [90, 80, 99],
    [0, 70, 60],
    [0, 0, 75],
  ];
  assert.equal(forgetting(D, 1), 10);
  // Nor are the rows of tasks not yet trained: a matrix written up to task 1 gives the same.
  assert.equal(forgetting([[90, 80], [0, 70]], 1), 10);
});

test('fractions work as well as percentages', () => {
  assert.deepEqual(stepMetrics([[0.5, 0.25], [0, 0.75]], 1), { avg_acc: 0.5, forgetting: 0.25, backward: -0.25, learning_acc: 0.625, accuracy: [0.25, 0.75] });
});

test('a missing entry or a step outside the matrix is an error', () => {
  assert.throws(() => avgAcc(A, 3), /task index 3 is outside the accuracy matrix's 3 rows/);
  assert.throws(() => avgAcc(A, -1), /task index -1/);
  assert.throws(() => avgAcc([[1, 2], [3]], 1), /no finite entry acc\[1\]\[1\]/);
  assert.throws(() => learningAcc([[NaN]], 0), /no finite entry acc\[0\]\[0\]/);
  // A row that is null (a matrix read from a damaged JSON file) is a missing entry, not a TypeError.
  assert.throws(() => avgAcc([[1, 2], null as unknown as number[]], 1), /^Error: accuracy matrix has no finite entry acc\[1\]\[1\] \(got undefined\)$/);
});
