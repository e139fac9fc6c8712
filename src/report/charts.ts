// The report's charts of one run, and of several runs side by side, as SVG strings. Numbers written
// on a chart carry data-* attributes (data-run, data-acc="i,t", data-curve="i,t", data-usage="i,p")
// so tools and tests can read them back, and each chart's text alternative lists them. The pictures
// of results (matrix, curve, metrics, usage) read only `Results` and `Usage`, so `l2p serve`'s page
// draws them with this same code.
import type { RunData } from './run-data.ts';
import { taskLabel, type Results, type Usage } from './results.ts';
import { BLUES, heatmapSvg, lineChartSvg, PALETTE, VIRIDIS, type Series } from './svg.ts';

export interface Chart {
  /** File-name part and element id: 'acc-matrix', 'task-curve', 'task-metrics', 'prompt-usage', 'loss', 'accuracy'. */
  key: string;
  title: string;
  svg: string;
  /** A sentence under the chart. */
  caption: string;
}

/** The fixed formatting of every accuracy-like number in the report (percent, two decimals). */
export const fmt = (v: number): string => v.toFixed(2);

export function accMatrixChart(r: Results, k: number): Chart | null {
  const m = r.accMatrix;
  if (r.tasksSeen === 0 || m.length === 0) return null;
  const rowLabels = r.sharedTest ? ['shared test set'] : m.map((_, i) => taskLabel(r, i));
  const value = (i: number, t: number) => ((r.sharedTest || r.joint || i <= t) && Number.isFinite(m[i]?.[t]) ? m[i][t] : null);
  const after = (t: number) => (r.joint ? 'after joint training' : `after task ${t}`);
  const alt = rowLabels.map((label, i) => {
    const cells = Array.from({ length: r.tasksSeen }, (_, t) => [t, value(i, t)] as const).filter(([, v]) => v !== null);
    return `${label}: ${cells.map(([t, v]) => `${fmt(v!)}% ${after(t)}`).join(', ')}.`;
  });
  const svg = heatmapSvg({
    id: `run${k}-acc`,
    title: 'Accuracy matrix (%)',
    rowLabels,
    colLabels: r.joint ? ['all tasks'] : Array.from({ length: r.tasksSeen }, (_, t) => String(t)),
    xTitle: r.joint ? 'after joint training' : 'after training task t',
    yTitle: r.sharedTest ? '' : 'evaluated task i ↓',
    value,
    format: (v) => fmt(v),
    scale: (v) => v / 100,
    ramp: VIRIDIS,
    legend: ['0%', '50%', '100%'],
    legendTitle: 'test accuracy',
    cellAttrs: (i, t, v) => ({ 'data-run': k, 'data-acc': `${i},${t}`, 'data-value': v }),
    tooltip: (i, t, v) => `${rowLabels[i]} ${after(t)}: ${fmt(v)}%`,
    alt: `Accuracy in percent on each test set after each training task. ${alt.join(' ')}`,
  });
  const caption = r.sharedTest
    ? 'Accuracy on the shared test set after each task.'
    : r.joint
      ? 'Accuracy on each task’s test set after training on all tasks at once.'
      : 'Row i, column t: accuracy on task i’s test set after training task t (only i ≤ t is evaluated). The diagonal is each task just learnt; a row fading to the right is forgetting.';
  return { key: 'acc-matrix', title: 'Accuracy matrix', svg, caption };
}

/** The points of a series, as text: "98.50 after task 0, 90.00 after task 1". */
const pointsText = (s: Series) => s.points.map(([t, v]) => `${fmt(v)} after task ${t}`).join(', ');

