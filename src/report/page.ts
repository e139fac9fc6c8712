// The report as one self-contained HTML page: inline CSS and inline SVG, no script, no font or image
// fetched at view time. Headline numbers are written with data-run and data-metric attributes.
import type { Chart } from './charts.ts';
import { fmt } from './charts.ts';
import { flattenConfig } from '../config/flatten.ts';
import type { RunData } from './run-data.ts';
import { attrs, esc, FONT } from './svg.ts';

export interface PageRun {
  run: RunData;
  charts: Chart[];
}

export interface PageInput {
  runs: PageRun[];
  comparison: Chart | null;
  /** The PNG file (relative to the page) written for a chart, linked under it. */
  pngOf: (runIndex: number | null, key: string) => string | undefined;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2328;font:14px/1.45 ${FONT}}
main{max-width:1160px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:0 0 2px}
h3{font-size:15px;margin:18px 0 8px}
.sub,.meta{color:#59636e;margin:0 0 12px}
.path{font:12px ui-monospace,'DejaVu Sans Mono',monospace;color:#59636e;font-weight:normal;margin-left:8px}
section{background:#fff;border:1px solid #dfe2e6;border-radius:8px;padding:18px 20px;margin:18px 0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0 4px}
.card{border:1px solid #e3e6ea;border-radius:6px;padding:8px 14px;min-width:120px;background:#fafbfc}
.card .k{font-size:12px;color:#59636e}
.card .v{font-size:22px;font-weight:600}
.card .u{font-size:13px;color:#59636e;margin-left:2px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px;margin-top:12px;align-items:start}
figure{margin:0;border:1px solid #eceef1;border-radius:6px;padding:8px;overflow-x:auto}
figure svg{display:block;max-width:100%;height:auto}
figcaption{font-size:12px;color:#59636e;margin-top:6px}
figcaption a{color:#3465a4}
.note{background:#fff8e1;border:1px solid #f0d589;border-radius:6px;padding:8px 12px;margin:10px 0;font-size:13px}
table{border-collapse:collapse;font-size:13px}
th,td{padding:4px 10px;border-bottom:1px solid #eceef1;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.config{columns:2 460px;column-gap:24px}
.config table{width:100%;break-inside:avoid-column}
.config td:first-child{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;white-space:nowrap}
.config td:last-child{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;word-break:break-all}
details summary{cursor:pointer;font-weight:600;margin:16px 0 8px}
`;

/** A number with data attributes, or a dash when there is none. */
function metric(k: number, name: string, v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return `<span${attrs({ 'data-run': k, 'data-metric': name, 'data-missing': '' })}>–</span>`;
  return `<span${attrs({ 'data-run': k, 'data-metric': name })}>${digits === 2 ? fmt(v) : v.toFixed(digits)}</span>`;
}

export function duration(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

function str(c: Record<string, unknown> | null, key: string): string {
  const v = c?.[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '?';
}

function describe(r: RunData): string {
  const c = r.config;
  const parts = [str(c, 'dataset'), str(c, 'method'), str(c, 'model_name'), `${r.numTasks} tasks`];
  if (r.summary) parts.push(`test-time selection ${r.summary.test_time_selection}`);
  parts.push(r.summary ? 'finished' : 'partial');
  return parts.map(esc).join(' · ');
}

function cards(r: RunData, k: number): string {
  const s = r.summary;
  const card = (label: string, body: string, unit = '') => `<div class="card"><div class="k">${esc(label)}</div><div class="v">${body}<span class="u">${esc(unit)}</span></div></div>`;
  const out = [card('avg_acc', metric(k, 'avg_acc', r.final.avg_acc), '%')];
  if (!r.sharedTest && !r.joint) {
    out.push(card('forgetting', metric(k, 'forgetting', r.final.forgetting), '%'));
    out.push(card('learning_acc', metric(k, 'learning_acc', r.final.learning_acc), '%'));
    if (s) out.push(card('backward', metric(k, 'backward', r.final.backward), '%'));
  }
  if (s) {
    out.push(card('wall time', `<span${attrs({ 'data-run': k, 'data-metric': 'wall_time_s', 'data-value': s.wall_time_s })}>${esc(duration(s.wall_time_s))}</span>`));
    out.push(card('throughput', metric(k, 'images_per_s', s.images_per_s, 1), 'img/s'));
  }
  return `<div class="cards">${out.join('')}</div>`;
}

function figure(ch: Chart, png: string | undefined, id: string): string {
  const link = png ? ` <a href="${esc(png)}">PNG</a>` : '';
  return `<figure id="${esc(id)}">${ch.svg}<figcaption>${esc(ch.caption)}${link}</figcaption></figure>`;
}

function configTable(c: Record<string, unknown> | null): string {
  if (!c) return '<p class="meta">No config.json in the workdir.</p>';
  const rows = flattenConfig(c).map(([key, v]) => `<tr><td>${esc(key)}</td><td>${esc(JSON.stringify(v) ?? String(v))}</td></tr>`);
  // Split in two tables so the CSS columns can set them side by side.
  const half = Math.ceil(rows.length / 2);
  const table = (rs: string[]) => `<table><tbody>${rs.join('')}</tbody></table>`;
  return `<div class="config">${table(rows.slice(0, half))}${table(rows.slice(half))}</div>`;
}

function runSection(p: PageRun, k: number, input: PageInput, open: boolean): string {
  const r = p.run;
  const notes = r.notes.map((n) => `<div class="note">${esc(n)}</div>`).join('');
  const figs = p.charts.map((ch) => figure(ch, input.pngOf(k, ch.key), `run${k}-${ch.key}`)).join('');
  const n = r.config ? flattenConfig(r.config).length : 0;
  return (
    `<section class="run" id="run-${k}"${attrs({ 'data-run': k, 'data-workdir': r.workdir })}>` +
    `<h2>${esc(r.label)}<span class="path">${esc(r.workdir)}</span></h2><p class="meta">${describe(r)}</p>${notes}${cards(r, k)}` +
    `<div class="grid">${figs}</div>` +
    `<details${open ? ' open' : ''}><summary>Configuration (${n} keys)</summary>${configTable(r.config)}</details></section>`
  );
}

function comparisonSection(input: PageInput): string {
  const runs = input.runs.map((p) => p.run);
  const head = ['run', 'status', 'dataset', 'method', 'tasks', 'avg_acc (%)', 'forgetting (%)', 'learning_acc (%)', 'wall time', 'img/s'];
  const rows = runs.map((r, k) => {
    const cells = [
      `<a href="#run-${k}">${esc(r.label)}</a>`,
      r.summary ? 'finished' : 'partial',
      esc(str(r.config, 'dataset')),
      esc(str(r.config, 'method')),
      esc(r.joint ? `${r.numTasks} (joint)` : `${r.tasksSeen}/${r.numTasks}`),
    ];
    const nums = [
      metric(k, 'avg_acc', r.final.avg_acc),
      metric(k, 'forgetting', r.final.forgetting),
      metric(k, 'learning_acc', r.final.learning_acc),
      r.summary ? esc(duration(r.summary.wall_time_s)) : '–',
      r.summary ? metric(k, 'images_per_s', r.summary.images_per_s, 1) : '–',
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}${nums.map((c) => `<td class="num">${c}</td>`).join('')}</tr>`;
  });
  const table = `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const fig = input.comparison ? `<div class="grid">${figure(input.comparison, input.pngOf(null, input.comparison.key), 'compare-avg-acc')}</div>` : '';
  return `<section id="comparison"><h2>Comparison</h2>${table}${fig}${configDiff(runs)}</section>`;
}

/** The config keys whose values differ between runs, one column per run. */
function configDiff(runs: RunData[]): string {
  const flat = runs.map((r) => new Map((r.config ? flattenConfig(r.config) : []).map(([k, v]) => [k, JSON.stringify(v) ?? String(v)] as const)));
  const keys = [...new Set(flat.flatMap((m) => [...m.keys()]))].filter((key) => new Set(flat.map((m) => m.get(key))).size > 1);
  if (keys.length === 0) return '<h3>Configuration</h3><p class="meta">The runs share one configuration.</p>';
  const head = `<tr><th>key</th>${runs.map((r) => `<th>${esc(r.label)}</th>`).join('')}</tr>`;
  const rows = keys.map((key) => `<tr><td><code>${esc(key)}</code></td>${flat.map((m) => `<td><code>${esc(m.get(key) ?? '–')}</code></td>`).join('')}</tr>`);
  return `<h3>Configuration keys that differ</h3><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

export function reportHtml(input: PageInput): string {
  const runs = input.runs;
  const title = runs.length === 1 ? `L2P report: ${runs[0].run.label}` : `L2P report: ${runs.length} runs`;
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="sub">Learning to Prompt for Continual Learning · accuracies in percent · written by <code>l2p report</code></p>`,
    runs.length > 1 ? comparisonSection(input) : '',
    ...runs.map((p, k) => runSection(p, k, input, runs.length === 1)),
  ];
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body><main>${body.join('\n')}</main></body></html>\n`;
}
