// When the official loop evaluates and checkpoints (train_continual.py), worked by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalInterval, evaluatesAt, evaluatesTask, periodicCheckpoints, summaryStep, trainSummaryStep } from '../../src/train/official-schedule.ts';

const base = { eval_last_only: false, gaussian_schedule: false, save_last_ckpt_only: false, continual: { num_tasks: 5 } };

test('a task is evaluated where the run\'s step count is a multiple of evalEvery, and at its last step', () => {
  assert.equal(evalInterval(base), 1);
  // Task 0: 10 steps, evalEvery 4: global steps 4, 8 and the last, 10.
  assert.deepEqual(Array.from({ length: 10 }, (_, i) => i + 1).filter((g) => evaluatesAt(base, 0, g, g === 10, 4)), [4, 8, 10]);
  // Task 1 (5-datasets' unequal tasks): 6 steps, evalEvery 3, global steps 11..16: 12, 15, 16.
  assert.deepEqual(Array.from({ length: 6 }, (_, i) => 11 + i).filter((g) => evaluatesAt(base, 1, g, g === 16, 3)), [12, 15, 16]);
});

test('summary_step: a run-wide counter advancing at global multiples of each task\'s evalEvery', () => {
  const plans = [{ steps: 10, evalEvery: 4 }, { steps: 6, evalEvery: 3 }];
  // g 1..16 → 0,0,0,1,1,1,1,2,2,2 | 2,3,3,3,4,4
  assert.deepEqual(Array.from({ length: 16 }, (_, i) => summaryStep(plans, i + 1)), [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4]);
  // Equal tasks of 2 epochs × 5 steps: one step per epoch, 1..4 over two tasks.
  const even = [{ steps: 10, evalEvery: 5 }, { steps: 10, evalEvery: 5 }];
  assert.deepEqual([5, 10, 15, 20].map((g) => summaryStep(even, g)), [1, 2, 3, 4]);
});

test('summary_step after tasks of no steps (a statistics pass only, as RanPAC and APER after task 0, evalEvery 0): they add nothing', () => {
  const plans = [{ steps: 10, evalEvery: 5 }, { steps: 0, evalEvery: 0 }, { steps: 0, evalEvery: 0 }];
  assert.deepEqual([4, 5, 10].map((g) => summaryStep(plans, g)), [0, 1, 2]);
  assert.equal(summaryStep([{ steps: 0, evalEvery: 0 }], 0), 0, 'SimpleCIL: no step in any task');
  // A task of no steps between two that step: the later task's multiples still count (g 10 and 15 of task 2).
  const between = [{ steps: 5, evalEvery: 5 }, { steps: 0, evalEvery: 0 }, { steps: 10, evalEvery: 5 }];
  assert.deepEqual([5, 9, 10, 15].map((g) => summaryStep(between, g)), [1, 1, 2, 3]);
});

test('training scalars: after the first step of each epoch and after the last step, at relStep // stepsPerEpoch + t · num_epochs', () => {
  // 3 epochs of 4 steps, task 1: writes after relative steps 0, 4, 8 and 11 (the last).
  const writes = Array.from({ length: 12 }, (_, r) => [r, trainSummaryStep(1, 3, r, r === 11, 4)] as const).filter(([, s]) => s !== null);
  assert.deepEqual(writes, [[0, 3], [4, 4], [8, 5], [11, 5]]);
});

test('eval_last_only: eval_interval is num_tasks, so only the last task evaluates (all of its evaluations)', () => {
  const c = { ...base, eval_last_only: true };
  assert.equal(evalInterval(c), 5);
  assert.deepEqual([0, 1, 2, 3, 4].filter((t) => evaluatesTask(c, t)), [4]);
  assert.equal(evaluatesAt(c, 3, 40, true, 4), false);
  assert.deepEqual([33, 34, 35, 36, 37, 38, 39, 40].filter((g) => evaluatesAt(c, 4, g, g === 40, 4)), [36, 40]);
});

test('the Gaussian schedule: every 10th episode, at its last step only', () => {
  const c = { ...base, gaussian_schedule: true, continual: { num_tasks: 200 } };
  assert.equal(evalInterval(c), 10);
  assert.deepEqual(Array.from({ length: 30 }, (_, t) => t).filter((t) => evaluatesTask(c, t)), [9, 19, 29]);
  assert.deepEqual([55, 56, 57, 58, 59, 60].filter((g) => evaluatesAt(c, 9, g, g === 60, 2)), [60]);
});

test('save_last_ckpt_only: checkpoint_every_steps applies in the last task only', () => {
  assert.deepEqual([0, 1, 2].map((t) => periodicCheckpoints({ ...base, save_last_ckpt_only: true }, t, 3)), [false, false, true]);
  assert.deepEqual([0, 1, 2].map((t) => periodicCheckpoints(base, t, 3)), [true, true, true]);
});

test("CORe50's step counts come from train[:-1%]: all but the last 1 % (rounded half to even, as TFDS)", async () => {
  const { stepCountExamples } = await import('../../src/train/official-schedule.ts');
  const core50 = { dataset: 'core50' as const, subsample_rate: -1 };
  assert.equal(stepCountExamples(core50, 1000), 990);
  assert.equal(stepCountExamples(core50, 11990), 11870); // round(119.9) = 120
  assert.equal(stepCountExamples(core50, 250), 248); // round(2.5) = 2
  assert.equal(stepCountExamples({ ...core50, subsample_rate: 10 }, 1000), 1000, 'train[:10%] is what is read');
  assert.equal(stepCountExamples({ ...core50, subsample_rate: 0 }, 1000), 990, 'a rate of 0 subsamples nothing, as −1');
  assert.equal(stepCountExamples({ dataset: 'cifar100', subsample_rate: -1 }, 1000), 1000);
});
