// What a run's workdir says about it, read for the HTML report: summary.json when the run finished;
// otherwise the accuracy matrix rebuilt from metrics.jsonl and the prompt usage from the latest
// checkpoint's state, with a note saying so.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { runFiles } from '../rundir/layout.ts';
import { readMetrics, type EvalRecord } from '../rundir/records.ts';
import { hasState, readState } from '../rundir/state.ts';
import { readSummary, type RunSummary } from '../rundir/summary.ts';
import { METHODS, type Method } from '../methods/index.ts';
import { perTaskMetrics, type Results, type TaskPoint } from './results.ts';

export { perTaskMetrics, type TaskPoint };

export interface RunData extends Results {
  workdir: string;
  /** A short name for tables and file names: the workdir's base name, made unique by the caller. */
  label: string;
  /** null for a run that has not finished (or was killed): the rest comes from metrics.jsonl. */
  summary: RunSummary | null;
  config: Record<string, unknown> | null;
  records: EvalRecord[];
  /** The tasks of the whole run; tasksSeen of them trained so far (the last may be unfinished in a partial run). */
  numTasks: number;
  /** Per task, prompt id -> how often its test inputs selected it; [] where not known. */
  promptUsage: number[][];
  /** Headline numbers: summary.json's, or the latest column's for a partial run. */
  final: { avg_acc: number | null; forgetting: number | null; backward: number | null; learning_acc: number | null };
  notes: string[];
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read: ${(e as Error).message}`);
  }
}

/** Rebuilds acc[i][t] from the last evaluation of each task in the records. */
export function matrixFromRecords(records: readonly EvalRecord[], shared: boolean): { matrix: number[][]; tasksSeen: number } {
  const last = new Map<number, EvalRecord>();
  for (const r of records) last.set(r.task, r);
  const tasksSeen = last.size === 0 ? 0 : Math.max(...last.keys()) + 1;
  // Joint training evaluates every task after its one training "task": more rows than columns.
  const rows = shared ? 1 : Math.max(tasksSeen, ...records.map((r) => r.accuracy.length));
  const matrix = Array.from({ length: rows }, () => new Array<number>(tasksSeen).fill(NaN));
  for (const [t, r] of last) r.accuracy.forEach((a, i) => i < rows && (matrix[i][t] = a));
  return { matrix, tasksSeen };
}

export function loadRun(workdir: string): RunData {
  const dir = resolve(workdir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`'${workdir}' is not a directory`);
  const files = runFiles(dir);
  const summaryFile = files.summary;
  const metricsFile = files.metrics;
  const hasSummary = existsSync(summaryFile);
  const hasMetrics = existsSync(metricsFile);
  if (!hasSummary && !hasMetrics) {
    throw new UserError(`'${workdir}' holds no results: neither summary.json nor metrics.jsonl (is it the --workdir of an l2p train run?)`);
  }
  const notes: string[] = [];
  const records = hasMetrics ? readMetrics(metricsFile) : [];
  if (!hasMetrics) notes.push('metrics.jsonl is missing: no training curves.');
  const configFile = files.config;
  const summary = hasSummary ? readSummary(summaryFile) : null;
  const config = summary ? (summary.config as unknown as Record<string, unknown>) : existsSync(configFile) ? (readJson(configFile) as Record<string, unknown>) : null;
  const numTasksOf = (c: Record<string, unknown> | null) => Number((c?.continual as { num_tasks?: unknown } | undefined)?.num_tasks) || 0;

  let accMatrix: number[][];
  let tasksSeen: number;
  let sharedTest: boolean;
  let promptUsage: number[][];
  let numTasks: number;
  if (summary) {
    sharedTest = summary.shared_test_set;
    numTasks = summary.tasks;
    accMatrix = summary.acc_matrix.map((row) => [...row]);
    tasksSeen = accMatrix[0]?.length ?? 0;
    promptUsage = summary.prompt_usage;
  } else {
    sharedTest = records.some((r) => r.task > 0 && r.accuracy.length === 1);
    ({ matrix: accMatrix, tasksSeen } = matrixFromRecords(records, sharedTest));
    numTasks = Math.max(numTasksOf(config), tasksSeen);
    promptUsage = promptUsageFromCheckpoint(dir);
    notes.push(
      `No summary.json: the run has not finished (or was stopped). The accuracy matrix comes from the last evaluation of each task in metrics.jsonl` +
        `${tasksSeen > 0 ? `, ${tasksSeen} of ${numTasks} tasks so far; the last column may be from the middle of task ${tasksSeen - 1}` : ': it has no evaluation yet'}` +
        `${promptUsage.length ? '; prompt usage from the latest checkpoint' : ''}.`,
    );
  }
  const method = typeof config?.method === 'string' ? (METHODS as Record<string, Method | undefined>)[config.method] : undefined;
  const joint = method ? !method.sequential : false;
  const perTask = perTaskMetrics(accMatrix, tasksSeen, sharedTest, joint);
  const lastPoint = perTask[perTask.length - 1];
  const final = summary
    ? { avg_acc: summary.avg_acc, forgetting: summary.forgetting, backward: summary.backward, learning_acc: summary.learning_acc }
    : joint
      ? { avg_acc: mean(accMatrix.map((row) => row[0]).filter(Number.isFinite)), forgetting: null, backward: null, learning_acc: null }
      : { avg_acc: lastPoint?.avg_acc ?? null, forgetting: lastPoint?.forgetting ?? null, backward: null, learning_acc: lastPoint?.learning_acc ?? null };
  if (sharedTest) notes.push('One test set is shared by all tasks: the matrix has one row, and forgetting and learning accuracy are not defined.');
  if (summary && promptUsage.every((u) => u.every((n) => n === 0))) {
    notes.push(`No prompt usage: ${method ? `method '${method.name}'` : 'this method'} selects no discrete prompts at test time (test-time selection '${summary.test_time_selection}').`);
  }
  if (summary?.kept) notes.push(summary.kept.text);
  if (joint) notes.push('Joint training (the upper bound): one training on the data of all tasks, then every task evaluated; there is no sequence of tasks, so no forgetting.');
  return { workdir: dir, label: basename(dir), summary, config, records, accMatrix, tasksSeen, numTasks, sharedTest, joint, promptUsage, perTask, final, notes };
}

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** The prompt usage the latest checkpoint's state holds; [] before the first checkpoint. */
function promptUsageFromCheckpoint(dir: string): number[][] {
  if (!hasState(dir)) return [];
  const usage = readState<{ promptUsage?: unknown }>(dir).loop.promptUsage;
  const ok = Array.isArray(usage) && usage.every((row) => Array.isArray(row) && row.every((n) => Number.isInteger(n)));
  if (!ok) throw new UserError(`'${runFiles(dir).state}' holds no prompt usage (loop.promptUsage is not a list of count lists)`);
  return usage as number[][];
}
