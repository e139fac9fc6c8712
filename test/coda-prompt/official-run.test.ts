// CODA-Prompt's run as its official code does it, beyond the step: the per-epoch cosine of
// utils/schedulers.py (values from Python's math.cos on its formula) and evaluation over the classes seen
// so far (learners/default.py validation: logits[:, :valid_out_dim]).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { evalClassMask } from '../../src/train/eval-classes.ts';
import { learningRate } from '../../src/train/schedule.ts';

test("'coda_cosine': one rate per epoch, base · cos(99π·e / (200·(K − 1))), restarted per task by the caller", () => {
  const s = { kind: 'coda_cosine' as const, baseLr: 0.002, stepsPerEpoch: 3, numEpochs: 20, warmupEpochs: 0, minLr: 0 };
  // math.cos((99 * math.pi * e) / (200 * 19)) for e = 0, 1, 10, 19
  const factor: [number, number][] = [[0, 1], [1, 0.996652423648], [10, 0.683340843092], [19, 0.015707317312]];
  for (const [e, f] of factor) {
    for (const step of [3 * e + 1, 3 * e + 3]) assert.ok(Math.abs(learningRate(s, step) - 0.002 * f) < 1e-14, `epoch ${e} step ${step}: ${learningRate(s, step)}`);
  }
  // The step-wise L2P cosine is at 0.5 of the base halfway; the official CODA curve is at 0.68.
  assert.ok(Math.abs(learningRate({ ...s, kind: 'cosine' }, 30) - 0.001) < 1e-14);
  // K = 5: math.cos((99 * math.pi * e) / 800), e = 0..4
  const k5 = [1, 0.9253751992908621, 0.7126385189252054, 0.3935408236546514, 0.015707317311820648];
  k5.forEach((f, e) => assert.ok(Math.abs(learningRate({ ...s, numEpochs: 5, stepsPerEpoch: 1 }, e + 1) - 0.002 * f) < 1e-14, `K=5 epoch ${e}`));
  assert.equal(learningRate({ ...s, numEpochs: 1 }, 2), 0.002, 'one epoch keeps the base rate');
});

test('evaluation ranks the classes of the tasks trained so far under CODA-Prompt, every class under L2P and DualPrompt', () => {
  const tasks = [{ classMask: [7, 2] }, { classMask: [5, 0] }, { classMask: [1, 9] }];
  const coda = getPreset('cifar100_coda_prompt');
  assert.deepEqual(evalClassMask(coda, tasks[0], tasks.slice(0, 2)), [0, 2, 5, 7]);
  assert.deepEqual(evalClassMask(coda, tasks[1], tasks.slice(0, 3)), [0, 1, 2, 5, 7, 9]);
  assert.equal(evalClassMask(getPreset('cifar100_l2p'), tasks[0], tasks.slice(0, 2)), null);
  assert.equal(evalClassMask(getPreset('cifar100_dualprompt'), tasks[0], tasks.slice(0, 2)), null);
  // Task-incremental evaluation keeps the evaluated task's own classes, under any method.
  const inc = { ...coda, continual: { ...coda.continual, eval_task_inc: true } };
  assert.deepEqual(evalClassMask(inc, tasks[1], tasks.slice(0, 3)), [5, 0]);
});
