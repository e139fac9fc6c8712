// The result pictures on a hand-made run: the heat map's cells, the per-task curve's points and the
// usage cells hold the numbers given, avg_acc and forgetting are the hand-computed ones, and each
// picture names its numbers in its text alternative and labels its colour scale.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accMatrixChart, promptUsageChart, runCharts, taskCurveChart, usageChart } from '../../src/report/charts.ts';
import { perTaskMetrics, type Results } from '../../src/report/results.ts';
import type { RunData } from '../../src/report/run-data.ts';

/** Every element carrying `attr`: its attributes and the text right after its opening tag. */
function withAttr(svg: string, attr: string): { tag: string; attrs: Record<string, string>; text: string }[] {
  const out = [];
  for (const m of svg.matchAll(/<([a-z]+)((?:\s+[\w-]+="[^"]*")*)\s*\/?>([^<]*)/g)) {
    const attrs = Object.fromEntries([...m[2].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
    if (attr in attrs) out.push({ tag: m[1], attrs, text: m[3] });
  }
  return out;
}

const N = NaN;
const matrix = [
  [80, 60, 50],
  [N, 90, 70],
  [N, N, 95],
];
const results: Results = { accMatrix: matrix, tasksSeen: 3, sharedTest: false, joint: false, perTask: perTaskMetrics(matrix, 3, false) };
const usage = [
  [0, 3, 1, 0],
  [2, 0, 0, 2],
  [0, 0, 0, 4],
];
const run: RunData = {
  ...results,
  workdir: '/x',
  label: 'x',
  summary: null,
  config: { prompt_pool_param: { top_k: 1 } },
  records: [],
  numTasks: 3,
  promptUsage: usage,
  final: { avg_acc: null, forgetting: null, backward: null, learning_acc: null },
  notes: [],
};

test('the heat map writes acc[i][t] in its cells for i <= t only, with a labelled scale and the numbers as text', () => {
  const svg = accMatrixChart(results, 0)!.svg;
  const cells = withAttr(svg, 'data-acc').filter((e) => e.tag === 'text');
  assert.deepEqual(cells.map((c) => [c.attrs['data-acc'], c.text]), [
    ['0,0', '80.00'],
    ['0,1', '60.00'],
    ['0,2', '50.00'],
    ['1,1', '90.00'],
    ['1,2', '70.00'],
    ['2,2', '95.00'],
  ]);
  const rects = withAttr(svg, 'data-acc').filter((e) => e.tag === 'rect');
  assert.deepEqual(rects.map((r) => Number(r.attrs['data-value'])), [80, 60, 50, 90, 70, 95]);
  assert.match(svg, /^<svg [^>]*role="img"[^>]*><title>Accuracy matrix \(%\)<\/title><desc>[^<]*task 0: 80\.00% after task 0, 60\.00% after task 1, 50\.00% after task 2\. task 1: 90\.00% after task 1, 70\.00% after task 2\. task 2: 95\.00% after task 2\.<\/desc>/);
  assert.match(svg, />test accuracy</);
  for (const label of ['0%', '50%', '100%']) assert.match(svg, new RegExp(`>${label}<`));
});

test('the per-task curve: each task from its own task on, avg_acc and forgetting as computed by hand', () => {
  const svg = taskCurveChart(results, 0)!.svg;
  const points = withAttr(svg, 'data-curve').map((p) => [p.attrs['data-curve'], Number(p.attrs['data-value'])]);
  assert.deepEqual(points.sort(), [['0,0', 80], ['0,1', 60], ['0,2', 50], ['1,1', 90], ['1,2', 70], ['2,2', 95]]);
  const series = (name: string) => withAttr(svg, 'data-series').filter((p) => p.attrs['data-series'] === name).map((p) => [Number(p.attrs['data-t']), Number(p.attrs['data-value'])]);
  assert.deepEqual(series('avg_acc'), [[0, 80], [1, 75], [2, 215 / 3]]);
  // After task 1: task 0 fell 80 -> 60. After task 2: task 0 80 -> 50 and task 1 90 -> 70.
  assert.deepEqual(series('forgetting'), [[1, 20], [2, 25]]);
  assert.match(svg, /<desc>task 0: 80\.00 after task 0, 60\.00 after task 1, 50\.00 after task 2\. .*avg_acc: 80\.00 after task 0, 75\.00 after task 1, 71\.67 after task 2\. forgetting: 20\.00 after task 1, 25\.00 after task 2\.<\/desc>/);
  assert.equal(taskCurveChart({ ...results, sharedTest: true }, 0), null, 'no per-task lines with one shared test set');
});

test('usage: each cell holds its count and share; the same picture serves prototypes by name', () => {
  const chart = promptUsageChart(run, 0)!;
  const cells = withAttr(chart.svg, 'data-usage').filter((e) => e.tag === 'rect');
  assert.equal(cells.length, 12);
  for (const c of cells) {
    const [i, p] = c.attrs['data-usage'].split(',').map(Number);
    assert.equal(Number(c.attrs['data-count']), usage[i][p], `usage[${i}][${p}]`);
  }
  const shares = withAttr(chart.svg, 'data-usage').filter((e) => e.tag === 'text').map((e) => [e.attrs['data-usage'], e.text]);
  assert.deepEqual(shares, [['0,1', '75%'], ['0,2', '25%'], ['1,0', '50%'], ['1,3', '50%'], ['2,3', '100%']]);
  assert.match(chart.svg, /<desc>[^<]*task 0: prompt 1 3 times, prompt 2 1 times of 4\./);
  assert.match(chart.caption, /^At the final evaluation, 4 of 4 prompts were selected \(ids 0, 1, 2, 3\); each input takes 1\. 3 distinct prompt sets across 3 tasks\.$/);
  const protos = usageChart({ item: 'prototype', rowKind: 'task', rows: [{ key: 0, label: 'task 0', counts: [5, 1] }], perInput: 1, itemLabels: ['cat', 'dog'] }, 0)!;
  assert.equal(protos.key, 'prototype-usage');
  assert.match(protos.svg, /<title>Prototypes chosen per task \(share of its test inputs\)<\/title>/);
  assert.match(protos.svg, />cat<.*>dog</s);
  assert.match(protos.svg, /task 0: prototype cat 5 times, prototype dog 1 times of 6\./);
});

test('usage with top_k 2: the share of inputs that chose each prompt, every input a full cell', () => {
  // Four inputs, each choosing prompts 0 and 1; two choosing 2 and 3.
  const u = usageChart({ item: 'prompt', rowKind: 'class', rows: [{ key: 0, label: 'a', counts: [4, 4, 0, 0] }, { key: 1, label: 'b', counts: [0, 0, 2, 2] }], perInput: 2 }, 0)!;
  const shares = withAttr(u.svg, 'data-usage').filter((e) => e.tag === 'text').map((e) => [e.attrs['data-usage'], e.text]);
  assert.deepEqual(shares, [['0,0', '100%'], ['0,1', '100%'], ['1,2', '100%'], ['1,3', '100%']]);
  assert.match(u.svg, />every input</);
  assert.match(u.caption, /2 distinct prompt sets across 2 classes\./);
});

test("the report's charts of a run include the per-task curve", () => {
  assert.deepEqual(runCharts(run, 0).map((c) => c.key), ['acc-matrix', 'task-curve', 'task-metrics', 'prompt-usage']);
});
