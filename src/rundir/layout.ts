// The layout of a run directory (the --workdir of l2p train), in one place below both the trainer
// that writes it and the commands that read it (report, eval, predict, the library's openRun):
//
//   config.json              the resolved config; a directory holds a run once this exists
//   metrics.jsonl            one record per evaluation (records.ts)
//   summary.json             the results, once the run has finished (summary.ts)
//   checkpoints/state.json   the loop's position, naming its npz (state.ts)
//   checkpoints/ckpt-<global step, 8 digits>.npz   trained tensors and optimiser moments
//   events.out.tfevents.*    TensorBoard event files
//   eval-<selection>.json    written by l2p eval
//   query-cache/<digest>.q   the test sets' frozen queries, read back on --resume (train/query-cache.ts)
//   lock                     held by the one process writing the run (lock.ts)
import { join } from 'node:path';

export const CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';
export const SUMMARY_FILE = 'summary.json';
export const CHECKPOINT_DIR = 'checkpoints';
export const STATE_FILE = 'state.json';
export const LOCK_FILE = 'lock';
export const EVENTS_PREFIX = 'events.out.tfevents.';
export const QUERY_CACHE_DIR = 'query-cache';

/**
 * A checkpoint's npz name, by the global step; `task` (the tasks finished) tells apart the ends of
 * tasks that ran no step (a closed-form method's), which share a step. Names sort in save order.
 */
export function checkpointName(globalStep: number, task?: number, phase?: number): string {
  const p = phase === undefined ? '' : `.p${String(phase).padStart(2, '0')}`;
  return `ckpt-${String(globalStep).padStart(8, '0')}${task === undefined ? '' : `.t${String(task).padStart(4, '0')}`}${p}.npz`;
}

export const CHECKPOINT_NAME = /^ckpt-\d+(\.t\d+)?(\.p\d+)?\.npz$/;

export function runFiles(workdir: string) {
  return {
    config: join(workdir, CONFIG_FILE),
    metrics: join(workdir, METRICS_FILE),
    summary: join(workdir, SUMMARY_FILE),
    checkpoints: join(workdir, CHECKPOINT_DIR),
    state: join(workdir, CHECKPOINT_DIR, STATE_FILE),
    lock: join(workdir, LOCK_FILE),
    evalResult: (selection: string) => join(workdir, `eval-${selection}.json`),
  };
}
