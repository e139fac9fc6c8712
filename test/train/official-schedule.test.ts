// When the official loop evaluates and checkpoints (train_continual.py), worked by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalInterval, evaluatesAt, evaluatesTask, periodicCheckpoints } from '../../src/train/official-schedule.ts';

const base = { eval_last_only: false, gaussian_schedule: false, save_last_ckpt_only: false, continual: { num_tasks: 5 } };

test('every task is evaluated every evalEvery steps and at its last step', () => {
  assert.equal(evalInterval(base), 1);
  const at = Array.from({ length: 10 }, (_, i) => i + 1).filter((s) => evaluatesAt(base, 2, s, 10, 4));
  assert.deepEqual(at, [4, 8, 10]);
});

test('eval_last_only: eval_interval is num_tasks, so only the last task evaluates (all of its evaluations)', () => {
  const c = { ...base, eval_last_only: true };
  assert.equal(evalInterval(c), 5);
  assert.deepEqual([0, 1, 2, 3, 4].filter((t) => evaluatesTask(c, t)), [4]);
  assert.equal(evaluatesAt(c, 3, 10, 10, 4), false);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].filter((s) => evaluatesAt(c, 4, s, 8, 4)), [4, 8]);
});

test('the Gaussian schedule: every 10th episode, at its last step only', () => {
  const c = { ...base, gaussian_schedule: true, continual: { num_tasks: 200 } };
  assert.equal(evalInterval(c), 10);
  assert.deepEqual(Array.from({ length: 30 }, (_, t) => t).filter((t) => evaluatesTask(c, t)), [9, 19, 29]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].filter((s) => evaluatesAt(c, 9, s, 6, 2)), [6]);
});

test('save_last_ckpt_only: checkpoint_every_steps applies in the last task only', () => {
  assert.deepEqual([0, 1, 2].map((t) => periodicCheckpoints({ ...base, save_last_ckpt_only: true }, t, 3)), [false, false, true]);
  assert.deepEqual([0, 1, 2].map((t) => periodicCheckpoints(base, t, 3)), [true, true, true]);
});
