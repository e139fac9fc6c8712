// A run's results as summary.json holds them, computed from the loop's final state.
import type { L2PConfig } from '../config/l2p.ts';
import type { ContinualStream } from '../data/index.ts';
import { stepMetrics } from '../rundir/metrics.ts';
import { writeSummaryFile, type RunSummary } from '../rundir/summary.ts';
import type { LoopState } from './checkpoint.ts';
import type { Learner } from './learner.ts';

export function writeSummary(workdir: string, c: L2PConfig, stream: ContinualStream, state: LoopState, learner: Learner, sharedTest: boolean, joint: boolean): RunSummary {
  const last = state.accMatrix[0].length - 1;
  const rows = sharedTest ? [state.accMatrix[0]] : state.accMatrix;
  const m = sharedTest || joint ? null : stepMetrics(state.accMatrix, last);
  const finalColumn = rows.map((r) => r[last]);
  const selection = learner.model.selectionAccuracy(state.promptUsage);
  const summary: RunSummary = {
    method: c.method,
    tasks: stream.tasks.length,
    acc_matrix: rows,
    avg_acc: m ? m.avg_acc : finalColumn.reduce((a, b) => a + b, 0) / finalColumn.length,
    forgetting: m ? m.forgetting : null,
    backward: m ? m.backward : null,
    learning_acc: m ? m.learning_acc : null,
    prompt_usage: state.promptUsage,
    prompt_selection_accuracy: selection,
    test_time_selection: learner.evalSelection(),
    ...(learner.model.kept ? { kept: learner.model.kept(state.promptUsage, learner.params) } : {}),
    shared_test_set: sharedTest,
    wall_time_s: state.elapsed,
    train_images: state.images,
    images_per_s: state.images / Math.max(state.elapsed, 1e-9),
    config: c,
  };
  writeSummaryFile(workdir, summary);
  return summary;
}
