// `l2p sweep report`: the finished points of a sweep grouped by configuration (the points that
// differ only by seed), with mean ± sample std over each group, as DIR/sweep.json and DIR/sweep.md.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { avgAcc } from '../rundir/metrics.ts';
import type { RunSummary } from '../rundir/summary.ts';
import { readPlan, runDir, type SweepPlan } from './plan.ts';
import { matrixMeanStd, meanStd, runMetrics, type MeanStd, type RunMetrics } from './stats.ts';

export const METRICS = ['avg_acc', 'avg_inc_acc', 'forgetting', 'backward', 'learning_acc'] as const;
export type MetricName = (typeof METRICS)[number];

export const METRIC_TITLES: Record<MetricName, string> = {
  avg_acc: 'final avg_acc',
  avg_inc_acc: 'avg incremental acc',
  forgetting: 'forgetting',
  backward: 'backward transfer',
  learning_acc: 'learning acc',
};

export interface GroupRun extends RunMetrics {
  id: string;
  seed: number | null;
  test_time_selection: string;
  /** avg_acc after each task (the shared test set's accuracy where there is one). */
  avg_acc_per_task: number[];
}

export interface SweepGroup extends Record<MetricName, MeanStd | null> {
  /** The grid keys and values the group's runs share (every swept key but the seed). */
  config: Record<string, unknown>;
  n: number;
  /** The test-time prompt selection of the group's runs ('batchwise', 'per_instance'). */
  test_time_selection: string;
  runs: GroupRun[];
  /** Entry-wise mean and sample std of the runs' accuracy matrices; null entries were not evaluated. */
  acc_matrix: { mean: (number | null)[][]; std: (number | null)[][] } | null;
  /** Mean over the runs of avg_acc after each task. */
  avg_acc_per_task: number[];
  shared_test_set: boolean;
}

export interface SweepReport {
  format: 'l2p-sweep-report/1';
  /** Percentages, as summary.json; std is the sample standard deviation (n − 1), null for n = 1. */
  units: 'percent';
  std: 'sample (n-1)';
  points: number;
  done: number;
  /** Ids of the points without summary.json (not finished), left out of the groups. */
  missing: string[];
  grid_keys: string[];
  groups: SweepGroup[];
}

function readSummary(file: string): RunSummary {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
  } catch (e) {
    throw new UserError(`'${file}' cannot be read: ${(e as Error).message}`);
  }
}

function perTaskAvg(s: RunSummary): number[] {
  const m = s.acc_matrix;
  if (s.shared_test_set) return [...m[0]];
  if (m[0].length === 1) return [s.avg_acc];
  return m[0].map((_, t) => avgAcc(m, t));
}

export function buildReport(dir: string, plan: SweepPlan = readPlan(dir)): SweepReport {
  const gridKeys = plan.spec.grid.map((a) => a.key);
  const groups = new Map<string, { config: Record<string, unknown>; runs: GroupRun[]; summaries: RunSummary[] }>();
  const missing: string[] = [];
  for (const p of plan.points) {
    const file = join(runDir(dir, p.id), 'summary.json');
    if (!existsSync(file)) {
      missing.push(p.id);
      continue;
    }
    const s = readSummary(file);
    const config = Object.fromEntries(Object.entries(p.values).filter(([k]) => !(k === 'seed' && p.seed !== null)));
    const key = JSON.stringify(config);
    if (!groups.has(key)) groups.set(key, { config, runs: [], summaries: [] });
    const g = groups.get(key)!;
    g.runs.push({ id: p.id, seed: p.seed, test_time_selection: s.test_time_selection, ...runMetrics(s), avg_acc_per_task: perTaskAvg(s) });
    g.summaries.push(s);
  }
  const out: SweepGroup[] = [...groups.values()].map(({ config, runs, summaries }) => {
    const shared = summaries[0].shared_test_set;
    const joint = summaries[0].acc_matrix[0].length === 1 && summaries[0].tasks > 1;
    const evaluated = (i: number, t: number) => shared || joint || i <= t;
    const selections = [...new Set(runs.map((r) => r.test_time_selection))];
    const perTask = runs[0].avg_acc_per_task.map((_, t) => runs.reduce((a, r) => a + (r.avg_acc_per_task[t] ?? NaN), 0) / runs.length);
    const stats = Object.fromEntries(METRICS.map((m) => [m, meanStd(runs.map((r) => r[m]))])) as Record<MetricName, MeanStd | null>;
    return {
      config,
      n: runs.length,
      runs,
      ...stats,
      test_time_selection: selections.join('+'),
      acc_matrix: matrixMeanStd(summaries.map((s) => s.acc_matrix), evaluated),
      avg_acc_per_task: perTask,
      shared_test_set: shared,
    };
  });
  return { format: 'l2p-sweep-report/1', units: 'percent', std: 'sample (n-1)', points: plan.points.length, done: plan.points.length - missing.length, missing, grid_keys: gridKeys, groups: out };
}

