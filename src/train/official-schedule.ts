// When the official loop (train_continual.py) evaluates and checkpoints, as pure functions of the
// config, so the loop reads them and tests can check them by hand.
import type { L2PConfig } from '../config/l2p.ts';

type Schedule = Pick<L2PConfig, 'eval_last_only' | 'gaussian_schedule' | 'save_last_ckpt_only'> & { continual: Pick<L2PConfig['continual'], 'num_tasks'> };

/**
 * The official eval_interval: only tasks t with (t + 1) % interval = 0 are evaluated. eval_last_only
 * makes it num_tasks (the last task only); the Gaussian schedule makes it 10.
 */
export function evalInterval(c: Schedule): number {
  if (c.eval_last_only) return c.continual.num_tasks;
  return c.gaussian_schedule ? 10 : 1;
}

/**
 * Whether step `stepDone` (1-based, within task t of `steps`) ends in an evaluation: in an evaluated
 * task, every `evalEvery` steps and at the last step; under the Gaussian schedule only at the last
 * step (the official loop clears its write flag there).
 */
export function evaluatesAt(c: Schedule, t: number, stepDone: number, steps: number, evalEvery: number): boolean {
  if ((t + 1) % evalInterval(c) !== 0) return false;
  if (stepDone === steps) return true;
  return !c.gaussian_schedule && stepDone % evalEvery === 0;
}

/** Whether the metrics at the end of task t (forgetting, learning accuracy) are computed: its accuracies exist. */
export function evaluatesTask(c: Schedule, t: number): boolean {
  return (t + 1) % evalInterval(c) === 0;
}

/**
 * Whether checkpoint_every_steps applies in task t: save_last_ckpt_only keeps it to the last task,
 * as official. (Checkpoints at evaluations and task ends are ours, for resuming, and always written.)
 */
export function periodicCheckpoints(c: Schedule, t: number, numTasks: number): boolean {
  return !c.save_last_ckpt_only || t === numTasks - 1;
}
