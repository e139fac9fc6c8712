// What the result pictures draw, free of files and of Node: the same shape for a run read from its
// workdir (run-data.ts) and for a run held in the page (src/web/page/results.ts), so one drawing
// code (charts.ts) serves the HTML report and `l2p serve`'s page.
import { stepMetrics } from '../rundir/metrics.ts';

/** The metrics after task t, as the charts plot them. */
export interface TaskPoint {
  t: number;
  avg_acc: number;
  forgetting: number | null;
  learning_acc: number | null;
}

export interface Results {
  /** acc[i][t] in percent; NaN where nothing was evaluated. Rows: test sets (one when shared). */
  accMatrix: number[][];
  /** Columns of accMatrix: tasks trained; 1 for joint training. */
  tasksSeen: number;
  sharedTest: boolean;
  /** One training on all tasks at once (the joint upper bound): every task evaluated once. */
  joint: boolean;
  /** The metrics after each task seen. */
  perTask: TaskPoint[];
  /** Names of the rows ('task 0' where absent), e.g. the classes of each task in the page. */
  taskLabels?: string[];
}

/**
 * What test inputs chose, one row each: prompt ids for a prompt pool, and, for a method that
 * classifies by prototypes, the prototype (class) each input was nearest to.
 */
export interface Usage {
  /** The thing chosen, singular: 'prompt', 'prototype'. */
  item: string;
  /** What a row is: 'task', 'class'. */
  rowKind: string;
  rows: { label: string; key: number; counts: number[] }[];
  /** How many items each input takes (top_k), when known. */
  perInput: number | null;
  /** Names of the items (column labels); their ids where absent. */
  itemLabels?: string[];
}

export const taskLabel = (r: Results, i: number): string => r.taskLabels?.[i] ?? `task ${i}`;

/** avg_acc, forgetting and learning accuracy after each task whose column is complete (none for joint training). */
export function perTaskMetrics(matrix: number[][], tasksSeen: number, shared: boolean, joint = false): TaskPoint[] {
  const out: TaskPoint[] = [];
  if (joint) return out;
  for (let t = 0; t < tasksSeen; t++) {
    if (shared) {
      if (Number.isFinite(matrix[0]?.[t])) out.push({ t, avg_acc: matrix[0][t], forgetting: null, learning_acc: null });
      continue;
    }
    const square = matrix.slice(0, t + 1).map((row) => row.slice(0, t + 1));
    if (square.length < t + 1 || square.some((row, i) => row.slice(i).some((v) => !Number.isFinite(v)))) continue;
    const m = stepMetrics(square, t);
    out.push({ t, avg_acc: m.avg_acc, forgetting: m.forgetting, learning_acc: m.learning_acc });
  }
  return out;
}
