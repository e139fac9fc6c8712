// The report's charts of one run, and of several runs side by side, as SVG strings. Numbers written
// on a chart carry data-* attributes (data-run, data-acc="i,t", data-usage="i,p") so tools and tests
// can read them back.
import type { RunData } from './run-data.ts';
import { BLUES, heatmapSvg, lineChartSvg, PALETTE, VIRIDIS, type Series } from './svg.ts';

export interface Chart {
  /** File-name part and element id: 'acc-matrix', 'task-metrics', 'prompt-usage', 'loss', 'accuracy'. */
  key: string;
  title: string;
  svg: string;
  /** A sentence under the chart. */
  caption: string;
}

/** The fixed formatting of every accuracy-like number in the report (percent, two decimals). */
export const fmt = (v: number): string => v.toFixed(2);

export function accMatrixChart(run: RunData, k: number): Chart | null {
  const m = run.accMatrix;
  if (run.tasksSeen === 0 || m.length === 0) return null;
  const rowLabels = run.sharedTest ? ['shared test set'] : m.map((_, i) => `task ${i}`);
  const svg = heatmapSvg({
    id: `run${k}-acc`,
    title: 'Accuracy matrix (%)',
    rowLabels,
    colLabels: run.joint ? ['all tasks'] : Array.from({ length: run.tasksSeen }, (_, t) => String(t)),
    xTitle: run.joint ? 'after joint training' : 'after training task t',
    yTitle: run.sharedTest ? '' : 'evaluated task i ↓',
    value: (i, t) => ((run.sharedTest || run.joint || i <= t) && Number.isFinite(m[i]?.[t]) ? m[i][t] : null),
    format: (v) => fmt(v),
    scale: (v) => v / 100,
    ramp: VIRIDIS,
    legend: ['0%', '100%'],
    cellAttrs: (i, t) => ({ 'data-run': k, 'data-acc': `${i},${t}` }),
    tooltip: (i, t, v) => `${rowLabels[i]} after ${run.joint ? 'joint training' : `task ${t}`}: ${fmt(v)}%`,
  });
  const caption = run.sharedTest
    ? 'Accuracy on the shared test set after each task.'
    : run.joint
      ? 'Accuracy on each task’s test set after training on all tasks at once.'
      : 'Row i, column t: accuracy on task i’s test set after training task t (only i ≤ t is evaluated). The diagonal is each task just learnt; a row fading to the right is forgetting.';
  return { key: 'acc-matrix', title: 'Accuracy matrix', svg, caption };
}

export function taskMetricsChart(run: RunData, k: number): Chart | null {
  if (run.perTask.length === 0) return null;
  const mk = (name: string, pick: (p: RunData['perTask'][number]) => number | null, color: string, dashed = false): Series => ({
    name,
    color,
    dashed,
    points: run.perTask.flatMap((p) => (pick(p) === null ? [] : [[p.t, pick(p)!] as [number, number]])),
    pointAttrs: (t, v) => ({ 'data-run': k, 'data-series': name, 'data-t': t, 'data-value': fmt(v) }),
  });
  const series = [mk('avg_acc', (p) => p.avg_acc, PALETTE[0])];
  if (!run.sharedTest) series.push(mk('forgetting', (p) => p.forgetting, PALETTE[2]), mk('learning_acc', (p) => p.learning_acc, PALETTE[4], true));
  const svg = lineChartSvg({ title: 'Metrics after each task (%)', xTitle: 'after training task t', yTitle: '%', series, integerX: true, yFloor: 0, dots: true });
  const caption = run.sharedTest
    ? 'avg_acc: accuracy on the shared test set after each task.'
    : 'avg_acc: mean accuracy over the tasks seen; forgetting: mean drop from each earlier task’s best accuracy; learning_acc: mean accuracy of each task right after it was learnt.';
  return { key: 'task-metrics', title: 'Metrics after each task', svg, caption };
}

export function promptUsageChart(run: RunData, k: number): Chart | null {
  const rows = run.promptUsage.map((counts, i) => ({ i, counts })).filter((r) => r.counts.length > 0 && r.counts.some((c) => c > 0));
  if (rows.length === 0) return null;
  const pool = Math.max(...rows.map((r) => r.counts.length));
  const share = (counts: number[], p: number) => (counts[p] ?? 0) / counts.reduce((a, b) => a + b, 0);
  const svg = heatmapSvg({
    id: `run${k}-usage`,
    title: 'Prompt selection per task (share of selections)',
    rowLabels: rows.map((r) => (run.sharedTest ? 'shared test set' : `task ${r.i}`)),
    colLabels: Array.from({ length: pool }, (_, p) => String(p)),
    xTitle: 'prompt id',
    yTitle: run.sharedTest ? '' : 'test inputs of ↓',
    value: (i, p) => share(rows[i].counts, p),
    format: (v) => (v > 0 ? `${Math.round(v * 100)}%` : ''),
    scale: (v) => v,
    ramp: BLUES,
    legend: ['never', 'every selection'],
    cellAttrs: (i, p) => ({ 'data-run': k, 'data-usage': `${rows[i].i},${p}`, 'data-count': rows[i].counts[p] ?? 0 }),
    tooltip: (i, p) => `task ${rows[i].i}: prompt ${p} chosen ${rows[i].counts[p] ?? 0} times`,
  });
  const own = run.summary?.prompt_selection_accuracy;
  const ownSentence = own ? ` Share of each task’s selections in its own slot of the pool: ${own.map((v, i) => `task ${i} ${Math.round(100 * v)}%`).join(', ')}.` : '';
  return { key: 'prompt-usage', title: 'Prompt usage', svg, caption: usageSentence(rows, pool, topK(run)) + ownSentence };
}

