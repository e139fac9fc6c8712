// The page's results as pictures: the accuracy matrix as a heat map, each task's accuracy after each
// training task (avg_acc and forgetting along), which prompts the test inputs of each task and each
// class chose, and the training loss step by step while a task trains. Drawn by the HTML report's own chart code (src/report/charts.ts) from the run's
// snapshot, after every task; each picture carries its numbers as text (the SVG's description and a
// table under it).
import { accMatrixChart, fmt, taskCurveChart, usageChart, type Chart } from '../../report/charts.ts';
import { lineChartSvg, PALETTE } from '../../report/svg.ts';
import { perTaskMetrics, type Results, type Usage } from '../../report/results.ts';
import { $ } from './dom.ts';
import type { RunSnapshot } from './run.ts';

/** The snapshot's first n tasks as the charts read them: acc[i][t] for i <= t, NaN below the diagonal. */
export function pageResults(s: RunSnapshot): Results {
  const n = s.trainedTasks;
  const accMatrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, t) => (i <= t ? (s.accMatrix[i]?.[t] ?? NaN) : NaN)));
  const taskLabels = Array.from({ length: n }, (_, i) => `task ${i} (${(s.tasks[i]?.classMask ?? []).map((k) => s.classes[k] ?? String(k)).join(', ')})`);
  return { accMatrix, tasksSeen: n, sharedTest: false, joint: false, perTask: perTaskMetrics(accMatrix, n, false), taskLabels };
}

/** Prompt choices of each trained task's test inputs at the last evaluation, and of each class's latest test images. */
export function pageUsage(s: RunSnapshot): { tasks: Usage; classes: Usage } {
  const pool = s.config.prompt_pool_param.pool_size;
  const perInput = s.config.prompt_pool_param.top_k;
  const tasks: Usage = {
    item: 'prompt',
    rowKind: 'task',
    rows: s.promptUsage.slice(0, s.trainedTasks).map((counts, i) => ({ key: i, label: `task ${i}`, counts })),
    perInput,
  };
  const classes: Usage = {
    item: 'prompt',
    rowKind: 'class',
    rows: s.classes.flatMap((name, k) => {
      const ids = s.classPrompts[k] ?? [];
      if (ids.length === 0) return [];
      const counts = new Array<number>(pool).fill(0);
      for (const id of ids) counts[id]++;
      return [{ key: k, label: name, counts }];
    }),
    perInput,
  };
  return { tasks, classes };
}

export function renderResults(s: RunSnapshot | undefined): void {
  if (!s || s.trainedTasks === 0) {
    $('results').textContent = 'No task trained yet.';
    return;
  }
  const r = pageResults(s);
  const usage = pageUsage(s);
  const last = r.perTask[r.perTask.length - 1];
  const headline = el('p', 'headline');
  headline.textContent = `avg_acc ${last ? fmt(last.avg_acc) : '–'}% | forgetting ${last?.forgetting != null ? fmt(last.forgetting) : '–'}`;
  const cards = el('div', 'cards');
  cards.innerHTML = [
    card('avg_acc', last?.avg_acc, '%'),
    card('forgetting', last?.forgetting, '%'),
    card('learning_acc', last?.learning_acc, '%'),
    `<div class="card"><div class="k">tasks trained</div><div class="v">${r.tasksSeen}</div></div>`,
  ].join('');
  const figs = el('div', 'figs');
  figs.append(
    ...[
      figure(accMatrixChart(r, 0), matrixTable(r)),
      figure(taskCurveChart(r, 0), metricsTable(r)),
      figure(usageChart(usage.tasks, 0), usageTable(usage.tasks)),
      figure(usageChart(usage.classes, 0, 'class-prompts'), usageTable(usage.classes)),
    ].flatMap((f) => (f ? [f] : [])),
  );
  $('results').replaceChildren(cards, headline, figs);
}

function el(tag: string, className: string): HTMLElement {
  const e = document.createElement(tag);
  e.className = className;
  return e;
}

function card(name: string, v: number | null | undefined, unit: string): string {
  const value = v === null || v === undefined ? '–' : fmt(v);
  return `<div class="card"><div class="k">${name}</div><div class="v" data-metric="${name}">${value}<span class="u">${unit}</span></div></div>`;
}

/** A chart with its caption and, folded under it, its numbers as a table. */
function figure(chart: Chart | null, table: string): HTMLElement | null {
  if (!chart) return null;
  const f = el('figure', 'chart');
  f.id = `fig-${chart.key}`;
  f.innerHTML = `${chart.svg}<figcaption>${escapeHtml(chart.caption)}<details><summary>Numbers</summary>${table}</details></figcaption>`;
  return f;
}

function matrixTable(r: Results): string {
  const n = r.tasksSeen;
  const head = `<tr><th>task tested \\ after task</th>${Array.from({ length: n }, (_, t) => `<th>${t}</th>`).join('')}</tr>`;
  const rows = r.accMatrix.map((row, i) => `<tr><th>${escapeHtml(r.taskLabels?.[i] ?? String(i))}</th>${row.map((v) => `<td>${Number.isFinite(v) ? fmt(v) : ''}</td>`).join('')}</tr>`);
  return `<table>${head}${rows.join('')}</table>`;
}

function metricsTable(r: Results): string {
  const cell = (v: number | null) => `<td>${v === null ? '–' : fmt(v)}</td>`;
  const rows = r.perTask.map((p) => `<tr><td>${p.t}</td>${cell(p.avg_acc)}${cell(p.forgetting)}${cell(p.learning_acc)}</tr>`);
  return `<table><tr><th>after task</th><th>avg_acc</th><th>forgetting</th><th>learning_acc</th></tr>${rows.join('')}</table>`;
}

/** Each row's most chosen items, most first: "3 (50%), 7 (25%)". */
function usageTable(u: Usage): string {
  const rows = u.rows.flatMap((r) => {
    const total = r.counts.reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    const top = r.counts.flatMap((c, p) => (c > 0 ? [[p, c]] : [])).sort((a, b) => b[1] - a[1]);
    return [`<tr><td>${escapeHtml(r.label)}</td><td>${top.map(([p, c]) => `${p} (${((100 * c) / total).toFixed(0)}%)`).join(', ')}</td></tr>`];
  });
  return `<table><tr><th>${u.rowKind}</th><th>${u.item} ids chosen (share)</th></tr>${rows.join('')}</table>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** One training step as the loss chart plots it. */
export interface LossPoint {
  globalStep: number;
  task: number;
  loss: number;
}

/** The training loss of every step since the page was opened, with task starts marked; redrawn as steps come. */
export function lossChart(points: readonly LossPoint[]): string {
  const markers = points.flatMap((p, j) => (j > 0 && p.task !== points[j - 1].task ? [{ x: points[j - 1].globalStep, label: `task ${p.task}` }] : []));
  const last = points[points.length - 1];
  return lineChartSvg({
    title: 'Training loss (this session)',
    xTitle: 'global step',
    yTitle: 'loss',
    series: [{ name: 'loss', color: PALETTE[0], points: points.map((p) => [p.globalStep, p.loss]), pointAttrs: (x, y) => ({ 'data-step': x, 'data-value': y }) }],
    markers,
    dots: points.length <= 60,
    height: 220,
    alt: last ? `${points.length} steps; the last, global step ${last.globalStep} of task ${last.task}, had loss ${last.loss.toFixed(4)}.` : 'no step yet',
  });
}
