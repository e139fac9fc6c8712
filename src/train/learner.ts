// The learner: parameters, optimiser state and the compiled step graphs of one run. A training step
// takes the global batch as the official data-parallel step does: per-device micro-batches (each with
// its own batch-wise vote), gradients averaged, clipped by global norm, one optimiser update.
import type { L2PConfig } from '../config/l2p.ts';
import { buildQueryStep } from '../vit/query.ts';
import type { GradientPhase, GraphPlan, GraphRunner, MethodModel, StepGraph } from '../methods/index.ts';
import { compile, type Compiled, type HostTensor, type RuntimeOptions } from '../runtime/ort.ts';
import { matchesPattern } from '../vit/bind.ts';
import type { Params } from '../vit/params.ts';
import { addInOrder, chunkBounds, chunkSquares, meanInPlace } from './frozen-norm.ts';
import { argmax, countCorrect, crossEntropy } from './logit-rows.ts';
import { concatRows, l2Coefficient, trainedPaths } from './trained-paths.ts';
import { adamInit, adamStep, clipByGlobalNorm, sgdInit, sgdStep, type AdamState, type SgdState, type Tensors } from './optim.ts';

export interface StepResult {
  loss: number;
  correct: number;
  count: number;
  gradNorm: number;
  /** Selected prompt ids of the batch, [B·N] (empty without prompts). */
  promptIds: Int32Array;
}

export interface EvalResult {
  correct: number;
  count: number;
  lossSum: number;
  /** Cross-entropy per image, [n]. */
  losses: Float32Array;
  predictions: Int32Array;
  promptIds: Int32Array;
  /** Unmasked logits, [n, classes]. */
  logits: Float32Array;
}

/** How a training graph gives the frozen parameters' gradients (undefined: not at all). */
export type FrozenGrads = 'tensors' | 'sum_squares' | undefined;

/** One device's share of a training step: its images and labels and what its graph is fed besides. */
export interface MicroBatch {
  images: Float32Array;
  labels: Int32Array;
  taskId: number;
  frozenGrads: FrozenGrads;
  /** 1 for the current task's classes, [numClasses]. */
  classMask: Uint8Array;
  /** The method's own feeds (e.g. 'prompt_freq'), computed on the host where the method's state lives. */
  feeds: Record<string, HostTensor>;
  /** Give back every output of the graph (a traced step). */
  trace?: boolean;
}

/** What a micro-batch's forward and backward pass gives the host. */
export interface MicroResult {
  loss: number;
  correct: number;
  promptIds: Int32Array;
  /** The frozen gradients' summed squares (a step of one micro-batch under grad_clip_scope 'all'), else 0. */
  frozenSq: number;
  /** The features the head saw [n, D], where the method asks for them (run here, not in worker processes). */
  features?: Float32Array;
  /** The gradient of each path the graph differentiates, in the graph's order. */
  grads: Map<string, Float32Array>;
  /** Every output of the micro-batch's graph, in a traced step. */
  outputs?: Record<string, HostTensor>;
}

/** A traced step beyond its result: what `l2p debug-step` writes out (and tests compare with a reference). */
export interface StepTrace {
  /** Each micro-batch's graph outputs, in batch order. */
  outputs: Record<string, HostTensor>[];
  /** The gradients averaged over the micro-batches, before the clip: the trained ones and any frozen ones the norm takes in. */
  grads: Tensors;
  norm: number;
  /** The clip's factor, min(1, max_norm / (norm + 1e-6)). */
  factor: number;
}

/**
 * Runs a step's micro-batches elsewhere (data-parallel worker processes, src/train/parallel.ts),
 * results in the jobs' order. A runner with `frozenSquares` keeps the frozen gradients of micro-batches
 * that give them as tensors where they ran: their results carry only the trained gradients.
 */
export interface MicroBatchRunner {
  run(jobs: MicroBatch[], trained: Tensors): Promise<MicroResult[]>;
  /** The last step's mean frozen gradient's summed squares, chunk by chunk in the order of src/train/frozen-norm.ts. */
  frozenSquares?(micro: number): Promise<number[]>;
  /** The last step's mean frozen gradient, by path (a traced step). */
  frozenMean?(micro: number): Promise<Tensors>;
}

