// A task of phases a method describes (src/methods/method.ts GradientPhase, StatisticsPhase), run in
// order: each gradient phase with a fresh optimiser over its own parameters for its own epochs, each
// statistics pass with its own accumulator and fit. A checkpoint ends every phase (the loop state
// counts the phases done), and a stop inside a gradient phase saves its step and data position; a
// stop inside a statistics pass saves nothing new, so --resume begins that pass again. The task is
// evaluated once, after its last phase.
import { globalBatchSize } from '../config/l2p.ts';
import { Pipeline } from '../data/index.ts';
import { UserError } from '../errors.ts';
import { faultPoint } from '../fault.ts';
import type { GradientPhase, StatisticsPhase } from '../methods/index.ts';
import { appendMetrics } from '../rundir/records.ts';
import { addStep, emptyWindow } from './checkpoint.ts';
import { writeTrainScalars } from './describe.ts';
import type { TaskEval } from './evaluate.ts';
import type { StepResult } from './learner.ts';
import { evaluatesTask, periodicCheckpoints, summaryStep } from './official-schedule.ts';
import { trainSeed } from './seeds.ts';
import type { Run } from './session.ts';
import { runStatistics } from './statistics.ts';
import type { StopRequested } from './stop.ts';

/** What the loop lends this file (src/train/loop.ts). */
export interface LoopFns {
  evaluateSeen(run: Run, t: number, evalStep: number): Promise<TaskEval[] | null>;
  stopped(run: Run): StopRequested;
  save(run: Run): void;
}

/** The seed of phase p's training stream in task t: phase 0 has the task's own (src/train/seeds.ts). */
export const phaseSeed = (c: Run['c'], t: number, p: number): number => trainSeed(c, t) + 104729 * p;

/** Trains task t's phases from where the state stands, then evaluates the task. */
export async function trainPhases(run: Run, t: number, phases: readonly (GradientPhase | StatisticsPhase)[], f: LoopFns): Promise<void> {
  const { c, learner } = run;
  const first = run.state.phase ?? 0;
  learner.beginTask(t, first === 0 && run.state.stepInTask === 0);
  for (let p = first; p < phases.length; p++) {
    const ph = phases[p];
    if (ph.kind === 'gradient') await gradientPhase(run, t, p, ph, f);
    else await statisticsPass(run, t, f.stopped, ph.name);
    run.state = { ...run.state, phase: p + 1, stepInTask: 0, pipeline: null, elapsed: run.elapsed() };
    f.save(run);
    if (run.stop.signal) throw f.stopped(run);
  }
  learner.beginPhase(null, false);
  if (!evaluatesTask(c, t)) return;
  run.stop.phase = `during the evaluation of task ${t}`;
  await evaluateFitted(run, t, f);
}

/** Task t's evaluation once it is fitted (after its last step or phase): its metrics record at the task's last step. */
export async function evaluateFitted(run: Run, t: number, f: Pick<LoopFns, 'evaluateSeen' | 'stopped'>): Promise<void> {
  const res = await f.evaluateSeen(run, t, summaryStep(run.plan.plans, run.state.globalStep));
  if (res === null) throw f.stopped(run);
  appendEval(run, t, run.plan.plans[t].steps, res);
  Object.assign(run.state.window, emptyWindow());
}

/** An evaluation's metrics record after step `step` of task t, with the training window's loss and accuracy. */
export function appendEval(run: Run, t: number, step: number, res: readonly TaskEval[]): void {
  const w = run.state.window;
  appendMetrics(run.o.workdir, { task: t, step, global_step: run.state.globalStep, loss: mean(w.loss), train_accuracy: w.correct / w.count, accuracy: res.map((r) => r.accuracy), elapsed_s: run.elapsed() });
}

