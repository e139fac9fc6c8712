// The library verbs on a real smoke run: train with progress to a callback, reopen the run,
// evaluate it to the numbers it reported, predict from tensors and from image files.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodePng } from '../../src/data/image.ts';
import { disposeAll, evaluate, getPreset, openRun, predict, readImages, testBatch, train, UserError, writeReport, type RunSummary } from '../../src/index.ts';
import { pattern, tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';

const dataDir = tempDir('api-data');
const workdir = join(tempDir('api'), 'run');
const progress: string[] = [];
let summary: RunSummary;

before(async () => {
  await writePresetData(dataDir);
  // num_eval_steps -1: the run's own evaluations cover whole test splits, as evaluate() does.
  const config = { ...getPreset('cifar100_l2p_smoke'), data_dir: dataDir, num_eval_steps: -1 };
  summary = await train(config, { workdir, workers: 0, progress: (line) => progress.push(line) });
});
after(() => disposeAll());

test('train reports progress to the callback and returns the summary', () => {
  assert.equal(summary.tasks, 2);
  assert.ok(progress.some((l) => l.startsWith('warning: ViT-mu_8 is a test size that exists only as random weights')), progress.join('\n'));
  assert.ok(progress.some((l) => /^task 2\/2: /.test(l)));
  assert.ok(progress.every((l) => !l.endsWith('\n')));
});

test('train validates an edited preset, naming the key', async () => {
  const bad = { ...getPreset('cifar100_l2p_smoke'), num_epochs: 'two' } as unknown as ReturnType<typeof getPreset>;
  await assert.rejects(train(bad, { workdir: join(tempDir('api-bad'), 'run'), progress: false }), (e: Error) => e instanceof UserError && /num_epochs/.test(e.message));
});

test('evaluate reproduces the final column of the accuracy matrix', async () => {
  const run = openRun(workdir);
  const ev = await evaluate(run, { workers: 0 });
  assert.equal(ev.selection, summary.test_time_selection);
  assert.deepEqual(ev.tasks, [0, 1]);
  assert.deepEqual(ev.accuracy, summary.acc_matrix.map((row) => row[1]));
  assert.deepEqual(ev.promptUsage, summary.prompt_usage);
});

test('predict gives a class and top_k prompt ids per image, from tensors or files', async () => {
  const run = openRun(workdir, { selection: 'per_instance' });
  const { images: four, labels } = await testBatch(run, { task: 0, size: 4 });
  assert.equal(labels.length, 4, 'the fixture holds 2 test images per class');
  const px = 32 * 32 * 3;
  // Six images: more than one per_device_batch_size chunk of 4.
  const images = new Float32Array(6 * px);
  images.set(four);
  images.set(four.subarray(0, 2 * px), 4 * px);
  const p = await predict(run, images);
  assert.equal(p.selection, 'per_instance');
  assert.equal(p.classes.length, 6);
  assert.equal(p.prompts.length, 6);
  for (const ids of p.prompts) assert.equal(ids.length, run.config.prompt_pool_param.top_k);
  // Per-instance selection: the answer for an image does not depend on the batch it came in.
  for (let i = 0; i < 6; i++) {
    const one = await predict(run, images.subarray(i * px, (i + 1) * px));
    assert.equal(one.classes[0], p.classes[i]);
    assert.deepEqual(one.prompts[0], p.prompts[i]);
  }
  const file = join(tempDir('api-img'), 'a.png');
  writeFileSync(file, await encodePng(pattern(7, 40, 30, 3)));
  const fromFiles = await readImages(run, [file, await encodePng(pattern(8, 32, 32, 1))]);
  assert.equal(fromFiles.length, 2 * 32 * 32 * 3);
  assert.equal((await predict(run, fromFiles)).classes.length, 2);
  await assert.rejects(predict(run, new Float32Array(10)), /images must be \[B, 32, 32, 3\] float32/);
  await assert.rejects(readImages(run, [join(dataDir, 'missing.png')]), /cannot read image '.*missing.png': ENOENT/);
});

test('writeReport is l2p report', async () => {
  const r = await writeReport([workdir], { png: false });
  assert.equal(r.html, join(workdir, 'report.html'));
  assert.deepEqual(r.pngs, []);
  assert.equal(r.runs[0].summary?.avg_acc, summary.avg_acc);
});