export type OptState = { kind: 'adam'; state: AdamState } | { kind: 'sgd'; state: SgdState };

export class Learner {
  opt: OptState;
  private readonly trained: string[];
  /** The method's parameters fitted in closed form: fed to its graphs and checkpointed, never stepped. */
  readonly fitted: string[];
  /** The pretrained weights of backbone parameters that train: the query keeps using them. */
  private readonly original: Params | undefined;
  /** The task being trained, or the last one trained: a method whose model grows with the tasks evaluates with it. */
  private task = 0;
  /** Where training micro-batches run: null, here, one after another. */
  devices: MicroBatchRunner | null = null;
  /** Called after each training step with its trace (the micro-batches, wherever they run, give back their graphs' outputs). */
  onStep: ((t: StepTrace) => void) | null = null;
  /** The method's GradientPhase under way (null: the task's one gradient phase, every trained path). */
  private phase: GradientPhase | null = null;
  /** The paths the current phase steps: all trained ones, or a GradientPhase's. */
  private stepped: string[];
  /** Each stepped path's learning-rate factor (a GradientPhase's lrScale), where not 1. */
  private lrScale: Map<string, number> | undefined;

  constructor(
    readonly config: L2PConfig,
    /** The method set up for this run (src/methods): its graphs, selection and per-task hooks. */
    readonly model: MethodModel,
    /** Backbone and method parameters by checkpoint path; the trained ones are updated in place. */
    readonly params: Params,
    readonly imageSize: number,
    readonly runtime: RuntimeOptions = {},
  ) {
    this.trained = trainedPaths(config, model, [...params.keys()]);
    this.fitted = [...model.params.keys()].filter((k) => (model.fitted ?? []).some((pattern) => matchesPattern(k, pattern)));
    this.stepped = this.trained;
    this.opt = this.freshOptimizer();
    const own = (k: string) => model.params.has(k);
    const trainedBackbone = this.trained.filter((k) => !own(k));
    if (trainedBackbone.length > 0) {
      this.original = new Map([...params].filter(([k]) => !own(k)).map(([k, v]) => [k, trainedBackbone.includes(k) ? { shape: v.shape, data: v.data.slice() } : v] as const));
    }
  }

  /** Task t begins (`fresh`: at its first step, so the method's start-of-task hook runs) or resumes. */
  beginTask(t: number, fresh: boolean): void {
    this.task = t;
    if (fresh) this.model.startTask(this.params, t);
  }

  /**
   * A GradientPhase begins (`fresh`: at its first step, with a fresh optimiser state) or resumes; null
   * returns to every trained path. The optimiser state keeps moments for every trained path, so that
   * checkpoints have one layout whatever the phase: those outside the phase stay zero.
   */
  beginPhase(phase: GradientPhase | null, fresh: boolean): void {
    if (phase && this.devices) throw new Error(`method '${this.config.method}' trains in phases, which run in this process only (not data-parallel)`);
    this.phase = phase;
    this.stepped = phase ? this.trained.filter((k) => phase.trains.some((pattern) => matchesPattern(k, pattern))) : this.trained;
    if (phase && this.stepped.length === 0) throw new Error(`phase '${phase.name}' trains none of the method's parameters (${phase.trains.join(', ')})`);
    const scales = phase?.lrScale ?? [];
    this.lrScale = scales.length ? new Map(this.stepped.map((k) => [k, scales.find((s) => matchesPattern(k, s.pattern))?.scale ?? 1] as const)) : undefined;
    if (fresh && phase) this.opt = this.freshOptimizer();
  }

  /** The last task trained, for a learner opened from a checkpoint (no hook runs). */
  atTask(t: number): void {
    this.task = t;
  }

  get trainedTensors(): Tensors {
    return new Map(this.trained.map((k) => [k, this.params.get(k)!.data] as const));
  }