/** Each task's accuracy after every training task from its own on, with avg_acc and forgetting over them. */
export function taskCurveChart(r: Results, k: number): Chart | null {
  if (r.sharedTest || r.joint || r.tasksSeen === 0) return null;
  const series: Series[] = [];
  for (let i = 0; i < Math.min(r.accMatrix.length, r.tasksSeen); i++) {
    const points = r.accMatrix[i].flatMap((v, t) => (t >= i && t < r.tasksSeen && Number.isFinite(v) ? [[t, v] as [number, number]] : []));
    series.push({ name: taskLabel(r, i), color: PALETTE[i % PALETTE.length], points, pointAttrs: (t, v) => ({ 'data-run': k, 'data-curve': `${i},${t}`, 'data-value': v }) });
  }
  const summary = (name: 'avg_acc' | 'forgetting', dashed: boolean): Series => ({
    name,
    color: '#222',
    dashed,
    weight: dashed ? 1.5 : 3,
    points: r.perTask.flatMap((p) => (p[name] === null ? [] : [[p.t, p[name]!] as [number, number]])),
    pointAttrs: (t, v) => ({ 'data-run': k, 'data-series': name, 'data-t': t, 'data-value': v }),
  });
  series.push(summary('avg_acc', false), summary('forgetting', true));
  const alt = series.filter((s) => s.points.length > 0).map((s) => `${s.name}: ${pointsText(s)}.`);
  const svg = lineChartSvg({
    title: 'Accuracy of each task after each training task (%)',
    xTitle: 'after training task t',
    yTitle: 'test accuracy (%)',
    series,
    integerX: true,
    yFloor: 0, yCeil: 100,
    dots: true,
    alt: alt.join(' '),
  });
  const caption = 'One line per task, from the task just learnt on: a line falling to the right is forgetting. Heavy: avg_acc (mean over the tasks seen); dashed: forgetting (mean drop from each earlier task’s best).';
  return { key: 'task-curve', title: 'Accuracy of each task', svg, caption };
}

export function taskMetricsChart(r: Results, k: number): Chart | null {
  if (r.perTask.length === 0) return null;
  const mk = (name: string, pick: (p: Results['perTask'][number]) => number | null, color: string, dashed = false): Series => ({
    name,
    color,
    dashed,
    points: r.perTask.flatMap((p) => (pick(p) === null ? [] : [[p.t, pick(p)!] as [number, number]])),
    pointAttrs: (t, v) => ({ 'data-run': k, 'data-series': name, 'data-t': t, 'data-value': fmt(v) }),
  });
  const series = [mk('avg_acc', (p) => p.avg_acc, PALETTE[0])];
  if (!r.sharedTest) series.push(mk('forgetting', (p) => p.forgetting, PALETTE[2]), mk('learning_acc', (p) => p.learning_acc, PALETTE[4], true));
  const alt = series.filter((s) => s.points.length > 0).map((s) => `${s.name}: ${pointsText(s)}.`);
  const svg = lineChartSvg({ title: 'Metrics after each task (%)', xTitle: 'after training task t', yTitle: '%', series, integerX: true, yFloor: 0, yCeil: 100, dots: true, alt: alt.join(' ') });
  const caption = r.sharedTest
    ? 'avg_acc: accuracy on the shared test set after each task.'
    : 'avg_acc: mean accuracy over the tasks seen; forgetting: mean drop from each earlier task’s best accuracy; learning_acc: mean accuracy of each task right after it was learnt.';
  return { key: 'task-metrics', title: 'Metrics after each task', svg, caption };
}

/**
 * A usage table as a heat map: for each row, the share of its test inputs that chose each item
 * (prompt, prototype) where the items an input takes are known (top_k), else the share of its choices.
 */
