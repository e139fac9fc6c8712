// The continual-learning loop, task after task, as the official train_continual.py runs it:
// steps per task = (task examples × num_epochs) // global batch, evaluation at each epoch's end on
// every task seen so far, metrics at each task's end. It checkpoints at every evaluation, so a killed
// run resumed with the same workdir finishes with the same numbers as an uninterrupted one.
import { baseLearningRate, globalBatchSize } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { faultPoint } from '../fault.ts';
import { Pipeline, type PipelineState } from '../data/index.ts';
import { idHistogram, tags } from '../report/index.ts';
import { requireFloat16 } from '../runtime/ort.ts';
import { addStep, emptyWindow, hasCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { evalClassMask } from './eval-classes.ts';
import { evaluateSource, type TaskEval } from './evaluate.ts';
import { evaluatesAt, evaluatesTask, periodicCheckpoints, summaryStep, trainSummaryStep } from './official-schedule.ts';
import type { StepResult } from './learner.ts';
import { WorkerLost } from './parallel.ts';
import { stepMetrics } from '../rundir/metrics.ts';
import { CONFIG_FILE } from '../rundir/layout.ts';
import { lockRun, type RunLock } from '../rundir/lock.ts';
import type { RunSummary } from '../rundir/summary.ts';
import { Progress } from './progress.ts';
import { learningRate } from './schedule.ts';
import { trainSeed } from './seeds.ts';
import { writeSummary } from './results.ts';
import { appendEval, evaluateFitted, statisticsPass, trainPhases } from './phases.ts';
import { phaseObjects } from '../methods/index.ts';
import { describeSaved, guardSignals, StopRequested, stopState, type StopState } from './stop.ts';
import { undoFreshRun } from './workdir.ts';
import { fmtMask, writeTrainScalars } from './describe.ts';
import { openSession, type Run, type RunOptions } from './session.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';


/**
 * Runs (or, with `resume`, continues) the experiment, holding the workdir's writer lock. A fresh run
 * that fails before its first checkpoint takes back what it wrote, so the workdir is left as it was.
 */
export async function trainContinual(o: RunOptions): Promise<RunSummary> {
  // Refused before the workdir is touched where the provider has no float16 kernels.
  if (o.config.compute_precision === 'fp16') await requireFloat16(o.runtime?.device ?? 'cpu');
  const progress = new Progress(o.sink ?? { write: (s: string) => process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) });
  // From here on a signal stops the run where it can save, whatever it is doing.
  const stop = stopState();
  const releaseSignals = guardSignals(stop, (s) => progress.note(s));
  const existed = existsSync(o.workdir);
  let lock: RunLock | undefined;
  try {
    lock = lockRun(o.workdir);
    const fresh = !existsSync(join(o.workdir, CONFIG_FILE));
    return await runContinual(o, stop, progress).catch((e: unknown) => {
      lock!.release();
      if (fresh && !(e instanceof StopRequested) && !hasCheckpoint(o.workdir)) undoFreshRun(o.workdir, existed);
      if (e instanceof WorkerLost && !(e instanceof WorkerLostKept) && hasCheckpoint(o.workdir)) throw new WorkerLost(`${e.message}; the run is kept at its last checkpoint: continue with --resume --workdir ${o.workdir}`);
      throw e;
    });
  } finally {
    lock?.release();
    releaseSignals();
  }
}


async function runContinual(o: RunOptions, stop: StopState, progress: Progress): Promise<RunSummary> {
  const run = openSession(o, stop, progress);
  stop.onQuit.push(() => run.events.close());
  try {
    for (let t = run.state.task; t < run.trainTasks.length; t++) {
      await trainTask(run, t);
      finishTask(run, t);
      // After the last task the run is finished: it ends as if no signal had come.
      if (stop.signal && t + 1 < run.trainTasks.length) throw stopped(run);
    }
  } finally {
    run.events.close();
    await run.parallel?.close();
  }
  return writeSummary(o.workdir, run.c, run.stream, run.state, run.learner, run.sharedTest, !run.sequential);
}


