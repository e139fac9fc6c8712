// When the official loop (train_continual.py) evaluates and checkpoints, as pure functions of the
// config, so the loop reads them and tests can check them by hand.
import type { L2PConfig } from '../config/l2p.ts';
import { resolveSplit } from '../data/index.ts';

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
 * Whether the step that brings the run to `globalStep` (1-based over the whole run) ends in an
 * evaluation. In an evaluated task: where globalStep % evalEvery = 0 (the official write flag, on
 * the run's step count, so that a task whose length is no multiple of evalEvery shifts the next
 * task's evaluations) and at the task's last step; under the Gaussian schedule only at its last step
 * (the official loop clears its write flag there).
 */
export function evaluatesAt(c: Schedule, t: number, globalStep: number, last: boolean, evalEvery: number): boolean {
  if ((t + 1) % evalInterval(c) !== 0) return false;
  if (last) return true;
  return !c.gaussian_schedule && globalStep % evalEvery === 0;
}

/**
 * The official summary_step after `globalStep` steps: a run-wide counter that advances at every
 * step g with g % evalEvery(task of g) = 0, evaluated or not. Evaluation scalars are written at it.
 * `plans` lists each task's steps and evalEvery in order.
 */
export function summaryStep(plans: readonly { steps: number; evalEvery: number }[], globalStep: number): number {
  let n = 0;
  let before = 0;
  for (const p of plans) {
    if (p.steps === 0) continue; // a task of no steps (a statistics pass) advances nothing, and its evalEvery is 0
    const end = Math.min(before + p.steps, globalStep);
    if (end <= before) break;
    n += Math.floor(end / p.evalEvery) - Math.floor(before / p.evalEvery);
    before += p.steps;
  }
  return n;
}

/**
 * Where training scalars go (the official train_summary_step): after the step with 0-based index
 * `relStep` in task t, when relStep % div = 0 or it is the task's last step, at
 * relStep // div + t · num_epochs. div is the steps per epoch (1 when eval_every_steps > 0).
 * Returns null when nothing is written after that step.
 */
export function trainSummaryStep(t: number, numEpochs: number, relStep: number, last: boolean, div: number): number | null {
  if (relStep % div !== 0 && !last) return null;
  return Math.floor(relStep / div) + t * numEpochs;
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

/**
 * The training examples a task's step count is computed from. The official CORe50 stream counts
 * them as the split `train[:{subsample_rate}%]`, which with subsample_rate −1 is `train[:-1%]`:
 * all but the last 1 % (rounded as TFDS rounds), although the whole split is read. Elsewhere: all.
 */
export function stepCountExamples(c: Pick<L2PConfig, 'dataset' | 'subsample_rate'>, examples: number): number {
  if (c.dataset !== 'core50' || c.subsample_rate > 0) return examples;
  const [r] = resolveSplit('train[:-1%]', { train: { numExamples: examples } }, 'core50');
  return r.end; // the slice starts at 0
}
