// Which classes an evaluation ranks, per method and eval_task_inc.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { evalClassMask } from '../../src/train/eval-classes.ts';

const t0 = { classMask: [3, 1, 2] };
const t1 = { classMask: [7, 0, 2] };
const t2 = { classMask: [9] };

test('L2P ranks every column of the head (null), whatever was trained', () => {
  const c = getPreset('cifar100_l2p');
  assert.equal(evalClassMask(c, t1, [t0, t1]), null);
  assert.equal(evalClassMask(c, t0, []), null);
});

test("CODA-Prompt ranks the classes of every task trained so far, once each, in ascending order", () => {
  const c = getPreset('cifar100_coda_prompt');
  assert.deepEqual(evalClassMask(c, t0, [t0, t1]), [0, 1, 2, 3, 7]);
  assert.deepEqual(evalClassMask(c, t2, [t0]), [1, 2, 3], 'the trained tasks, not the evaluated one');
  assert.deepEqual(evalClassMask(c, t0, [{ classMask: [10, 9, 100] }]), [9, 10, 100], 'numerically, not as strings');
});

test("eval_task_inc ranks the evaluated task's own classes, as given, under either kind of method", () => {
  for (const name of ['cifar100_l2p', 'cifar100_coda_prompt']) {
    const base = getPreset(name);
    const c = { ...base, continual: { ...base.continual, eval_task_inc: true } };
    assert.equal(evalClassMask(c, t0, [t0, t1, t2]), t0.classMask);
  }
});
