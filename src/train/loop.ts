// The continual-learning loop, task after task, as the official train_continual.py runs it:
// steps per task = (task examples × num_epochs) // global batch, evaluation at each epoch's end on
// every task seen so far, metrics at each task's end. It checkpoints at every evaluation, so a killed
// run resumed with the same workdir finishes with the same numbers as an uninterrupted one.
import { baseLearningRate, globalBatchSize, type L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { faultPoint } from '../fault.ts';
import { concat, Pipeline, type ContinualStream } from '../data/index.ts';
import { EventWriter, idHistogram, tags } from '../report/index.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import type { LoadedViT } from '../vit/params.ts';
import { emptyWindow, hasCheckpoint, loadCheckpoint, saveCheckpoint, type LoopState, type TrainWindow } from './checkpoint.ts';
import { evalOptionsOf, evaluateSource, type QueryCache, type TaskEval } from './evaluate.ts';
import { evaluatesAt, evaluatesTask, periodicCheckpoints, stepCountExamples, summaryStep, trainSummaryStep } from './official-schedule.ts';
import { createLearner } from './experiment.ts';
import { methodOf } from '../methods/index.ts';
import { stepMetrics } from '../rundir/metrics.ts';
import { appendMetrics, trimMetrics } from '../rundir/records.ts';
import { CONFIG_FILE, EVENTS_PREFIX, METRICS_FILE } from '../rundir/layout.ts';
import { lockRun } from '../rundir/lock.ts';
import type { RunSummary } from '../rundir/summary.ts';
import { Progress, type ProgressSink } from './progress.ts';
import { learningRate } from './schedule.ts';
import { writeSummary } from './results.ts';
import { claimWorkdir } from './workdir.ts';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface RunOptions {
  config: L2PConfig;
  workdir: string;
  resume: boolean;
  stream: ContinualStream;
  backbone: LoadedViT;
  runtime?: RuntimeOptions;
  /** Data worker threads (default: the pipeline's choice). */
  workers?: number;
  sink?: ProgressSink;
  /** Lines to print once the workdir is claimed (warnings gathered while setting up). */
  notes?: string[];
}

interface TaskPlan {
  steps: number;
  stepsPerEpoch: number;
  evalEvery: number;
}

function planTask(c: L2PConfig, examples: number, t: number): TaskPlan {
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
 * Runs (or, with `resume`, continues) the experiment, holding the workdir's writer lock. A fresh run
 * that fails before its first checkpoint takes back what it wrote, so the workdir is left as it was.
 */
export async function trainContinual(o: RunOptions): Promise<RunSummary> {
  const existed = existsSync(o.workdir);
  const lock = lockRun(o.workdir);
  const fresh = !existsSync(join(o.workdir, CONFIG_FILE));
  try {
    return await runContinual(o);
  } catch (e) {
    lock.release();
    if (fresh && !(e instanceof StopRequested) && !hasCheckpoint(o.workdir)) undoFreshRun(o.workdir, existed);
    throw e;
  } finally {
    lock.release();
  }
}

function undoFreshRun(workdir: string, existed: boolean): void {
  if (!existsSync(workdir)) return;
  for (const f of readdirSync(workdir)) {
    if (f === CONFIG_FILE || f === METRICS_FILE || f.startsWith(EVENTS_PREFIX)) rmSync(join(workdir, f), { force: true });
  }
  if (!existed && readdirSync(workdir).length === 0) rmSync(workdir, { recursive: true, force: true });
}

async function runContinual(o: RunOptions): Promise<RunSummary> {
  const c = o.config;
  const sink = o.sink ?? { write: (s: string) => process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) };
  const progress = new Progress(sink);
  claimWorkdir(o.workdir, c, o.resume);
  const stream = o.stream;
  const learner = createLearner(c, o.backbone, stream.numClasses, o.runtime);
  const trained = [...learner.trainedTensors.keys()];
  const numTasks = stream.tasks.length;
  const sharedTest = stream.tasks.every((t) => t.test === stream.tasks[0].test);
  // A method trains the tasks in turn, or (joint training) once on every task's data, then tests each task.
  const method = methodOf(c);
  const joint = !method.sequential;
  const trainTasks = method.trainTasks(stream.tasks, (sources) => concat(sources, 'all tasks'));
  let state: LoopState = {
    task: 0,
    stepInTask: 0,
    globalStep: 0,
    pipeline: null,
    accMatrix: Array.from({ length: numTasks }, () => new Array<number>(trainTasks.length).fill(0)),
    promptUsage: Array.from({ length: numTasks }, () => []),
    window: emptyWindow(),
    done: false,
    elapsed: 0,
    images: 0,
  };
  if (o.resume && hasCheckpoint(o.workdir)) {
    state = loadCheckpoint(o.workdir, learner.params, trained, learner.opt);
    progress.note(`resuming at task ${state.task}, step ${state.stepInTask} (global step ${state.globalStep})`);
  }
  // Records a killed session wrote after its last checkpoint (or before its first) are dropped.
  trimMetrics(o.workdir, state.globalStep);
  // Printed once the workdir and any checkpoint have been accepted: an error stays the only line.
  for (const note of o.notes ?? []) progress.note(note);
  progress.note(parameterReport(learner, trained));
  const events = new EventWriter(o.workdir);
  if (state.globalStep === 0) events.hparams(c);
  const started = performance.now() - state.elapsed * 1000;
  const elapsed = () => (performance.now() - started) / 1000;
  const evalOpts = {
    ...evalOptionsOf(c),
    maxBatches: c.num_eval_steps,
    workers: o.workers,
    queryCache: new Map() as QueryCache,
  };


  const evaluateSeen = async (t: number, evalStep: number): Promise<TaskEval[]> => {
    const upto = sharedTest ? [0] : Array.from({ length: joint ? numTasks : t + 1 }, (_, i) => i);
    const res: TaskEval[] = [];
    for (const i of upto) {
      const task = stream.tasks[i];
      progress.begin(`  eval task ${i}`, task.test.length);
      const mask = c.continual.eval_task_inc ? task.classMask : null;
      const r = await evaluateSource(learner, task.test, mask, { ...evalOpts, onBatch: (n) => progress.update(n, n) });
      res.push(r);
      state.accMatrix[i][t] = r.accuracy;
      state.promptUsage[i] = r.promptCounts;
      events.scalar(tags.accuracyTag(i), r.accuracy / 100, evalStep);
      events.scalar(tags.evalLossTag(i), r.loss, evalStep);
      if (c.prompt_histogram && r.promptCounts.length > 0) {
        const ids = r.promptCounts.flatMap((n, id) => new Array<number>(n).fill(id));
        events.histogram(tags.promptHistogramTag(i), idHistogram(ids, r.promptCounts.length), evalStep);
      }
    }
    const avg = res.reduce((a, r) => a + r.accuracy, 0) / res.length;
    events.scalar(tags.AVG_ACC, avg / 100, evalStep);
    progress.note(`  after task ${t}: ${res.map((r, i) => `acc_${upto[i]} ${r.accuracy.toFixed(2)}%`).join(', ')} | avg_acc ${avg.toFixed(2)}%`);
    return res;
  };

  // The whole run's remaining training steps, for an ETA of the run (not only of the task) that a
  // long run shows within its first minute.
  const plans = trainTasks.map((task, t) => planTask(c, stepCountExamples(c, task.train.length), t));
  // Training steps finished before task t.
  const stepsBefore = plans.map((_, t) => plans.slice(0, t).reduce((a, p) => a + p.steps, 0));
  const totalSteps = plans.reduce((a, p) => a + p.steps, 0);
  const sessionStart = { time: performance.now(), steps: (stepsBefore[state.task] ?? totalSteps) + state.stepInTask };
  const runEta = (doneSteps: number): string => {
    const secs = (performance.now() - sessionStart.time) / 1000;
    const rate = (doneSteps - sessionStart.steps) / Math.max(secs, 1e-9);
    const left = rate > 0 ? (totalSteps - doneSteps) / rate : Infinity;
    return Number.isFinite(left) ? `run ETA ${left >= 3600 ? `${(left / 3600).toFixed(1)}h` : `${Math.ceil(left / 60)}m`} (training)` : '';
  };

  // SIGINT / SIGTERM: finish the step under way, save a checkpoint, stop.
  const stop: { signal: NodeJS.Signals | null } = { signal: null };
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal) {
      // A second signal quits at once: the event files are closed first, so their records stay whole
      // (the run lock is released on exit).
      events.close();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    stop.signal = sig;
    progress.note(`${sig}: stopping after this step (a checkpoint is saved; press again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (let t = state.task; t < trainTasks.length; t++) {
      const task = trainTasks[t];
      const plan = plans[t];
      if (state.stepInTask === 0 && t > 0 && c.reinit_optimizer) learner.opt = learner.freshOptimizer();
      learner.beginTask(t, state.stepInTask === 0);
      const pipe = new Pipeline(task.train, {
        batchSize: globalBatchSize(c),
        train: true,
        augment: c.train_augment ?? true,
        seed: c.seed * 1009 + t,
        shuffleBuffer: c.shuffle_buffer_size,
        preprocess: { resizeSize: c.resize_size, inputSize: c.input_size },
        workers: o.workers,
      });
      if (state.pipeline) pipe.restore(state.pipeline);
      const schedule = {
        kind: c.learning_rate_schedule,
        baseLr: baseLearningRate(c),
        stepsPerEpoch: plan.stepsPerEpoch,
        numEpochs: c.num_epochs,
        warmupEpochs: c.warmup_epochs,
        minLr: (c.min_learning_rate * globalBatchSize(c)) / 256,
      };
      progress.note(`task ${t + 1}/${trainTasks.length}: ${task.train.length} training examples, ${plan.steps} steps of ${globalBatchSize(c)}, classes ${fmtMask(task.classMask)}`);
      progress.begin(`  train task ${t}`, plan.steps);
      const window = state.window;
      // TensorBoard's training scalars have their own window, written on the official epoch axis.
      const tb = (state.tbWindow ??= emptyWindow());
      try {
        for (let step = state.stepInTask; step < plan.steps; step++) {
          const batch = await pipe.next();
          if (!batch) throw new Error(`training pipeline of task ${t} ended early`);
          const lr = learningRate(schedule, step + 1);
          const r = await learner.trainStep(batch.images, batch.labels, t, task.classMask, lr);
          if (!Number.isFinite(r.loss)) throw new UserError(`task ${t} step ${step}: the loss is ${r.loss}; check labels against the class mask and the learning rate`);
          window.loss.push(r.loss);
          window.correct += r.correct;
          window.count += r.count;
          window.grad += r.gradNorm;
          window.lr = lr;
          state.globalStep++;
          state.images += r.count;
          faultPoint('step');
          const doneSteps = stepsBefore[t] + step + 1;
          progress.update(step + 1, (step + 1 - state.stepInTask) * globalBatchSize(c), `loss ${r.loss.toFixed(4)} | acc ${((100 * window.correct) / window.count).toFixed(1)}% | ${runEta(doneSteps)}`);
          const last = step + 1 === plan.steps;
          tb.loss.push(r.loss);
          tb.correct += r.correct;
          tb.count += r.count;
          tb.grad += r.gradNorm;
          tb.lr = lr;
          const trainStep = trainSummaryStep(t, c.num_epochs, step, last, c.eval_every_steps > 0 ? 1 : plan.stepsPerEpoch);
          if (trainStep !== null) {
            writeTrainScalars(events, tb, t, trainStep);
            Object.assign(tb, emptyWindow());
          }
          if (evaluatesAt(c, t, state.globalStep, last, plan.evalEvery)) {
            const evalStep = summaryStep(plans, state.globalStep);
            const res = await evaluateSeen(t, evalStep);
            appendMetrics(o.workdir, { task: t, step: step + 1, global_step: state.globalStep, loss: mean(window.loss), train_accuracy: window.correct / window.count, accuracy: res.map((r) => r.accuracy), elapsed_s: elapsed() });
            faultPoint('metrics');
            Object.assign(window, emptyWindow());
            state = { ...state, stepInTask: step + 1, pipeline: pipe.state(), elapsed: elapsed() };
            if (!last) saveCheckpoint(o.workdir, learner.params, trained, learner.opt, state, c.keep_checkpoints ?? 2);
            progress.begin(`  train task ${t}`, plan.steps);
          } else if (stop.signal || (periodicCheckpoints(c, t, trainTasks.length) && c.checkpoint_every_steps > 0 && state.globalStep % c.checkpoint_every_steps === 0)) {
            state = { ...state, stepInTask: step + 1, pipeline: pipe.state(), elapsed: elapsed() };
            saveCheckpoint(o.workdir, learner.params, trained, learner.opt, state, c.keep_checkpoints ?? 2);
          }
          if (stop.signal) throw new StopRequested(stop.signal, o.workdir);
        }
      } finally {
        await pipe.close();
      }
      if (!sharedTest && !joint && evaluatesTask(c, t)) {
        const m = stepMetrics(state.accMatrix, t);
        const evalStep = summaryStep(plans, state.globalStep);
        if (m.forgetting !== null) events.scalar(tags.FORGETTING, m.forgetting / 100, evalStep);
        if (m.backward !== null) events.scalar(tags.BACKWARD, m.backward / 100, evalStep);
        events.scalar(tags.LEARNING_ACC, m.learning_acc / 100, evalStep);
        progress.note(`  task ${t} done: avg_acc ${m.avg_acc.toFixed(2)}% | forgetting ${m.forgetting?.toFixed(2) ?? '-'} | learning_acc ${m.learning_acc.toFixed(2)}%`);
      }
      state = { ...state, task: t + 1, stepInTask: 0, pipeline: null, done: t + 1 === trainTasks.length, elapsed: elapsed() };
      saveCheckpoint(o.workdir, learner.params, trained, learner.opt, state, c.keep_checkpoints ?? 2);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    events.close();
  }
  return writeSummary(o.workdir, c, stream, state, learner, sharedTest, joint);
}

/** Thrown after a signal once the checkpoint is saved; the CLI exits with 128 + the signal number. */
export class StopRequested extends Error {
  constructor(
    readonly signal: NodeJS.Signals,
    workdir: string,
  ) {
    super(`stopped by ${signal} after saving a checkpoint; continue with --resume --workdir ${workdir}`);
  }
}

function writeTrainScalars(events: EventWriter, w: TrainWindow, t: number, step: number): void {
  const n = w.loss.length;
  if (n === 0) return;
  const mu = mean(w.loss);
  const std = Math.sqrt(w.loss.reduce((a, x) => a + (x - mu) ** 2, 0) / n);
  events.scalars(
    { [tags.TRAIN_ACCURACY]: w.correct / w.count, [tags.LEARNING_RATE]: w.lr, [tags.LOSS]: mu, [tags.LOSS_STD]: std, [tags.L2_GRADS]: w.grad / n, [tags.TASK_ID]: t },
    step,
  );
}

/** Trainable and frozen parameter counts and the trained tensors by name, as the toolboxes print them. */
export function parameterReport(learner: { params: Map<string, { shape: number[]; data: Float32Array }> }, trained: readonly string[]): string {
  let nTrained = 0;
  let nFrozen = 0;
  for (const [k, v] of learner.params) {
    if (trained.includes(k)) nTrained += v.data.length;
    else nFrozen += v.data.length;
  }
  const fmt = (n: number) => n.toLocaleString('en-US');
  const list = trained.length <= 8 ? trained.map((k) => `${k} [${learner.params.get(k)!.shape.join(', ')}]`).join(', ') : `${trained.length} tensors`;
  return `parameters: ${fmt(nTrained)} trainable (${list}), ${fmt(nFrozen)} frozen`;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function fmtMask(m: readonly number[]): string {
  return m.length > 12 ? `${m.slice(0, 10).join(',')},… (${m.length})` : m.join(',');
}
