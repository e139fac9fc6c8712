// The sweep page of `l2p report`: the groups' table (mean ± sample std over seeds), the batch-wise
// and per-instance selections side by side, avg_acc after each task per group, and each group's
// mean accuracy matrix; self-contained HTML with a PNG of every chart beside it.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { svgToPng } from '../report/html-report.ts';
import { attrs, esc, FONT, heatmapSvg, lineChartSvg, PALETTE, VIRIDIS, type Series } from '../report/svg.ts';
import type { MeanStd } from './stats.ts';
import { METRIC_TITLES, METRICS, pm, selectionPairs, writeSweepReport, type SweepGroup, type SweepReport } from './report.ts';

interface Chart {
  key: string;
  svg: string;
  caption: string;
}

const CSS = `
body{margin:0;background:#f4f5f7;color:#1f2328;font:14px/1.45 ${FONT}}
main{max-width:1160px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:0 0 8px}
.sub{color:#59636e;margin:0 0 12px}
section{background:#fff;border:1px solid #dfe2e6;border-radius:8px;padding:18px 20px;margin:18px 0}
table{border-collapse:collapse;font-size:13px}
th,td{padding:4px 10px;border-bottom:1px solid #eceef1;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px;margin-top:12px;align-items:start}
figure{margin:0;border:1px solid #eceef1;border-radius:6px;padding:8px;overflow-x:auto}
figure svg{display:block;max-width:100%;height:auto}
figcaption{font-size:12px;color:#59636e;margin-top:6px}
`;

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** A group's name: its grid values, or 'all runs' for a seeds-only sweep. */
export function groupLabel(g: SweepGroup): string {
  const parts = Object.entries(g.config).map(([k, v]) => `${k.split('.').pop()}=${show(v)}`);
  return parts.length ? parts.join(' ') : 'all runs';
}

function num(g: number, metric: string, v: MeanStd | null): string {
  const a = v ? { 'data-mean': v.mean.toFixed(4), 'data-std': v.std === null ? '' : v.std.toFixed(4) } : { 'data-missing': '' };
  return `<td class="num"${attrs({ 'data-group': g, 'data-metric': metric, ...a })}>${esc(pm(v))}</td>`;
}