/** The stop after a signal, once the checkpoint it names is saved. */
function stopped(run: Run): StopRequested {
  const steps = run.plan.plans[run.state.task]?.steps ?? 0;
  return new StopRequested(run.stop.signal!, run.o.workdir, run.stop.at, describeSaved(run.state, steps));
}

/** Thrown out of an evaluation batch by a stop: the evaluation is left for --resume. */
class EvaluationStopped extends Error {}

/**
 * Evaluates the tasks seen after training task t (every task, for joint training) and records the
 * results; null, with nothing recorded, when a stop came first.
 */
async function evaluateSeen(run: Run, t: number, evalStep: number): Promise<TaskEval[] | null> {
  const { c, stream, state, events, progress } = run;
  const upto = run.sharedTest ? [0] : Array.from({ length: run.sequential ? t + 1 : stream.tasks.length }, (_, i) => i);
  const res: TaskEval[] = [];
  const onBatch = (n: number) => {
    progress.update(n, n);
    if (run.stop.signal) throw new EvaluationStopped();
  };
  for (const i of upto) {
    const task = stream.tasks[i];
    if (run.stop.signal) return null;
    progress.begin(`  eval task ${i}`, task.test.length);
    const mask = evalClassMask(c, task, run.trainTasks.slice(0, t + 1));
    try {
      res.push(await evaluateSource(run.learner, task.test, mask, { ...run.evalOpts, onBatch }));
    } catch (e) {
      if (e instanceof EvaluationStopped) return null;
      throw e;
    }
  }
  // Recorded once whole, so a stopped evaluation leaves the state as the step left it.
  for (const [k, i] of upto.entries()) {
    const r = res[k];
    state.accMatrix[i][t] = r.accuracy;
    state.promptUsage[i] = r.promptCounts;
    events.scalar(tags.accuracyTag(i), r.accuracy / 100, evalStep);
    events.scalar(tags.evalLossTag(i), r.loss, evalStep);
    // Only a method that selects prompts has ids to count (the counts are zeros otherwise).
    if (c.prompt_histogram && r.promptCounts.some((n) => n > 0)) {
      const ids = r.promptCounts.flatMap((n, id) => new Array<number>(n).fill(id));
      events.histogram(tags.promptHistogramTag(i), idHistogram(ids, r.promptCounts.length), evalStep);
    }
  }
  const avg = res.reduce((a, r) => a + r.accuracy, 0) / res.length;
  events.scalar(tags.AVG_ACC, avg / 100, evalStep);
  progress.note(`  after task ${t}: ${res.map((r, i) => `acc_${upto[i]} ${r.accuracy.toFixed(2)}%`).join(', ')} | avg_acc ${avg.toFixed(2)}%`);
  return res;
}

function trainPipeline(run: Run, t: number): Pipeline {
  const c = run.c;
  const pipe = new Pipeline(run.trainTasks[t].train, {
    batchSize: globalBatchSize(c),
    train: true,
    augment: c.train_augment ?? true,
    seed: trainSeed(c, t),
    shuffleBuffer: c.shuffle_buffer_size,
    preprocess: { resizeSize: c.resize_size, inputSize: c.input_size },
    workers: run.o.workers,
  });
  if (run.state.pipeline) pipe.restore(run.state.pipeline);
  return pipe;
}

