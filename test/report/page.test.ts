// The report's pieces on hand-built workdirs: the matrix rebuilt from metrics.jsonl, the per-task
// metrics, the usage sentence, escaping, and a shared-test-set run.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { getPreset } from '../../src/config/index.ts';
import { usageSentence } from '../../src/report/charts.ts';
import { writeReport } from '../../src/report/html-report.ts';
import { matrixFromRecords, perTaskMetrics } from '../../src/report/run-data.ts';
import type { EvalRecord } from '../../src/rundir/records.ts';
import { niceTicks } from '../../src/report/svg.ts';
import { tempDir } from '../fixtures/data/write.ts';

const rec = (task: number, global_step: number, accuracy: number[]): EvalRecord => ({ task, step: 1, global_step, loss: 1, train_accuracy: 0.5, accuracy, elapsed_s: 1 });

test('the matrix from metrics.jsonl takes each task’s last evaluation', () => {
  const records = [rec(0, 1, [10]), rec(0, 2, [20]), rec(1, 3, [15, 30]), rec(1, 4, [12, 40]), rec(2, 5, [11, 35, 50])];
  const { matrix, tasksSeen } = matrixFromRecords(records, false);
  assert.equal(tasksSeen, 3);
  assert.deepEqual(matrix.map((r) => r.map((v) => (Number.isNaN(v) ? null : v))), [
    [20, 12, 11],
    [null, 40, 35],
    [null, null, 50],
  ]);
  const points = perTaskMetrics(matrix, tasksSeen, false);
  assert.deepEqual(points.map((p) => p.avg_acc), [20, 26, 32]);
  // After task 2: task 0 fell from 20 to 11, task 1 from 40 to 35.
  assert.deepEqual(points.map((p) => p.forgetting), [null, 8, 7]);
  const shared = matrixFromRecords([rec(0, 1, [10]), rec(1, 2, [30])], true);
  assert.deepEqual(shared.matrix, [[10, 30]]);
  assert.deepEqual(perTaskMetrics(shared.matrix, 2, true).map((p) => [p.avg_acc, p.forgetting]), [[10, null], [30, null]]);
});

test('the usage sentence names collapse onto the same prompts', () => {
  assert.match(usageSentence([{ counts: [0, 4, 0, 4] }, { counts: [0, 4, 0, 4] }], 4, 2), /2 of 4 prompts were selected \(ids 1, 3\); each input takes 2\. Every task chose the same prompts/);
  assert.match(usageSentence([{ counts: [4, 4, 0, 0] }, { counts: [0, 0, 4, 4] }], 4, 2), /4 of 4 prompts .* 2 distinct prompt sets across 2 tasks/);
});

test('nice ticks', () => {
  assert.deepEqual(niceTicks(0, 100), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(-0.6, 0.5), [-0.5, -0.25, 0, 0.25, 0.5]);
  assert.deepEqual(niceTicks(0.1, 0.7, 6), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  assert.deepEqual(niceTicks(1, 2.2), [1, 1.25, 1.5, 1.75, 2]);
});

test('a shared-test-set run and text from the workdir are written safely', async () => {
  const dir = join(tempDir('report-page'), 'a<b>&"c"');
  mkdirSync(dir, { recursive: true });
  const config = { ...getPreset('core50_l2p_smoke'), data_dir: '<script>alert(1)</script>' };
  const summary = {
    tasks: 2, acc_matrix: [[12.5, 37.25]], avg_acc: 37.25, forgetting: null, backward: null, learning_acc: null,
    prompt_usage: [[0, 8, 0, 8], []], test_time_selection: 'batchwise', shared_test_set: true,
    wall_time_s: 75, train_images: 24, images_per_s: 0.32, config,
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  const r = await writeReport([dir], { png: false });
  const html = readFileSync(r.html, 'utf8');
  assert.doesNotMatch(html, /<script/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /a&lt;b&gt;&amp;&quot;c&quot;/);
  assert.match(html, /data-acc="0,1"[^>]*>37\.25</);
  assert.match(html, />shared test set</);
  assert.match(html, /data-metric="avg_acc">37\.25</);
  assert.doesNotMatch(html, /data-metric="forgetting"/, 'no forgetting with a shared test set');
  assert.match(html, /data-metric="wall_time_s"[^>]*>1m 15s</);
  assert.match(html, /metrics\.jsonl is missing/);
});

test('joint training: one column with every task, no per-task metrics, a level in the comparison', async () => {
  const root = tempDir('report-joint');
  const write = (name: string, method: string, acc_matrix: number[][], avg_acc: number) => {
    const dir = join(root, name);
    mkdirSync(dir);
    const config = { ...getPreset('cifar100_l2p_smoke'), method };
    const seq = method !== 'joint';
    const summary = {
      tasks: 2, acc_matrix, avg_acc, forgetting: seq ? 30 : null, backward: seq ? -30 : null, learning_acc: seq ? 45 : null,
      prompt_usage: [[0, 4, 0, 4], [0, 4, 0, 4]], prompt_selection_accuracy: null, test_time_selection: 'batchwise',
      shared_test_set: false, wall_time_s: 1, train_images: 12, images_per_s: 12, config,
    };
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
    return dir;
  };
  const joint = write('joint', 'joint', [[10], [50]], 30);
  writeFileSync(join(joint, 'metrics.jsonl'), `${JSON.stringify(rec(0, 3, [10, 50]))}\n`);
  const seq = write('seq', 'l2p', [[50, 20], [0, 40]], 30);
  const r = await writeReport([joint, seq, seq], { out: join(root, 'cmp.html'), png: false });
  assert.deepEqual(r.runs.map((x) => x.label), ['joint', 'seq', 'seq-2']);
  assert.equal(r.runs[0].joint, true);
  assert.deepEqual(r.runs[0].perTask, []);
  const html = readFileSync(r.html, 'utf8');
  assert.match(html, /data-run="0" data-acc="1,0"[^>]*>50\.00</);
  // The joint run is a level across the sequential runs' tasks.
  assert.match(html, /data-run="0" data-series="avg_acc" data-t="1" data-value="30\.00"/);
  assert.match(html, /data-run="1" data-series="avg_acc" data-t="0" data-value="50\.00"/);
  assert.match(html, /<td>2 \(joint\)<\/td>/);
  assert.doesNotMatch(html, /id="run0-task-metrics"/);
  assert.match(html, /id="run1-task-metrics"/);
});