function groupsTable(r: SweepReport): string {
  const head = [...r.grid_keys, 'selection', 'n', ...METRICS.map((m) => METRIC_TITLES[m])];
  const rows = r.groups.map((g, k) => `<tr>${r.grid_keys.map((key) => `<td><code>${esc(show(g.config[key] ?? ''))}</code></td>`).join('')}<td>${esc(g.test_time_selection)}</td><td class="num">${g.n}</td>${METRICS.map((m) => num(k, m, g[m])).join('')}</tr>`);
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function pairsTable(r: SweepReport): string {
  const pairs = selectionPairs(r);
  if (pairs.length === 0) return '';
  const sels = [...new Set(r.groups.map((g) => g.test_time_selection))].sort();
  const rest = r.grid_keys.filter((k) => k !== 'test_time_selection' && k !== 'prompt_pool_param.batchwise_prompt');
  const cols = (['avg_acc', 'forgetting'] as const).flatMap((m) => sels.map((s) => ({ m, s })));
  const head = [...rest, ...cols.map((c) => `${METRIC_TITLES[c.m]} (${c.s})`)];
  const rows = pairs.map((p) => `<tr>${rest.map((k) => `<td><code>${esc(show(p.config[k] ?? ''))}</code></td>`).join('')}${cols.map((c) => { const g = p.bySelection.get(c.s); return `<td class="num">${g ? `${esc(pm(g[c.m]))} <small>(n=${g.n})</small>` : '–'}</td>`; }).join('')}</tr>`);
  return `<h2>Batch-wise and per-instance selection side by side</h2><table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function sweepCharts(r: SweepReport): Chart[] {
  const charts: Chart[] = [];
  if (r.groups.length > 0) {
    const series: Series[] = r.groups.map((g, k) => ({
      name: groupLabel(g),
      color: PALETTE[k % PALETTE.length],
      points: g.avg_acc_per_task.map((v, t) => [t, v] as [number, number]),
      pointAttrs: (t, v) => ({ 'data-group': k, 'data-t': t, 'data-value': v.toFixed(2) }),
    }));
    charts.push({
      key: 'avg-acc',
      svg: lineChartSvg({ title: 'avg_acc after each task, mean over seeds (%)', xTitle: 'after training task t', yTitle: '%', series, integerX: true, yFloor: 0, dots: true }),
      caption: 'Per configuration, the mean over its seeds of avg_acc after each task.',
    });
  }
  r.groups.forEach((g, k) => {
    const m = g.acc_matrix;
    if (!m) return;
    const rows = m.mean.length;
    const cols = m.mean[0]?.length ?? 0;
    const rowLabels = g.shared_test_set ? ['shared test set'] : Array.from({ length: rows }, (_, i) => `task ${i}`);
    charts.push({
      key: `acc-matrix-${k}`,
      svg: heatmapSvg({
        id: `group${k}-acc`,
        title: `Mean accuracy matrix (%), ${groupLabel(g)}`.slice(0, 90),
        rowLabels,
        colLabels: Array.from({ length: cols }, (_, t) => String(t)),
        xTitle: 'after training task t',
        yTitle: g.shared_test_set ? '' : 'evaluated task i ↓',
        value: (i, t) => m.mean[i]?.[t] ?? null,
        format: (v) => v.toFixed(1),
        scale: (v) => v / 100,
        ramp: VIRIDIS,
        legend: ['0%', '100%'],
        cellAttrs: (i, t) => ({ 'data-group': k, 'data-acc': `${i},${t}` }),
        tooltip: (i, t, v) => `${rowLabels[i]} after task ${t}: ${v.toFixed(2)}%${m.std[i]?.[t] != null ? ` ± ${m.std[i][t]!.toFixed(2)}` : ''} (n=${g.n})`,
      }),
      caption: `Entry-wise mean over the ${g.n} run${g.n > 1 ? 's' : ''} of ${groupLabel(g)} (hover for the sample std).`,
    });
  });
  return charts;
}

export function sweepHtml(r: SweepReport, dir: string, pngOf: (key: string) => string | undefined): string {
  const charts = sweepCharts(r);
  const figs = charts.map((c) => {
    const png = pngOf(c.key);
    return `<figure id="${esc(c.key)}">${c.svg}<figcaption>${esc(c.caption)}${png ? ` <a href="${esc(png)}">PNG</a>` : ''}</figcaption></figure>`;
  });
  const title = `L2P sweep: ${dir}`;
  const missing = r.missing.length ? `<p class="sub">Not finished, left out: ${r.missing.map((m) => `<code>${esc(m)}</code>`).join(', ')}</p>` : '';
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="sub">${r.done} of ${r.points} points finished · mean ± sample standard deviation (n − 1) over seeds · accuracies in percent · written by <code>l2p report</code></p>`,
    missing,
    `<section id="groups"><h2>Configurations</h2>${groupsTable(r)}${pairsTable(r)}</section>`,
    `<section id="charts"><div class="grid">${figs.join('')}</div></section>`,
  ];
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body><main>${body.join('\n')}</main></body></html>\n`;
}

/** sweep.json, sweep.md, and the sweep page DIR/sweep.html with its PNGs. */
export async function writeSweepPage(dir: string, o: { png?: boolean } = {}): Promise<{ report: SweepReport; json: string; markdown: string; html: string; pngs: string[] }> {
  const written = writeSweepReport(dir);
  const pngs: string[] = [];
  const names = new Map<string, string>();
  if (o.png ?? true) {
    for (const c of sweepCharts(written.report)) {
      const name = `sweep-${c.key}.png`;
      writeFileAtomic(join(dir, name), await svgToPng(c.svg));
      pngs.push(join(dir, name));
      names.set(c.key, name);
    }
  }
  const html = join(dir, 'sweep.html');
  writeFileAtomic(html, sweepHtml(written.report, dir, (k) => names.get(k)));
  return { ...written, html, pngs };
}