/** Trains task t from where the state stands, evaluating and checkpointing on the official schedule. */
async function trainTask(run: Run, t: number): Promise<void> {
  const { c, learner, progress } = run;
  const task = run.trainTasks[t];
  const plan = run.plan.plans[t];
  const phases = learner.model.phases?.(t) ?? ['gradient'];
  const objects = phaseObjects(phases);
  if (objects) return trainPhases(run, t, objects, { evaluateSeen, stopped, save });
  const fresh = run.state.stepInTask === 0;
  if (fresh && t > 0 && c.reinit_optimizer) learner.opt = learner.freshOptimizer();
  learner.beginTask(t, fresh);
  // A closed-form fit after the steps: the task is evaluated once fitted, not at its last step.
  const fits = phases.includes('statistics');
  const pipe = trainPipeline(run, t);
  const schedule = {
    kind: c.learning_rate_schedule,
    baseLr: baseLearningRate(c),
    stepsPerEpoch: plan.stepsPerEpoch,
    numEpochs: c.num_epochs,
    warmupEpochs: c.warmup_epochs,
    minLr: (c.min_learning_rate * globalBatchSize(c)) / 256,
  };
  progress.note(`task ${t + 1}/${run.trainTasks.length}: ${task.train.length} training examples, ${plan.steps} steps of ${globalBatchSize(c)}, classes ${fmtMask(task.classMask)}`);
  progress.begin(`  train task ${t}`, plan.steps);
  run.stop.phase = `during training of task ${t}`;
  try {
    if (run.state.evalPending) {
      const step = run.state.stepInTask - 1;
      await evaluateAndCheckpoint(run, t, step, step + 1 === plan.steps, pipe);
      if (run.stop.signal && step + 1 < plan.steps) throw stopped(run);
    }
    for (let step = run.state.stepInTask; step < plan.steps; step++) {
      const before = pipe.state();
      const batch = await pipe.next();
      if (!batch) throw new Error(`training pipeline of task ${t} ended early`);
      const lr = learningRate(schedule, step + 1);
      const r = await trainStep(run, t, step, before, () => learner.trainStep(batch.images, batch.labels, t, task.classMask, lr));
      if (!Number.isFinite(r.loss)) throw new UserError(`task ${t} step ${step}: the loss is ${r.loss}; check labels against the class mask and the learning rate`);
      recordStep(run, t, step, r, lr);
      faultPoint('step');
      const last = step + 1 === plan.steps;
      if (evaluatesAt(c, t, run.state.globalStep, last, plan.evalEvery) && !(last && fits)) {
        await evaluateAndCheckpoint(run, t, step, last, pipe);
        progress.begin(`  train task ${t}`, plan.steps);
      } else if (run.stop.signal || (last && fits) || (periodicCheckpoints(c, t, run.trainTasks.length) && c.checkpoint_every_steps > 0 && run.state.globalStep % c.checkpoint_every_steps === 0)) {
        checkpointAt(run, step, pipe);
      }
      // The task's last step is saved by finishTask, and the run stops there.
      if (run.stop.signal && !last) throw stopped(run);
    }
  } finally {
    await pipe.close();
  }
  if (fits) await fitTask(run, t);
}

/** Task t's statistics pass and closed-form fit, then its evaluation (src/train/phases.ts). */
async function fitTask(run: Run, t: number): Promise<void> {
  await statisticsPass(run, t, stopped);
  if (evaluatesTask(run.c, t)) await evaluateFitted(run, t, { evaluateSeen, stopped });
}

/** Adds a step's results to the metrics window and TensorBoard's, writing the training scalars when due. */
function recordStep(run: Run, t: number, step: number, r: StepResult, lr: number): void {
  const { c, state } = run;
  const plan = run.plan.plans[t];
  addStep(state, r, lr);
  const window = state.window;
  const doneSteps = run.plan.stepsBefore[t] + step + 1;
  run.progress.update(step + 1, (step + 1 - state.stepInTask) * globalBatchSize(c), `loss ${r.loss.toFixed(4)} | acc ${((100 * window.correct) / window.count).toFixed(1)}% | ${run.eta(doneSteps)}`);
  // TensorBoard's training scalars have their own window, written on the official epoch axis.
  const trainStep = trainSummaryStep(t, c.num_epochs, step, step + 1 === plan.steps, c.eval_every_steps > 0 ? 1 : plan.stepsPerEpoch);
  if (trainStep !== null) {
    writeTrainScalars(run.events, state.tbWindow!, t, trainStep);
    Object.assign(state.tbWindow!, emptyWindow());
  }
}

/**
 * One training step. A data-parallel worker lost in it takes only that step: the parameters are
 * those of the step before, which is saved (`before`: the data position it left) and named.
 */
