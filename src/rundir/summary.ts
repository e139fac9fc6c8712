// summary.json: a finished run's results, written once at its end.
import { readFileSync } from 'node:fs';
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { runFiles } from './layout.ts';

export interface RunSummary {
  /** The method trained (config key 'method'). */
  method: string;
  tasks: number;
  /** acc_matrix[i][t] in percent (rows: tasks evaluated; columns: after training task t). */
  acc_matrix: number[][];
  avg_acc: number;
  forgetting: number | null;
  backward: number | null;
  learning_acc: number | null;
  /** Per task, how often each prompt id was selected on its test set at the final evaluation. */
  prompt_usage: number[][];
  /** Per task, the share of selected prompt ids in the task's own slot (use_prompt_mask runs of a method whose tasks own slots). */
  prompt_selection_accuracy: number[] | null;
  test_time_selection: string;
  /** What a closed-form method keeps (src/methods/method.ts MethodKept); absent for the others. */
  kept?: { values: Record<string, unknown>; text: string };
  shared_test_set: boolean;
  wall_time_s: number;
  train_images: number;
  images_per_s: number;
  config: L2PConfig;
}

export function writeSummaryFile(workdir: string, summary: RunSummary): void {
  writeJsonAtomic(runFiles(workdir).summary, summary);
}

/** Reads and checks a summary.json; anything else is an error naming the file. */
export function readSummary(file: string): RunSummary {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read: ${(e as Error).message}`);
  }
  const s = (raw ?? {}) as Partial<RunSummary>;
  const matrixOk = Array.isArray(s.acc_matrix) && s.acc_matrix.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number'));
  if (!matrixOk || typeof s.avg_acc !== 'number' || typeof s.tasks !== 'number' || !Array.isArray(s.prompt_usage) || typeof s.config !== 'object' || s.config === null) {
    throw new UserError(`'${file}' is not a summary written by l2p train (it needs tasks, acc_matrix, avg_acc, prompt_usage and config)`);
  }
  return s as RunSummary;
}
