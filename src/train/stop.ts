// SIGINT / SIGTERM while a run trains: the first asks the loop to stop at its next safe point (the
// end of the step under way, or the next evaluation batch, where the evaluation is left for
// --resume), save a checkpoint there and say what it saved; a second quits at once. The handler is
// installed before the run touches its workdir, so no signal meets a process without one.
import type { LoopState } from './checkpoint.ts';

/** What the loop reads to know whether to stop, and what it is doing (for the message). */
export interface StopState {
  signal: NodeJS.Signals | null;
  /** What the loop is doing now ("during training of task 1"). */
  phase: string;
  /** The phase the first signal arrived in. */
  at: string;
  /** Run before a second signal exits (the event files are closed, so their records stay whole). */
  onQuit: (() => void)[];
}

export function stopState(): StopState {
  return { signal: null, phase: 'while opening the run', at: '', onQuit: [] };
}

/** Listens for SIGINT and SIGTERM, noting the first through `note`. Returns the release. */
export function guardSignals(stop: StopState, note: (s: string) => void): () => void {
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal) {
      for (const f of stop.onQuit) f();
      // The run lock is released on exit.
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    stop.signal = sig;
    stop.at = stop.phase;
    note(`${sig}: stopping after this step or evaluation batch (a checkpoint is saved; press again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * What a checkpoint holds, in words: "at task 1, step 3 of 4", "at the end of task 0 (task 1 starts
 * on --resume)", or a position whose evaluation is still to run. `steps` is the task's step count.
 */
export function describeSaved(s: LoopState, steps: number): string {
  // A task of phases (src/train/phases.ts): the phases done, and the steps of the one under way.
  if (s.phase !== undefined && (s.phase > 0 || s.stepInTask > 0)) return `at task ${s.task} with ${s.phase} of its phases done${s.stepInTask > 0 ? ` and ${s.stepInTask} steps of the next` : ''}`;
  if (s.stepInTask === 0 && s.task > 0) return `at the end of task ${s.task - 1} (task ${s.task} starts on --resume)`;
  const at = `at task ${s.task}, step ${s.stepInTask} of ${steps}`;
  if (!s.evalPending) return at;
  const trained = s.stepInTask === steps ? `training of task ${s.task} finished` : `step ${s.stepInTask} trained`;
  return `${at} (${trained}; its evaluation will run on --resume)`;
}

/** Thrown after a signal once the checkpoint is saved; the CLI exits with 128 + the signal number. */
export class StopRequested extends Error {
  constructor(
    readonly signal: NodeJS.Signals,
    workdir: string,
    at: string,
    saved: string,
  ) {
    super(`stopped by ${signal} ${at}; saved a checkpoint ${saved}; continue with --resume --workdir ${workdir}`);
  }
}
