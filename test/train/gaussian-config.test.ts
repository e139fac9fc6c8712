// The Gaussian schedule reads continual.num_tasks and num_train_steps_per_task, as official
// create_gaussian_cifar100 passes them to gaussian_schedule.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { gaussianSchedule, scheduleKey } from '../../src/data/gaussian.ts';
import { streamFor } from '../../src/train/stream.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

const dataDir = tempDir('gaussian-data');
before(() => writePresetData(dataDir));

test('the episodes are those of gaussian_schedule(num_tasks, num_train_steps_per_task)', async () => {
  const base = getPreset('cifar100_gaussian_l2p');
  const c = { ...base, data_dir: dataDir, continual: { ...base.continual, num_tasks: 20, num_train_steps_per_task: 5 } };
  const stream = await streamFor(c);
  const want = gaussianSchedule(scheduleKey(c.seed), { numTasks: 20, stepsPerTask: 5 });
  assert.equal(stream.tasks.length, 20);
  assert.deepEqual(stream.tasks.map((t) => t.classMask), want.map((e) => e.labels));
  // Not the official config's 200-episode schedule cut short.
  const official = gaussianSchedule(scheduleKey(c.seed));
  assert.notDeepEqual(want.map((e) => e.labels), official.slice(0, 20).map((e) => e.labels));
});
