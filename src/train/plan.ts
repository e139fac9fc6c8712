// How many steps each task trains and when it evaluates, and the whole run's ETA from them.
import { globalBatchSize, type L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';

export interface TaskPlan {
  steps: number;
  stepsPerEpoch: number;
  evalEvery: number;
  /** A task of GradientPhases: each phase's steps and steps per epoch (0 for a statistics pass). */
  phases?: { steps: number; stepsPerEpoch: number }[];
}

/** Steps per task = (task examples × num_epochs) // global batch, as the official train_continual.py. */
export function planTask(c: L2PConfig, examples: number, t: number): TaskPlan {
  const b = globalBatchSize(c);
  const cap = c.continual.num_train_steps_per_task;
  // The Gaussian schedule's episode counts cap × global batch examples, as the official class_stats.
  if (c.gaussian_schedule && cap > 0) examples = cap * b;
  let steps = Math.floor((examples * c.num_epochs) / b);
  const stepsPerEpoch = Math.floor(steps / c.num_epochs);
  if (stepsPerEpoch < 1) throw new UserError(`task ${t} has ${examples} training examples, fewer than one global batch of ${b} per epoch`);
  steps = stepsPerEpoch * c.num_epochs;
  // (ours) Elsewhere a positive value caps the steps of a task; the official loop ignores it.
  if (cap > 0 && !c.gaussian_schedule) steps = Math.min(steps, cap);
  const evalEvery = c.eval_every_steps > 0 ? c.eval_every_steps : stepsPerEpoch * c.eval_per_epochs;
  return { steps, stepsPerEpoch, evalEvery };
}

/**
 * A task of phases (src/methods/method.ts GradientPhase): each gradient phase planned as planTask with
 * its own epochs, the task's steps their sum, evaluated once, at its end.
 */
export function planPhases(c: L2PConfig, examples: number, t: number, phases: readonly ({ kind: 'gradient'; epochs: number } | { kind: 'statistics' })[]): TaskPlan {
  const each = phases.map((p) => (p.kind === 'gradient' ? planTask({ ...c, num_epochs: p.epochs, eval_every_steps: 0 }, examples, t) : { steps: 0, stepsPerEpoch: 0 }));
  const steps = each.reduce((a, p) => a + p.steps, 0);
  return { steps, stepsPerEpoch: 0, evalEvery: Math.max(1, steps), phases: each.map(({ steps, stepsPerEpoch }) => ({ steps, stepsPerEpoch })) };
}

/** The run's plans with, per task, the training steps finished before it. */
export interface RunPlan {
  plans: TaskPlan[];
  stepsBefore: number[];
  totalSteps: number;
}

export function planRun(plans: TaskPlan[]): RunPlan {
  const stepsBefore = plans.map((_, t) => plans.slice(0, t).reduce((a, p) => a + p.steps, 0));
  return { plans, stepsBefore, totalSteps: plans.reduce((a, p) => a + p.steps, 0) };
}

/**
 * The whole run's remaining training time at the pace of this session, for an ETA of the run (not
 * only of the task) that a long run shows within its first minute.
 */
export function runEta(run: RunPlan, session: { time: number; steps: number }): (doneSteps: number) => string {
  return (doneSteps) => {
    const secs = (performance.now() - session.time) / 1000;
    const rate = (doneSteps - session.steps) / Math.max(secs, 1e-9);
    const left = rate > 0 ? (run.totalSteps - doneSteps) / rate : Infinity;
    return Number.isFinite(left) ? `run ETA ${left >= 3600 ? `${(left / 3600).toFixed(1)}h` : `${Math.ceil(left / 60)}m`} (training)` : '';
  };
}