  freshOptimizer(): OptState {
    const t = this.trainedTensors;
    return this.config.optim === 'sgd' ? { kind: 'sgd', state: sgdInit(t) } : { kind: 'adam', state: adamInit(t) };
  }

  /** The test-time selection, as summary.json names it. */
  evalSelection(): string {
    return this.model.evalSelection;
  }

  private readonly isTrained = (path: string) => this.trained.includes(path);
  private readonly isStepped = (path: string) => this.stepped.includes(path);
  private readonly isFitted = (path: string) => this.fitted.includes(path);

  /** Compiled step graphs by batch size and selection: built once, not at every step. */
  private readonly sessions = new Map<string, Promise<{ graph: StepGraph; session: Compiled }>>();

  private async cached(plan: GraphPlan): Promise<{ graph: StepGraph; session: Compiled; feeds: GraphPlan['feeds'] }> {
    let hit = this.sessions.get(plan.key);
    if (!hit) {
      hit = (async () => {
        const graph = plan.build();
        return { graph, session: await compile(graph.outputs, this.runtime) };
      })();
      this.sessions.set(plan.key, hit);
    }
    return { ...(await hit), feeds: plan.feeds };
  }

  private trainPlan(batch: number, taskId: number, frozenGrads: FrozenGrads): GraphPlan {
    return this.model.train({
      params: this.params,
      taskId,
      batch,
      imageSize: [this.imageSize, this.imageSize],
      isTrained: this.isStepped, // the current phase's paths; outside a phase, every trained one
      isFitted: this.isFitted,
      frozenGrads,
      weightDecay: l2Coefficient(this.config),
      original: this.original,
      features: this.model.trainFeatures,
      ...(this.phase ? { phase: this.phase.name } : {}),
    });
  }

  /** One optimiser step on a global batch. `classMask` lists the current task's classes. */
  async trainStep(images: Float32Array, labels: Int32Array, taskId: number, classMask: readonly number[], lr: number): Promise<StepResult> {
    const c = this.config;
    const b = labels.length;
    const per = c.per_device_batch_size;
    const px = this.imageSize * this.imageSize * 3;
    const mask = new Uint8Array(this.model.numClasses);
    for (const k of classMask) mask[k] = 1;
    // Under grad_clip_scope 'all' the frozen gradients count only through their norm. A step of one
    // micro-batch takes their summed squares from the graph; over several, the norm is of the mean
    // over devices, so the tensors themselves are averaged first.
    const micro = Math.ceil(b / per);
    const frozenGrads: FrozenGrads = c.grad_clip_scope === 'trained' ? undefined : micro === 1 ? 'sum_squares' : 'tensors';
    const jobs: MicroBatch[] = [];
    for (let s = 0; s < b; s += per) {
      const n = Math.min(per, b - s);
      const feeds = this.trainPlan(n, taskId, frozenGrads).feeds(n);
      jobs.push({ images: images.subarray(s * px, (s + n) * px), labels: labels.subarray(s, s + n), taskId, frozenGrads, classMask: mask, feeds, trace: this.onStep !== null });
    }
    // Summed in the order of the micro-batches wherever they ran, so the sums are the same numbers;
    // here, each micro-batch's gradients are added (and let go) before the next one runs.
    let sums: Tensors | null = null;
    let frozenSq = 0;
    const outputs: Record<string, HostTensor>[] = [];
    let loss = 0;
    let correct = 0;
    const ids: number[] = [];
    const features: Float32Array[] = [];
    const add = (r: MicroResult) => {
      loss += r.loss;
      correct += r.correct;
      for (const v of r.promptIds) ids.push(v);
      if (r.features) features.push(r.features);
      frozenSq += r.frozenSq;
      if (r.outputs) outputs.push(r.outputs);
      if (!sums) sums = new Map([...r.grads.keys()].map((k) => [k, new Float32Array(this.params.get(k)!.data.length)] as const));
      for (const [k, gr] of r.grads) {
        const acc = sums.get(k)!;
        for (let i = 0; i < acc.length; i++) acc[i] += gr[i];
      }
    };
    if (this.devices) for (const r of await this.devices.run(jobs, this.trainedTensors)) add(r);
    else for (const j of jobs) add(await this.runMicroBatch(j));
    // pmean: the gradient of the global step is the mean over devices.
    for (const acc of sums!.values()) meanInPlace(acc, micro);
    const grads: Tensors = new Map(this.stepped.map((k) => [k, sums!.get(k)!] as const));
    // The frozen means' squares, summed here or where the runner keeps them, in one order (frozen-norm.ts).
    const kept = frozenGrads === 'tensors' && this.devices?.frozenSquares !== undefined;
    for (const [k, acc] of sums!) if (!grads.has(k)) frozenSq = addInOrder(frozenSq, chunkSquares(acc, 0, chunkBounds([acc.length])));
    if (kept) frozenSq = addInOrder(frozenSq, await this.devices!.frozenSquares!(micro));
    const averaged: Tensors | null = this.onStep ? new Map([...sums!].map(([k, g]) => [k, g.slice()] as const)) : null;
    if (averaged && kept) for (const [k, g] of await this.devices!.frozenMean!(micro)) averaged.set(k, g);
    const clip = clipByGlobalNorm(grads, c.grad_clip_max_norm, frozenSq);
    this.applyUpdate(grads, lr);
    if (this.onStep) this.onStep({ outputs, grads: averaged!, norm: clip.norm, factor: clip.factor });
    const promptIds = Int32Array.from(ids);
    this.model.observe?.(taskId, { promptIds, labels, ...(this.model.trainFeatures ? { features: concatRows(features) } : {}) });
    return { loss: loss / micro, correct, count: b, gradNorm: clip.norm, promptIds };
  }

