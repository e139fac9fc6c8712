// `l2p report`: reads one or more run workdirs and writes one self-contained HTML page comparing
// them, plus a PNG of every chart beside it (rasterised from the same SVG by sharp's librsvg).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { comparisonChart, runCharts } from './charts.ts';
import { reportHtml, type PageRun } from './page.ts';
import { loadRun, type RunData } from './run-data.ts';

export interface ReportOptions {
  /** The HTML file (or a directory to hold report.html); default: <first workdir>/report.html. */
  out?: string;
  /** Write the PNGs (default true). */
  png?: boolean;
}

export interface WrittenReport {
  html: string;
  pngs: string[];
  runs: RunData[];
}

/** SVG to PNG at twice the SVG's size, so text stays crisp. */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 144 }).png().toBuffer();
}

/** Distinct labels: repeated base names get -2, -3, ...; characters unsafe in file names become '_'. */
function uniqueLabels(runs: RunData[]): void {
  const seen = new Map<string, number>();
  for (const r of runs) {
    const base = r.label.replace(/[^A-Za-z0-9._-]/g, '_') || 'run';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    r.label = n === 1 ? base : `${base}-${n}`;
  }
}

export async function writeReport(workdirs: readonly string[], o: ReportOptions = {}): Promise<WrittenReport> {
  if (workdirs.length === 0) throw new UserError('no workdir given: name at least one run directory');
  const runs = workdirs.map(loadRun);
  uniqueLabels(runs);
  let html = resolve(o.out ?? join(workdirs[0], 'report.html'));
  if (existsSync(html) && statSync(html).isDirectory()) html = join(html, 'report.html');
  const dir = dirname(html);
  mkdirSync(dir, { recursive: true });

  const pages: PageRun[] = runs.map((run, k) => ({ run, charts: runCharts(run, k) }));
  const comparison = runs.length > 1 ? comparisonChart(runs) : null;
  const pngName = (k: number | null, key: string) => (k === null || runs.length === 1 ? `report-${key}.png` : `report-${runs[k].label}-${key}.png`);
  const pngs: string[] = [];
  if (o.png ?? true) {
    const jobs: [string, string][] = pages.flatMap((p, k) => p.charts.map((c) => [pngName(k, c.key), c.svg] as [string, string]));
    if (comparison) jobs.push([pngName(null, comparison.key), comparison.svg]);
    for (const [name, svg] of jobs) {
      const file = join(dir, name);
      writeFileAtomic(file, await svgToPng(svg));
      pngs.push(file);
    }
  }
  const written = new Set(pngs.map((p) => relative(dir, p)));
  const pngOf = (k: number | null, key: string) => (written.has(pngName(k, key)) ? pngName(k, key) : undefined);
  writeFileAtomic(html, reportHtml({ runs: pages, comparison, pngOf }));
  return { html, pngs, runs };
}