async function trainStep(run: Run, t: number, step: number, before: PipelineState, go: () => Promise<StepResult>): Promise<StepResult> {
  try {
    return await go();
  } catch (e) {
    if (!(e instanceof WorkerLost)) throw e;
    run.state = { ...run.state, stepInTask: step, pipeline: before, evalPending: false, elapsed: run.elapsed() };
    save(run);
    // A signal to the whole process group (Slurm's SIGTERM) ends the workers too: a stop, not a loss.
    if (run.stop.signal) throw stopped(run);
    throw new WorkerLostKept(`${e.message}; the run is kept at task ${t}, step ${step}: continue with --resume --workdir ${run.o.workdir}`);
  }
}

/** A lost worker whose message already names the checkpoint kept. */
class WorkerLostKept extends WorkerLost {}

/** The evaluation due after `step` and its metrics record, then a checkpoint; a stop during it saves the step with the evaluation pending. */
async function evaluateAndCheckpoint(run: Run, t: number, step: number, last: boolean, pipe: Pipeline): Promise<void> {
  const { state } = run;
  run.stop.phase = `during the evaluation after step ${step + 1} of task ${t}`;
  const res = await evaluateSeen(run, t, summaryStep(run.plan.plans, state.globalStep));
  if (res === null) {
    checkpointAt(run, step, pipe, true);
    throw stopped(run);
  }
  run.stop.phase = `during training of task ${t}`;
  const w = state.window;
  appendEval(run, t, step + 1, res);
  faultPoint('metrics');
  Object.assign(w, emptyWindow());
  // The task's last checkpoint is written by finishTask, with the task marked done.
  if (last) run.state = { ...state, stepInTask: step + 1, pipeline: pipe.state(), evalPending: false, elapsed: run.elapsed() };
  else checkpointAt(run, step, pipe);
}

function checkpointAt(run: Run, step: number, pipe: Pipeline, evalPending = false): void {
  run.state = { ...run.state, stepInTask: step + 1, pipeline: pipe.state(), evalPending, elapsed: run.elapsed() };
  save(run);
}

function save(run: Run): void {
  const method = run.learner.model.saveState?.();
  if (method) run.state = { ...run.state, method };
  // A task that ran no step ends at the step the one before it ended: its npz is named apart.
  const stepless = run.state.stepInTask === 0 && run.plan.plans[run.state.task - 1]?.steps === 0;
  // Within a task of phases, a checkpoint is named by its phase too (a statistics phase runs no step).
  const phase = run.state.phase ? run.state.phase : run.state.phase === 0 && run.state.stepInTask > 0 ? 0 : undefined;
  saveCheckpoint(run.o.workdir, run.learner.params, run.trained, run.learner.opt, run.state, run.c.keep_checkpoints ?? 2, run.learner.fitted, stepless ? run.state.task : undefined, phase);
}

/** After task t: the continual metrics (where tasks are a sequence), then the task's checkpoint. */
function finishTask(run: Run, t: number): void {
  const { c, state, events } = run;
  if (!run.sharedTest && run.sequential && evaluatesTask(c, t)) {
    const m = stepMetrics(state.accMatrix, t);
    const evalStep = summaryStep(run.plan.plans, state.globalStep);
    if (m.forgetting !== null) events.scalar(tags.FORGETTING, m.forgetting / 100, evalStep);
    if (m.backward !== null) events.scalar(tags.BACKWARD, m.backward / 100, evalStep);
    events.scalar(tags.LEARNING_ACC, m.learning_acc / 100, evalStep);
    run.progress.note(`  task ${t} done: avg_acc ${m.avg_acc.toFixed(2)}% | forgetting ${m.forgetting?.toFixed(2) ?? '-'} | learning_acc ${m.learning_acc.toFixed(2)}%`);
  }
  run.state = { ...run.state, task: t + 1, stepInTask: 0, ...(run.state.phase === undefined ? {} : { phase: 0 }), pipeline: null, done: t + 1 === run.trainTasks.length, elapsed: run.elapsed() };
  save(run);
}

export { StopRequested };
export type { RunOptions };

