// sweep.json, sweep.md and the sweep page from a sweep directory whose runs' summary.json files are
// written by hand, so every mean and std below is computed here from the numbers written.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run as report } from '../../src/cli/report.ts';
import { expandGrid, parseGridArg, type SweepSpec } from '../../src/sweep/grid.ts';
import { createSweepDir, PLAN_FORMAT, runDir, type SweepPlan } from '../../src/sweep/plan.ts';
import { buildReport, reportMarkdown } from '../../src/sweep/report.ts';
import { writeSweepPage } from '../../src/sweep/page.ts';

function sweepDir(): { dir: string; plan: SweepPlan } {
  const spec: SweepSpec = { config: 'split_mnist_l2p_smoke', sets: [], grid: [parseGridArg('test_time_selection=batchwise,per_instance')], seeds: [0, 1, 2], classOrder: 'rand_seed' };
  const { points } = expandGrid(spec);
  const plan: SweepPlan = { format: PLAN_FORMAT, spec, launcher: 'local', maxParallel: 1, threads: 1, slurm: null, points: points.map(({ index, id, values, seed, sets }) => ({ index, id, values, seed, sets })) };
  const dir = join(mkdtempSync(join(tmpdir(), 'l2p-sweep-report-')), 'sweep');
  createSweepDir(dir, plan, points);
  return { dir, plan };
}

/** Two tasks: acc = [[a, b], [0, c]] with the official metrics of that matrix. */
function writeRun(dir: string, id: string, a: number, b: number, c: number, selection: string): void {
  const summary = {
    tasks: 2,
    acc_matrix: [
      [a, b],
      [0, c],
    ],
    avg_acc: (b + c) / 2,
    forgetting: Math.max(a, b) - b,
    backward: b - a,
    learning_acc: (a + c) / 2,
    prompt_usage: [],
    prompt_selection_accuracy: null,
    test_time_selection: selection,
    shared_test_set: false,
    wall_time_s: 1,
    train_images: 8,
    images_per_s: 8,
    config: {},
  };
  writeFileSync(join(runDir(dir, id), 'summary.json'), JSON.stringify(summary));
}

test('groups of seeds: mean ± sample std, n, runs, the mean matrix; unfinished points listed, not averaged', async () => {
  const { dir, plan } = sweepDir();
  const [b0, b1, b2, p0] = plan.points.map((p) => p.id);
  // batchwise, seeds 0..2: avg_acc 70, 74, 78; avg incremental (a + avg) / 2 = 75, 77, 79;
  // forgetting 20, 16, 12; backward −20, −16, −12; learning acc 80, 82, 84.
  writeRun(dir, b0, 80, 60, 80, 'batchwise');
  writeRun(dir, b1, 80, 64, 84, 'batchwise');
  writeRun(dir, b2, 80, 68, 88, 'batchwise');
  // per_instance: seed 0 only: avg_acc 80, forgetting 0.
  writeRun(dir, p0, 90, 90, 70, 'per_instance');
  const r = buildReport(dir);
  assert.equal(r.points, 6);
  assert.equal(r.done, 4);
  assert.deepEqual(r.missing, plan.points.slice(4).map((p) => p.id));
  assert.equal(r.groups.length, 2);
  const [g, h] = r.groups;
  assert.deepEqual(g.config, { test_time_selection: 'batchwise' });
  assert.equal(g.n, 3);
  assert.deepEqual(g.runs.map((x) => [x.id, x.seed]), [[b0, 0], [b1, 1], [b2, 2]]);
  assert.deepEqual(g.avg_acc, { mean: 74, std: 4 });
  assert.deepEqual(g.avg_inc_acc, { mean: 77, std: 2 });
  assert.deepEqual(g.forgetting, { mean: 16, std: 4 });
  assert.deepEqual(g.backward, { mean: -16, std: 4 });
  assert.deepEqual(g.learning_acc, { mean: 82, std: 2 });
  assert.deepEqual(g.acc_matrix, { mean: [[80, 64], [null, 84]], std: [[0, 4], [null, 4]] });
  assert.deepEqual(g.avg_acc_per_task, [80, 74]);
  assert.equal(h.n, 1);
  assert.deepEqual(h.avg_acc, { mean: 80, std: null });

  const md = reportMarkdown(r, dir);
  assert.ok(md.includes('| batchwise | batchwise | 3 | 74.00 ± 4.00 | 77.00 ± 2.00 | 16.00 ± 4.00 | -16.00 ± 4.00 | 82.00 ± 2.00 |'), md);
  assert.ok(md.includes('| per_instance | per_instance | 1 | 80.00 | 85.00 | 0.00 | 0.00 | 80.00 |'), md);
  assert.ok(md.includes('| 74.00 ± 4.00 (n=3) | 80.00 (n=1) | 16.00 ± 4.00 (n=3) | 0.00 (n=1) |'), md);
  assert.match(md, /sample standard deviation \(n − 1\)/);

  // `l2p report DIR` on a sweep directory writes sweep.json, sweep.md and the sweep page.
  const log = console.log;
  console.log = () => {};
  try {
    assert.equal(await report([dir, '--no-png']), 0);
    await assert.rejects(report([dir, '--out', join(dir, 'x.html')]), /--out does not apply to a sweep directory/);
  } finally {
    console.log = log;
  }
  const json = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
  assert.deepEqual(Object.keys(json.groups[0]).slice(0, 4), ['config', 'n', 'runs', 'avg_acc']);
  assert.deepEqual(json.groups[0].forgetting, { mean: 16, std: 4 });
  assert.equal(json.std, 'sample (n-1)');
  assert.equal(readFileSync(join(dir, 'sweep.md'), 'utf8'), md);
  const html = readFileSync(join(dir, 'sweep.html'), 'utf8');
  assert.match(html, /data-group="0" data-metric="avg_acc" data-mean="74\.0000" data-std="4\.0000"/);
  assert.match(html, /data-group="1" data-metric="avg_acc" data-mean="80\.0000" data-std=""/);
  assert.match(html, /Batch-wise and per-instance selection side by side/);
  assert.match(html, /data-group="0" data-acc="0,1"/);
  rmSync(dir, { recursive: true, force: true });
});

test('the sweep page with its PNG charts', async () => {
  const { dir, plan } = sweepDir();
  writeRun(dir, plan.points[0].id, 80, 60, 80, 'batchwise');
  const w = await writeSweepPage(dir);
  assert.deepEqual(w.pngs.map((p) => p.slice(dir.length + 1)).sort(), ['sweep-acc-matrix-0.png', 'sweep-avg-acc.png']);
  for (const p of w.pngs) assert.deepEqual([...readFileSync(p).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.match(readFileSync(w.html, 'utf8'), /href="sweep-avg-acc\.png"/);
  rmSync(dir, { recursive: true, force: true });
});
