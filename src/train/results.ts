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
  test_time_selection: string;
  shared_test_set: boolean;
  wall_time_s: number;
  train_images: number;
  images_per_s: number;
  config: L2PConfig;
}

export function writeSummary(workdir: string, c: L2PConfig, stream: ContinualStream, state: LoopState, learner: Learner, sharedTest: boolean): RunSummary {
  const t = stream.tasks.length - 1;
  const rows = sharedTest ? [state.accMatrix[0]] : state.accMatrix;
  const m = sharedTest ? null : stepMetrics(state.accMatrix, t);
  const summary: RunSummary = {
    tasks: stream.tasks.length,
    acc_matrix: rows,
    avg_acc: m ? m.avg_acc : state.accMatrix[0][t],
    forgetting: m ? m.forgetting : null,
    backward: m ? m.backward : null,
    learning_acc: m ? m.learning_acc : null,
    prompt_usage: state.promptUsage,
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