/** '78.90 ± 1.23', '78.90' for one run, '–' where the metric is not defined. */
export function pm(v: MeanStd | null): string {
  if (!v) return '–';
  return v.std === null ? v.mean.toFixed(2) : `${v.mean.toFixed(2)} ± ${v.std.toFixed(2)}`;
}

const cell = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v)).replace(/\|/g, '\\|');

/** The groups that differ only in their test-time selection, paired: one row per pair. */
export function selectionPairs(r: SweepReport): { config: Record<string, unknown>; bySelection: Map<string, SweepGroup> }[] {
  const sels = new Set(r.groups.map((g) => g.test_time_selection));
  if (sels.size < 2) return [];
  const rows = new Map<string, { config: Record<string, unknown>; bySelection: Map<string, SweepGroup> }>();
  for (const g of r.groups) {
    // The keys that set the selection do not tell the pair's members apart.
    const config = Object.fromEntries(Object.entries(g.config).filter(([k]) => k !== 'test_time_selection' && k !== 'prompt_pool_param.batchwise_prompt'));
    const key = JSON.stringify(config);
    if (!rows.has(key)) rows.set(key, { config, bySelection: new Map() });
    rows.get(key)!.bySelection.set(g.test_time_selection, g);
  }
  return [...rows.values()].filter((row) => row.bySelection.size > 1);
}

export function reportMarkdown(r: SweepReport, dir: string): string {
  const keys = r.grid_keys;
  const lines = [
    `# Sweep ${dir}`,
    '',
    `${r.done} of ${r.points} points finished${r.missing.length ? ` (not yet: ${r.missing.join(', ')})` : ''}. Per configuration: mean ± sample standard deviation (n − 1) over its seeds, in percent; n runs.`,
    '',
    `| ${[...keys, 'selection', 'n', ...METRICS.map((m) => METRIC_TITLES[m])].join(' | ')} |`,
    `|${[...keys, 'selection', 'n', ...METRICS].map(() => '---').join('|')}|`,
    ...r.groups.map((g) => `| ${[...keys.map((k) => cell(g.config[k] ?? '')), g.test_time_selection, String(g.n), ...METRICS.map((m) => pm(g[m]))].join(' | ')} |`),
  ];
  const pairs = selectionPairs(r);
  if (pairs.length > 0) {
    const sels = [...new Set(r.groups.map((g) => g.test_time_selection))].sort();
    const rest = keys.filter((k) => k !== 'test_time_selection' && k !== 'prompt_pool_param.batchwise_prompt');
    const cols = (['avg_acc', 'forgetting'] as const).flatMap((m) => sels.map((s) => ({ m, s })));
    lines.push(
      '',
      '## Batch-wise and per-instance selection side by side',
      '',
      `| ${[...rest, ...cols.map((c) => `${METRIC_TITLES[c.m]} (${c.s})`)].join(' | ')} |`,
      `|${[...rest, ...cols].map(() => '---').join('|')}|`,
      ...pairs.map((p) => `| ${[...rest.map((k) => cell(p.config[k] ?? '')), ...cols.map((c) => { const g = p.bySelection.get(c.s); return g ? `${pm(g[c.m])} (n=${g.n})` : '–'; })].join(' | ')} |`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes DIR/sweep.json and DIR/sweep.md. */
export function writeSweepReport(dir: string): { report: SweepReport; json: string; markdown: string } {
  const report = buildReport(dir);
  const json = join(dir, 'sweep.json');
  const markdown = join(dir, 'sweep.md');
  writeJsonAtomic(json, report);
  writeFileAtomic(markdown, reportMarkdown(report, dir));
  return { report, json, markdown };
}
