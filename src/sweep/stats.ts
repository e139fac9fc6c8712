// The statistics a sweep report gives over the seeds of one configuration, as pure functions. Units
// are the caller's (the report passes percentages, as summary.json holds them).
import { avgAcc, type AccMatrix } from '../rundir/metrics.ts';
import type { RunSummary } from '../rundir/summary.ts';

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('mean of no values');
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * The sample standard deviation, sqrt(Σ (x − mean)² / (n − 1)): Bessel's correction, as numpy's
 * `std(ddof=1)` and pandas' default. null for n < 2, where it is not defined (a single seed says
 * nothing about the spread).
 */
export function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n − 1); null with one value. */
  std: number | null;
}

/** Mean and sample std of the values; null when any run lacks the metric (so n stays the group's). */
export function meanStd(xs: readonly (number | null)[]): MeanStd | null {
  if (xs.length === 0 || xs.some((x) => x === null || !Number.isFinite(x))) return null;
  const v = xs as number[];
  return { mean: mean(v), std: sampleStd(v) };
}

/**
 * Average incremental accuracy (Rebuffi et al., iCaRL; PyCIL's "average accuracy"): the mean over
 * t = 0..T−1 of avg_acc after task t, where avg_acc after t is the mean over i = 0..t of acc[i][t].
 * With T tasks it weighs the early, easier stages as much as the last one; the final avg_acc is its
 * last term. (PyCIL weighs each stage's accuracy by test images, this by tasks, as avg_acc does.)
 */
export function averageIncrementalAcc(m: AccMatrix): number {
  const tasks = m[0]?.length ?? 0;
  if (tasks === 0) throw new Error('average incremental accuracy of an empty accuracy matrix');
  return mean(Array.from({ length: tasks }, (_, t) => avgAcc(m, t)));
}

/** The per-run numbers a sweep aggregates, in percent. */
export interface RunMetrics {
  avg_acc: number;
  avg_inc_acc: number;
  forgetting: number | null;
  backward: number | null;
  learning_acc: number | null;
}

/**
 * From a run's summary.json. A run with one test set shared by all tasks has only the row of that
 * set: its average incremental accuracy is the mean of that row; a joint run has one column, so it
 * is its avg_acc. Forgetting, backward transfer and learning accuracy are summary.json's (the
 * official definitions, src/train/metrics.ts), null where the run has no per-task matrix.
 */
export function runMetrics(s: RunSummary): RunMetrics {
  const m = s.acc_matrix;
  const avgInc = s.shared_test_set ? mean(m[0]) : m[0].length === 1 ? s.avg_acc : averageIncrementalAcc(m);
  return { avg_acc: s.avg_acc, avg_inc_acc: avgInc, forgetting: s.forgetting, backward: s.backward, learning_acc: s.learning_acc };
}

/**
 * Entry-wise mean and sample std of same-shaped accuracy matrices; entries a run did not evaluate
 * (below the diagonal) are null. null when the shapes differ.
 */
export function matrixMeanStd(ms: readonly AccMatrix[], evaluated: (i: number, t: number) => boolean): { mean: (number | null)[][]; std: (number | null)[][] } | null {
  if (ms.length === 0) return null;
  const rows = ms[0].length;
  const cols = ms[0][0]?.length ?? 0;
  if (ms.some((m) => m.length !== rows || m.some((r) => r.length !== cols))) return null;
  const at = (f: (xs: number[]) => number | null) => Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, t) => (evaluated(i, t) ? f(ms.map((m) => m[i][t])) : null)));
  return { mean: at(mean), std: at(sampleStd) };
}