async function gradientPhase(run: Run, t: number, p: number, ph: GradientPhase, f: LoopFns): Promise<void> {
  const { c, learner, progress } = run;
  const task = run.trainTasks[t];
  const { steps, stepsPerEpoch } = run.plan.plans[t].phases![p];
  learner.beginPhase(ph, run.state.stepInTask === 0);
  const pipe = new Pipeline(task.train, {
    batchSize: globalBatchSize(c),
    train: true,
    augment: c.train_augment ?? true,
    seed: phaseSeed(c, t, p),
    shuffleBuffer: c.shuffle_buffer_size,
    preprocess: { resizeSize: c.resize_size, inputSize: c.input_size },
    workers: run.o.workers,
  });
  if (run.state.pipeline) pipe.restore(run.state.pipeline);
  const before = run.plan.stepsBefore[t] + run.plan.plans[t].phases!.slice(0, p).reduce((a, q) => a + q.steps, 0);
  progress.note(`  phase ${ph.name}: ${steps} steps of ${globalBatchSize(c)} (${ph.epochs} epochs), training ${ph.trains.join(', ')}`);
  progress.begin(`  ${ph.name} task ${t}`, steps);
  run.stop.phase = `during phase '${ph.name}' of task ${t}`;
  try {
    for (let step = run.state.stepInTask; step < steps; step++) {
      const batch = await pipe.next();
      if (!batch) throw new Error(`training pipeline of task ${t} (phase ${ph.name}) ended early`);
      const lr = ph.lrAt(Math.floor(step / stepsPerEpoch));
      const r = await learner.trainStep(batch.images, batch.labels, t, task.classMask, lr);
      if (!Number.isFinite(r.loss)) throw new UserError(`task ${t} phase ${ph.name} step ${step}: the loss is ${r.loss}; check labels against the class mask and the learning rate`);
      record(run, t, before + step + 1, step, r, lr, (step + 1) % stepsPerEpoch === 0 || step + 1 === steps);
      faultPoint('step');
      if (step + 1 === steps) break;
      const periodic = periodicCheckpoints(c, t, run.trainTasks.length) && c.checkpoint_every_steps > 0 && run.state.globalStep % c.checkpoint_every_steps === 0;
      if (run.stop.signal || periodic) {
        run.state = { ...run.state, stepInTask: step + 1, pipeline: pipe.state(), elapsed: run.elapsed() };
        f.save(run);
      }
      if (run.stop.signal) throw f.stopped(run);
    }
  } finally {
    await pipe.close();
  }
  ph.finish?.(learner.params);
}

/**
 * Task t's statistics pass over its training data and the method's fit (`name`: a StatisticsPhase;
 * unset, the task's one pass). A stop during it saves nothing: the checkpoint before it stands, and
 * --resume runs the pass again, so that statistics are never counted twice.
 */
export async function statisticsPass(run: Run, t: number, stopped: LoopFns['stopped'], name?: string): Promise<void> {
  const { c, learner, progress } = run;
  const source = run.trainTasks[t].train;
  run.stop.phase = name === undefined ? `during the statistics pass of task ${t}` : `during the statistics pass '${name}' of task ${t}`;
  progress.begin(`  ${name ?? 'statistics'} task ${t}`, source.length);
  const pass = learner.model.statistics!(t, name);
  const onBatch = (n: number) => {
    progress.update(n, n);
    if (run.stop.signal) throw stopped(run);
  };
  await runStatistics(learner, source, pass, { batchSize: c.per_device_batch_size, resizeSize: c.resize_size, inputSize: c.input_size, workers: run.o.workers, onBatch, phase: name });
  await pass.finish(learner.params, learner.graphs);
}

/** A step's results into the metrics windows; TensorBoard's training scalars at each epoch's end and the phase's last step, on the run's step axis. */
function record(run: Run, t: number, doneSteps: number, step: number, r: StepResult, lr: number, epochEnd: boolean): void {
  const { state } = run;
  addStep(state, r, lr);
  const window = state.window;
  run.progress.update(step + 1, (step + 1 - state.stepInTask) * globalBatchSize(run.c), `loss ${r.loss.toFixed(4)} | acc ${((100 * window.correct) / window.count).toFixed(1)}% | ${run.eta(doneSteps)}`);
  if (epochEnd) {
    writeTrainScalars(run.events, state.tbWindow!, t, state.globalStep);
    Object.assign(state.tbWindow!, emptyWindow());
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