  /** The forward and backward pass of one micro-batch on this learner's sessions, with the trained tensors as they stand. */
  async runMicroBatch(j: MicroBatch): Promise<MicroResult> {
    const n = j.labels.length;
    const { graph, session } = await this.cached(this.trainPlan(n, j.taskId, j.frozenGrads));
    const feeds = { ...this.feeds(graph, j.images, j.labels), ...j.feeds };
    if (graph.feedsNeeded.includes('class_mask')) feeds.class_mask = { shape: [j.classMask.length], data: j.classMask };
    const r = await session.run(feeds);
    return {
      loss: (r.loss.data as Float32Array)[0],
      correct: countCorrect(r.logits.data as Float32Array, j.labels, this.model.numClasses, j.classMask),
      promptIds: r.prompt_idx ? (r.prompt_idx.data as Int32Array) : new Int32Array(0),
      frozenSq: r.frozen_grad_sq ? (r.frozen_grad_sq.data as Float32Array)[0] : 0,
      grads: new Map(graph.gradPaths.map((k) => [k, r[`grad/${k}`].data as Float32Array] as const)),
      ...(r.features ? { features: r.features.data as Float32Array } : {}),
      ...(j.trace ? { outputs: r } : {}),
    };
  }

  /** Sets the trained tensors (a data-parallel worker receives them from the host before each step). */
  setTrained(values: Tensors): void {
    for (const k of this.trained) this.params.get(k)!.data.set(values.get(k)!);
  }

  /**
   * The backbone as it was pretrained (what a data-parallel worker builds its graphs from): trained
   * backbone tensors as they were before the first step.
   */
  pretrainedBackbone(): Params {
    return this.original ?? new Map([...this.params].filter(([k]) => !this.model.params.has(k)));
  }

  private applyUpdate(grads: Tensors, lr: number): void {
    const c = this.config;
    const params = new Map(this.stepped.map((k) => [k, this.params.get(k)!.data] as const));
    if (this.opt.kind === 'adam') {
      const { beta1, beta2, eps } = c.optim_config;
      adamStep(params, grads, this.opt.state, lr, { beta1, beta2, eps, weightDecay: c.weight_decay, lrScale: this.lrScale });
    } else {
      sgdStep(params, grads, this.opt.state, lr, c.sgd_momentum, c.optim_config.nesterov);
    }
  }