function topK(run: RunData): number | null {
  const pp = run.config?.prompt_pool_param as { top_k?: unknown } | undefined;
  return typeof pp?.top_k === 'number' ? pp.top_k : null;
}

/** What the usage says about selection: how many prompts were used at all, and whether tasks share them. */
export function usageSentence(rows: { i: number; counts: number[] }[], pool: number, k: number | null): string {
  const used = (c: number[]) => c.flatMap((n, p) => (n > 0 ? [p] : []));
  const all = [...new Set(rows.flatMap((r) => used(r.counts)))].sort((a, b) => a - b);
  const sets = rows.map((r) => used(r.counts).join(','));
  const parts = [`At the final evaluation, ${all.length} of ${pool} prompts were selected (ids ${all.join(', ')})${k !== null ? `; each input takes ${k}` : ''}.`];
  if (rows.length > 1 && new Set(sets).size === 1 && all.length < pool) {
    parts.push('Every task chose the same prompts: selection has collapsed onto them and the rest of the pool is unused.');
  } else if (rows.length > 1) {
    parts.push(`${new Set(sets).size} distinct prompt sets across ${rows.length} tasks.`);
  }
  return parts.join(' ');
}

export function trainingCharts(run: RunData): Chart[] {
  const recs = run.records;
  if (recs.length === 0) return [];
  const markers: { x: number; label: string }[] = [];
  for (let j = 1; j < recs.length; j++) {
    if (recs[j].task !== recs[j - 1].task) markers.push({ x: recs[j - 1].global_step, label: `task ${recs[j].task}` });
  }
  const loss = lineChartSvg({
    title: 'Training loss',
    xTitle: 'global step',
    yTitle: 'loss (mean since last evaluation)',
    series: [{ name: 'loss', points: recs.filter((r) => Number.isFinite(r.loss)).map((r) => [r.global_step, r.loss]), color: PALETTE[0] }],
    markers,
    dots: recs.length <= 40,
  });
  const evalRows = Math.max(...recs.map((r) => r.accuracy.length));
  const series: Series[] = [
    { name: 'train (batches)', points: recs.filter((r) => Number.isFinite(r.train_accuracy)).map((r) => [r.global_step, 100 * r.train_accuracy]), color: '#555', dashed: true },
  ];
  for (let i = 0; i < evalRows; i++) {
    const name = run.sharedTest ? 'test' : `test task ${i}`;
    series.push({ name, points: recs.filter((r) => Number.isFinite(r.accuracy[i])).map((r) => [r.global_step, r.accuracy[i]]), color: PALETTE[i % PALETTE.length] });
  }
  const acc = lineChartSvg({ title: 'Accuracy during training (%)', xTitle: 'global step', yTitle: '%', series, markers, yFloor: 0, dots: recs.length <= 40 });
  const where = `${recs.length} evaluations; dashed lines mark where each task starts.`;
  const pull = run.config?.pull_constraint === true ? ' (cross-entropy minus the pull constraint’s key–query similarity, so it can fall below zero)' : '';
  return [
    { key: 'loss', title: 'Training loss', svg: loss, caption: `Mean training loss between evaluations${pull}; ${where}` },
    { key: 'accuracy', title: 'Accuracy during training', svg: acc, caption: `Training accuracy over the batches since the previous evaluation, and test accuracy of each task seen at every evaluation; ${where}` },
  ];
}

export function runCharts(run: RunData, k: number): Chart[] {
  const [loss, accuracy] = trainingCharts(run);
  return [accMatrixChart(run, k), taskMetricsChart(run, k), promptUsageChart(run, k), accuracy, loss].filter((c): c is Chart => c != null);
}

/** avg_acc after each task, one line per run; a joint-training run (the upper bound) is a dashed level. */
export function comparisonChart(runs: RunData[]): Chart {
  const lastT = Math.max(0, ...runs.filter((r) => !r.joint).map((r) => r.tasksSeen - 1));
  const series: Series[] = runs.map((r, k) => {
    const avg = r.final.avg_acc;
    const level: [number, number][] = avg === null ? [] : lastT > 0 ? [[0, avg], [lastT, avg]] : [[0, avg]];
    const points = r.joint ? level : r.perTask.map((p) => [p.t, p.avg_acc] as [number, number]);
    return {
      name: r.joint ? `${r.label} (joint)` : r.label,
      color: PALETTE[k % PALETTE.length],
      dashed: r.joint,
      points,
      pointAttrs: (t, v) => ({ 'data-run': k, 'data-series': 'avg_acc', 'data-t': t, 'data-value': fmt(v) }),
    };
  });
  const svg = lineChartSvg({ title: 'avg_acc after each task (%)', xTitle: 'after training task t', yTitle: '%', series, integerX: true, yFloor: 0, dots: true });
  return { key: 'compare-avg-acc', title: 'avg_acc after each task', svg, caption: 'Mean accuracy over the tasks seen so far, per run; joint training, where compared, is the dashed level it reaches.' };
}