export function usageChart(u: Usage, k: number, key = `${u.item}-usage`): Chart | null {
  const rows = u.rows.filter((r) => r.counts.length > 0 && r.counts.some((c) => c > 0));
  if (rows.length === 0) return null;
  const width = Math.max(...rows.map((r) => r.counts.length));
  const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  // Each input makes perInput distinct choices: count / (total / perInput) is the share of inputs, at most 1.
  const share = (counts: number[], p: number) => ((counts[p] ?? 0) * (u.perInput ?? 1)) / total(counts);
  const of = u.perInput ? `inputs` : `choices`;
  const name = (p: number) => u.itemLabels?.[p] ?? String(p);
  const alt = rows.map((r) => {
    const chosen = r.counts.flatMap((n, p) => (n > 0 ? [`${u.item} ${name(p)} ${n} times`] : []));
    return `${r.label}: ${chosen.join(', ')} of ${total(r.counts)}.`;
  });
  const svg = heatmapSvg({
    id: `run${k}-${key}`,
    title: `${cap(u.item)}s chosen per ${u.rowKind} (share of ${u.perInput ? 'its test inputs' : 'choices'})`,
    rowLabels: rows.map((r) => r.label),
    colLabels: Array.from({ length: width }, (_, p) => name(p)),
    xTitle: u.itemLabels ? u.item : `${u.item} id`,
    yTitle: `test inputs of ${u.rowKind} ↓`,
    value: (i, p) => share(rows[i].counts, p),
    format: (v) => (v > 0 ? `${Math.round(v * 100)}%` : ''),
    scale: (v) => v,
    ramp: BLUES,
    legend: u.perInput ? ['no input', 'half', 'every input'] : ['never', 'half', 'every choice'],
    legendTitle: `share of the ${u.rowKind}’s ${of}${u.perInput ? ` choosing the ${u.item}` : ''}`,
    cellAttrs: (i, p) => ({ 'data-run': k, 'data-usage': `${rows[i].key},${p}`, 'data-count': rows[i].counts[p] ?? 0 }),
    tooltip: (i, p) => `${rows[i].label}: ${u.item} ${name(p)} chosen ${rows[i].counts[p] ?? 0} times`,
    alt: `How often the test inputs of each ${u.rowKind} chose each ${u.item}. ${alt.join(' ')}`,
  });
  return { key, title: `${cap(u.item)} usage`, svg, caption: usageSentence(rows, width, u.perInput, u.item, u.rowKind) };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const plural = (s: string) => (/(s|x|ch|sh)$/.test(s) ? `${s}es` : `${s}s`);

export function promptUsageChart(run: RunData, k: number): Chart | null {
  const usage: Usage = {
    item: 'prompt',
    rowKind: 'task',
    rows: run.promptUsage.map((counts, i) => ({ key: i, label: run.sharedTest ? 'shared test set' : taskLabel(run, i), counts })),
    perInput: topK(run),
  };
  const chart = usageChart(usage, k);
  if (!chart) return null;
  const own = run.summary?.prompt_selection_accuracy;
  const ownSentence = own ? ` Share of each task’s selections in its own slot of the pool: ${own.map((v, i) => `task ${i} ${Math.round(100 * v)}%`).join(', ')}.` : '';
  return { ...chart, caption: chart.caption + ownSentence };
}

function topK(run: RunData): number | null {
  const pp = run.config?.prompt_pool_param as { top_k?: unknown } | undefined;
  return typeof pp?.top_k === 'number' ? pp.top_k : null;
}

/** What the usage says about selection: how many items were used at all, and whether rows share them. */
export function usageSentence(rows: { counts: number[] }[], pool: number, k: number | null, item = 'prompt', rowKind = 'task'): string {
  const used = (c: number[]) => c.flatMap((n, p) => (n > 0 ? [p] : []));
  const all = [...new Set(rows.flatMap((r) => used(r.counts)))].sort((a, b) => a - b);
  const sets = rows.map((r) => used(r.counts).join(','));
  const parts = [`At the final evaluation, ${all.length} of ${pool} ${item}s were selected (ids ${all.join(', ')})${k !== null ? `; each input takes ${k}` : ''}.`];
  if (rows.length > 1 && new Set(sets).size === 1 && all.length < pool) {
    parts.push(`Every ${rowKind} chose the same ${item}s: selection has collapsed onto them and the rest of the pool is unused.`);
  } else if (rows.length > 1) {
    parts.push(`${new Set(sets).size} distinct ${item} sets across ${rows.length} ${plural(rowKind)}.`);
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
  const acc = lineChartSvg({ title: 'Accuracy during training (%)', xTitle: 'global step', yTitle: '%', series, markers, yFloor: 0, yCeil: 100, dots: recs.length <= 40 });
  const where = `${recs.length} evaluations; dashed lines mark where each task starts.`;
  const pull = run.config?.pull_constraint === true ? ' (cross-entropy minus the pull constraint’s key–query similarity, so it can fall below zero)' : '';
  return [
    { key: 'loss', title: 'Training loss', svg: loss, caption: `Mean training loss between evaluations${pull}; ${where}` },
    { key: 'accuracy', title: 'Accuracy during training', svg: acc, caption: `Training accuracy over the batches since the previous evaluation, and test accuracy of each task seen at every evaluation; ${where}` },
  ];
}

export function runCharts(run: RunData, k: number): Chart[] {
  const [loss, accuracy] = trainingCharts(run);
  return [accMatrixChart(run, k), taskCurveChart(run, k), taskMetricsChart(run, k), promptUsageChart(run, k), accuracy, loss].filter((c): c is Chart => c != null);
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
  const svg = lineChartSvg({ title: 'avg_acc after each task (%)', xTitle: 'after training task t', yTitle: '%', series, integerX: true, yFloor: 0, yCeil: 100, dots: true });
  return { key: 'compare-avg-acc', title: 'avg_acc after each task', svg, caption: 'Mean accuracy over the tasks seen so far, per run; joint training, where compared, is the dashed level it reaches.' };
}
