// Machine-readable results: metrics.jsonl (one object per evaluation) and summary.json at the end.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { L2PConfig } from '../config/l2p.ts';
import type { ContinualStream } from '../data/index.ts';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import type { LoopState } from './checkpoint.ts';
import type { Learner } from './learner.ts';
import { stepMetrics } from './metrics.ts';

const METRICS = 'metrics.jsonl';

export function appendMetrics(workdir: string, record: Record<string, unknown> & { global_step: number }): void {
  appendFileSync(join(workdir, METRICS), `${JSON.stringify(record)}\n`);
}

/** Drops records written after the checkpoint a run resumes from, so a resumed file equals an uninterrupted one. */
export function trimMetrics(workdir: string, globalStep: number): void {
  const file = join(workdir, METRICS);
  if (!existsSync(file)) return;
  const keep = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      if (!line.trim()) return false;
      try {
        return JSON.parse(line).global_step <= globalStep;
      } catch {
        return false; // a line cut short by the kill
      }
    });
  writeFileAtomic(file, keep.map((l) => `${l}\n`).join(''));
}

export interface RunSummary {
  tasks: number;
  /** acc_matrix[i][t] in percent (rows: tasks evaluated; columns: after training task t). */
  acc_matrix: number[][];
  avg_acc: number;
  forgetting: number | null;
  backward: number | null;
  learning_acc: number | null;
  /** Per task, how often each prompt id was selected on its test set at the final evaluation. */
  prompt_usage: number[][];
  /** Per task, the share of selected prompt ids in the task's own slot (use_prompt_mask runs). */
  prompt_selection_accuracy: number[] | null;
  test_time_selection: string;
  shared_test_set: boolean;
  wall_time_s: number;
  train_images: number;
  images_per_s: number;
  config: L2PConfig;
}

/**
 * How often test inputs pick their own task's prompts, per task: the share of the selected ids that lie
 * in the task's slot of the pool. Defined where tasks own slots (use_prompt_mask); null elsewhere.
 */
export function promptSelectionAccuracy(c: L2PConfig, usage: number[][]): number[] | null {
  const { top_k: n, pool_size: m, use_prompt_mask } = c.prompt_pool_param;
  if (!use_prompt_mask || c.method !== 'l2p' || usage.length * n > m) return null;
  return usage.map((counts, i) => {
    const total = counts.reduce((a, b) => a + b, 0);
    const own = counts.slice(i * n, (i + 1) * n).reduce((a, b) => a + b, 0);
    return total > 0 ? own / total : 0;
  });
}

export function writeSummary(workdir: string, c: L2PConfig, stream: ContinualStream, state: LoopState, learner: Learner, sharedTest: boolean, joint: boolean): RunSummary {
  const last = state.accMatrix[0].length - 1;
  const rows = sharedTest ? [state.accMatrix[0]] : state.accMatrix;
  const m = sharedTest || joint ? null : stepMetrics(state.accMatrix, last);
  const finalColumn = rows.map((r) => r[last]);
  const selection = promptSelectionAccuracy(c, state.promptUsage);
  const summary: RunSummary = {
    tasks: stream.tasks.length,
    acc_matrix: rows,
    avg_acc: m ? m.avg_acc : finalColumn.reduce((a, b) => a + b, 0) / finalColumn.length,
    forgetting: m ? m.forgetting : null,
    backward: m ? m.backward : null,
    learning_acc: m ? m.learning_acc : null,
    prompt_usage: state.promptUsage,
    prompt_selection_accuracy: selection,
    test_time_selection: learner.evalSelection(),
    shared_test_set: sharedTest,
    wall_time_s: state.elapsed,
    train_images: state.images,
    images_per_s: state.images / Math.max(state.elapsed, 1e-9),
    config: c,
  };
  writeJsonAtomic(join(workdir, 'summary.json'), summary);
  return summary;
}
