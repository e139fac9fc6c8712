// A run's session: the options it is started with, what its functions share, and the opening of it
// (the workdir claimed, the learner built, a checkpoint resumed, every task planned).
import { join } from 'node:path';
import { configNotices } from '../config/keys.ts';
import { UserError } from '../errors.ts';
import { type L2PConfig } from '../config/l2p.ts';
import { concat, type ContinualStream } from '../data/index.ts';
import { EventWriter } from '../report/index.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import type { LoadedViT } from '../vit/params.ts';
import { emptyWindow, hasCheckpoint, loadCheckpoint, type LoopState } from './checkpoint.ts';
import { evalOptionsOf } from './evaluate.ts';
import { QUERY_CACHE_BYTES, QueryCache } from './query-cache.ts';
import { stepCountExamples } from './official-schedule.ts';
import type { Learner } from './learner.ts';
import { planPhases, planRun, planTask, runEta, type RunPlan } from './plan.ts';
import { createLearner } from './experiment.ts';
import { checkParallel, DataParallel, type ParallelOptions } from './parallel.ts';
import { methodOf, phaseObjects } from '../methods/index.ts';
import { trimMetrics } from '../rundir/records.ts';
import { QUERY_CACHE_DIR } from '../rundir/layout.ts';
import { Progress, type ProgressSink } from './progress.ts';
import type { StopState } from './stop.ts';
import { claimWorkdir } from './workdir.ts';
import { parameterReport } from './describe.ts';

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
  /** Each step's micro-batches on worker processes, one per device (default: all here, one after another). */
  parallel?: ParallelOptions;
}

/** One run under way: what its functions share. */
export interface Run {
  o: RunOptions;
  c: L2PConfig;
  stream: ContinualStream;
  learner: Learner;
  trained: string[];
  /** The tasks the method trains (joint training: one of all the data). */
  trainTasks: ContinualStream['tasks'];
  /** Each trained task is tested on the tasks seen so far (false: every task, after the one training). */
  sequential: boolean;
  sharedTest: boolean;
  state: LoopState;
  /** The data-parallel workers, where the run has them. */
  parallel: DataParallel | null;
  events: EventWriter;
  progress: Progress;
  plan: RunPlan;
  eta: (doneSteps: number) => string;
  elapsed: () => number;
  evalOpts: ReturnType<typeof evalOptionsOf> & { maxBatches: number; workers?: number; queryCache: QueryCache };
  stop: StopState;
}

/** Claims the workdir, builds the learner, resumes from a checkpoint if asked, and plans every task. */
export function openSession(o: RunOptions, stop: StopState, progress: Progress): Run {
  const c = o.config;
  if (o.parallel) checkParallel(c, o.parallel);
  claimWorkdir(o.workdir, c, o.resume);
  const stream = o.stream;
  const learner = createLearner(c, o.backbone, stream.numClasses, o.runtime);
  const trained = [...learner.trainedTensors.keys()];
  if (o.parallel && phaseObjects(learner.model.phases?.(0) ?? [])) throw new UserError(`method '${c.method}' trains in phases, which run in one process: run it without --data-parallel`);
  const method = methodOf(c);
  const trainTasks = method.trainTasks(stream.tasks, (sources) => concat(sources, 'all tasks'));
  const numTasks = stream.tasks.length;
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
    state = loadCheckpoint(o.workdir, learner.params, trained, learner.opt, (w) => progress.note(`warning: ${w}`), learner.fitted);
    learner.model.loadState?.(state.method);
    progress.note(`resuming at task ${state.task}, step ${state.stepInTask} (global step ${state.globalStep})${state.evalPending ? '; its evaluation runs first' : ''}`);
  }
  // Records a killed session wrote after its last checkpoint (or before its first) are dropped.
  const cut = trimMetrics(o.workdir, state.globalStep);
  if (cut) progress.note(`warning: ${cut}`);
  // Printed once the workdir and any checkpoint have been accepted: an error stays the only line.
  for (const note of [...(o.notes ?? []), ...configNotices(c)]) progress.note(note);
  progress.note(`method ${c.method}: ${method.summary}`);
  progress.note(parameterReport(learner, trained));
  progress.note(`ONNX Runtime on the ${o.runtime?.device ?? 'cpu'} provider`);
  const events = new EventWriter(o.workdir);
  if (state.globalStep === 0) events.hparams(c);
  const started = performance.now() - state.elapsed * 1000;
  const planOf = (t: number, examples: number) => {
    const phases = learner.model.phases?.(t) ?? ['gradient'];
    const objects = phaseObjects(phases);
    if (objects) return planPhases(c, examples, t, objects);
    return phases.includes('gradient') ? planTask(c, examples, t) : { steps: 0, stepsPerEpoch: 0, evalEvery: 0 };
  };
  const plan = planRun(trainTasks.map((task, t) => planOf(t, stepCountExamples(c, task.train.length))));
  const sessionStart = { time: performance.now(), steps: (plan.stepsBefore[state.task] ?? plan.totalSteps) + state.stepInTask };
  // Last, once nothing here can fail: the workers are processes this one must end.
  const parallel = o.parallel ? new DataParallel({ config: c, numClasses: stream.numClasses, backbone: { ...o.backbone, params: learner.pretrainedBackbone() }, runtime: o.runtime ?? {} }, o.parallel) : null;
  learner.devices = parallel;
  if (parallel) progress.note(`data parallel: ${parallel.size} worker process${parallel.size === 1 ? '' : 'es'}, ${c.num_devices} micro-batches of ${c.per_device_batch_size} per step`);
  return {
    o,
    c,
    stream,
    learner,
    trained,
    trainTasks,
    sequential: method.sequential,
    sharedTest: stream.tasks.every((t) => t.test === stream.tasks[0].test),
    state,
    parallel,
    events,
    progress,
    plan,
    eta: runEta(plan, sessionStart),
    elapsed: () => (performance.now() - started) / 1000,
    evalOpts: { ...evalOptionsOf(c), maxBatches: c.num_eval_steps, workers: o.workers, queryCache: new QueryCache(QUERY_CACHE_BYTES, { dir: join(o.workdir, QUERY_CACHE_DIR), warn: (w) => progress.note(`warning: ${w}`) }) },
    stop,
  };
}
