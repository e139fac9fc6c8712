// TensorBoard step axes as the official train_continual.py writes them, on a real run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readEventDir } from '../../src/report/index.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

const dataDir = tempDir('axes-data');
before(() => writePresetData(dataDir));

test('training scalars on the epoch axis (first step of each epoch and the last step), evaluations at summary_step', async () => {
  // Each task: 8 training images of 2 classes, batch 4 → 2 steps per epoch, 2 epochs → 4 steps; evaluation every epoch.
  const workdir = join(tempDir('axes'), 'run');
  execFileSync(process.execPath, [
    'bin/l2p.mjs', 'train', '--config', 'cifar100_l2p_smoke', '--workdir', workdir, '--workers', '0',
    '--set', `data_dir=${dataDir}`, '--set', 'num_epochs=2', '--set', 'continual.num_train_steps_per_task=-1',
  ], { stdio: 'pipe' });
  const steps = new Map<string, number[]>();
  for await (const e of readEventDir(workdir)) steps.set(e.tag, [...(steps.get(e.tag) ?? []), e.step]);
  // train_summary_step = relative_step // steps_per_epoch + task_id · num_epochs after relative steps 0, 2 and 3 (the last).
  assert.deepEqual(steps.get('loss'), [0, 1, 1, 2, 3, 3]);
  assert.deepEqual(steps.get('task_id'), [0, 1, 1, 2, 3, 3]);
  // summary_step advances at global steps 2, 4, 6, 8; each task evaluates at its epoch ends.
  assert.deepEqual(steps.get('accuracy_0'), [1, 2, 3, 4]);
  assert.deepEqual(steps.get('accuracy_1'), [3, 4]);
  assert.deepEqual(steps.get('avg_acc'), [1, 2, 3, 4]);
  assert.deepEqual(steps.get('forgetting'), [4]);
  assert.deepEqual(steps.get('learning_acc'), [2, 4]);
});