  /** Whether evaluation selects prompts with the frozen backbone's query (and so can reuse cached queries). */
  get usesQuery(): boolean {
    return this.model.usesQuery;
  }

  /** The frozen query (pre_logits of the original backbone) of a batch: [n, D]. */
  async query(images: Float32Array, n: number): Promise<Float32Array> {
    const model = { vit: this.model.vit, queryPrecision: this.config.query_precision };
    const { session } = await this.cached({
      key: `query:${n}`,
      build: () => buildQueryStep(this.original ?? this.params, { model, batch: n, imageSize: [this.imageSize, this.imageSize] }),
      feeds: () => ({}),
    });
    const r = await session.run({ images: { shape: [n, this.imageSize, this.imageSize, 3], data: images } });
    return r.query.data as Float32Array;
  }

  /**
   * Logits, loss and prompt ids of an evaluation batch; `taskMask` masks logits (task-incremental).
   * `query` [n, D], when given, is used instead of running the frozen backbone again.
   */
  async evalBatch(images: Float32Array, labels: Int32Array, taskMask: readonly number[] | null, query?: Float32Array): Promise<EvalResult> {
    const n = labels.length;
    const r = await this.runEval(images, labels, false, query);
    const logits = r.logits.data as Float32Array;
    const c = this.model.numClasses;
    const mask = new Uint8Array(c).fill(taskMask ? 0 : 1);
    if (taskMask) for (const k of taskMask) mask[k] = 1;
    const predictions = new Int32Array(n);
    const losses = new Float32Array(n);
    let correct = 0;
    let lossSum = 0;
    for (let i = 0; i < n; i++) {
      const row = logits.subarray(i * c, (i + 1) * c);
      predictions[i] = argmax(row, mask);
      if (predictions[i] === labels[i]) correct++;
      losses[i] = crossEntropy(row, labels[i], mask);
      lossSum += losses[i];
    }
    const promptIds = r.prompt_idx ? (r.prompt_idx.data as Int32Array) : new Int32Array(0);
    return { correct, count: n, lossSum, losses, predictions, promptIds, logits };
  }

  /** The features [n, D] of a batch through the method's evaluation graph (a statistics pass). */
  async features(images: Float32Array, labels: Int32Array, phase?: string): Promise<Float32Array> {
    const r = await this.runEval(images, labels, true, undefined, phase);
    if (!r.features) throw new Error(`method '${this.config.method}' has a statistics phase but its evaluation graph gives no features`);
    return r.features.data as Float32Array;
  }

  private async runEval(images: Float32Array, labels: Int32Array, features: boolean, query?: Float32Array, phase?: string): Promise<Record<string, HostTensor>> {
    const n = labels.length;
    const queryFed = query !== undefined;
    const spec = { params: this.params, taskId: this.task, batch: n, imageSize: [this.imageSize, this.imageSize] as [number, number], isTrained: this.isTrained, isFitted: this.isFitted, original: this.original, queryFed, features, ...(phase ? { phase } : {}) };
    const { graph, session, feeds: own } = await this.cached(this.model.eval(spec));
    const feeds = { ...this.feeds(graph, images, labels), ...own(n) };
    if (query) feeds.query = { shape: [n, this.model.vit.hidden], data: query };
    return session.run(feeds);
  }

  /** Runs a method's own graphs (an end-of-task fit), compiled once per plan key. */
  readonly graphs: GraphRunner = {
    run: async (plan, feeds) => {
      const { session } = await this.cached(plan);
      return session.run(feeds);
    },
  };

  private feeds(graph: StepGraph, images: Float32Array, labels: Int32Array): Record<string, HostTensor> {
    const n = labels.length;
    const feeds: Record<string, HostTensor> = { images: { shape: [n, this.imageSize, this.imageSize, 3], data: images } };
    if (graph.feedsNeeded.includes('labels')) feeds.labels = { shape: [n], data: labels };
    for (const t of graph.trained) feeds[t.label!] = { shape: t.shape, data: this.params.get(t.label!)!.data };
    return feeds;
  }
}

export { l2Coefficient, trainedPaths } from './trained-paths.ts';
