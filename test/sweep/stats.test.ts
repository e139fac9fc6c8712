import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageIncrementalAcc, matrixMeanStd, mean, meanStd, runMetrics, sampleStd } from '../../src/sweep/stats.ts';
import type { RunSummary } from '../../src/rundir/summary.ts';

const close = (a: number | null, b: number, eps = 1e-12) => assert.ok(a !== null && Math.abs(a - b) < eps, `${a} != ${b}`);

test('mean and the sample standard deviation (n − 1)', () => {
  // Σ(x − 5)² = 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32; sample variance 32 / 7 (population: 32 / 8 = 4).
  const xs = [2, 4, 4, 4, 5, 5, 7, 9];
  assert.equal(mean(xs), 5);
  close(sampleStd(xs), Math.sqrt(32 / 7));
  assert.equal(sampleStd([3]), null, 'one value has no spread');
  assert.equal(sampleStd([70, 74, 78]), 4);
  assert.deepEqual(meanStd([70, 74, 78]), { mean: 74, std: 4 });
  assert.deepEqual(meanStd([5]), { mean: 5, std: null });
  assert.equal(meanStd([1, null]), null, 'a metric some run lacks is not averaged over fewer runs');
  assert.equal(meanStd([]), null);
});

// acc[i][t]: accuracy on task i after training task t (as test/train/metrics.test.ts).
const A = [
  [90, 80, 85],
  [0, 70, 60],
  [0, 0, 75],
];

test('average incremental accuracy: the mean of avg_acc after each task', () => {
  // avg_acc after t = 0: 90; t = 1: (80 + 70) / 2 = 75; t = 2: (85 + 60 + 75) / 3 = 220 / 3.
  close(averageIncrementalAcc(A), (90 + 75 + 220 / 3) / 3);
  assert.equal(averageIncrementalAcc([[42]]), 42);
});

const summary = (o: Partial<RunSummary>): RunSummary =>
  ({ tasks: 3, acc_matrix: A, avg_acc: 220 / 3, forgetting: 7.5, backward: -7.5, learning_acc: 235 / 3, shared_test_set: false, test_time_selection: 'per_instance', ...o }) as RunSummary;

test("a run's metrics: summary.json's, with the average incremental accuracy from its matrix", () => {
  const m = runMetrics(summary({}));
  close(m.avg_inc_acc, (90 + 75 + 220 / 3) / 3);
  assert.equal(m.forgetting, 7.5);
  assert.equal(m.backward, -7.5);
  // One shared test set: the matrix is its row; the average incremental accuracy is the row's mean.
  const shared = runMetrics(summary({ acc_matrix: [[40, 50, 60]], avg_acc: 60, forgetting: null, backward: null, learning_acc: null, shared_test_set: true }));
  assert.equal(shared.avg_inc_acc, 50);
  assert.equal(shared.forgetting, null);
  // Joint training: one column, evaluated once.
  const joint = runMetrics(summary({ acc_matrix: [[90], [80], [70]], avg_acc: 80, forgetting: null, backward: null, learning_acc: null }));
  assert.equal(joint.avg_inc_acc, 80);
});

test('the mean accuracy matrix: entry-wise over runs, nothing below the diagonal', () => {
  const B = [
    [80, 70, 75],
    [0, 60, 70],
    [0, 0, 65],
  ];
  const r = matrixMeanStd([A, B], (i, t) => i <= t)!;
  assert.deepEqual(r.mean, [
    [85, 75, 80],
    [null, 65, 65],
    [null, null, 70],
  ]);
  close(r.std[0][0], Math.sqrt(50)); // (90 − 85)² + (80 − 85)² = 50, over n − 1 = 1
  assert.equal(r.std[1][0], null);
  assert.equal(matrixMeanStd([A, [[1]]], () => true), null, 'matrices of different shapes are not averaged');
});
