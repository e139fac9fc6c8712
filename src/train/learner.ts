// The learner: parameters, optimiser state and the compiled step graphs of one run. A training step
// takes the global batch as the official data-parallel step does: per-device micro-batches (each with
// its own batch-wise vote), gradients averaged, clipped by global norm, one optimiser update.
import type { L2PConfig } from '../config/l2p.ts';
import { buildEvalStep, buildQueryStep, buildTrainStep, type SelectionKind, type StepGraph } from '../l2p/step.ts';
import type { L2PModelOptions } from '../l2p/model.ts';
import { compile, type Compiled, type HostTensor, type RuntimeOptions } from '../runtime/ort.ts';
import type { Params } from '../vit/params.ts';
import { adamInit, adamStep, clipByGlobalNorm, sgdInit, sgdStep, type AdamState, type SgdState, type Tensors } from './optim.ts';
import { promptIdsFor, type Method, trainedPaths } from './method.ts';

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
  predictions: Int32Array;
  promptIds: Int32Array;
}

export type OptState = { kind: 'adam'; state: AdamState } | { kind: 'sgd'; state: SgdState };

export class Learner {
  opt: OptState;
  private readonly trained: string[];
  /** The pretrained weights of backbone parameters that train: the query keeps using them. */
  private readonly original: Params | undefined;

  constructor(
    readonly config: L2PConfig,
    readonly method: Method,
    readonly model: L2PModelOptions,
    /** Backbone and L2P parameters by checkpoint path; the trained ones are updated in place. */
    readonly params: Params,
    readonly imageSize: number,
    private readonly runtime: RuntimeOptions = {},
  ) {
    this.trained = trainedPaths(config, method, [...params.keys()]);
    this.opt = this.freshOptimizer();
    const ownPath = (k: string) => k.startsWith('prompt_pool/') || k.startsWith('head/');
    const trainedBackbone = this.trained.filter((k) => !ownPath(k));
    if (trainedBackbone.length > 0) {
      this.original = new Map([...params].filter(([k]) => !ownPath(k)).map(([k, v]) => [k, trainedBackbone.includes(k) ? { shape: v.shape, data: v.data.slice() } : v] as const));
    }
  }

  get trainedTensors(): Tensors {
    return new Map(this.trained.map((k) => [k, this.params.get(k)!.data] as const));
  }

  freshOptimizer(): OptState {
    const t = this.trainedTensors;
    return this.config.optim === 'sgd' ? { kind: 'sgd', state: sgdInit(t) } : { kind: 'adam', state: adamInit(t) };
  }

  private trainSelection(taskId: number): SelectionKind {
    if (this.method === 'head_only') return 'none';
    if (promptIdsFor(this.config, this.method, taskId) !== null) return 'fixed';
    return this.config.prompt_pool_param.batchwise_prompt ? 'batchwise' : 'per_instance';
  }

  evalSelection(): SelectionKind {
    if (this.method === 'head_only') return 'none';
    if (this.method === 'shared_prompt') return 'fixed';
    const batchwise = this.config.prompt_pool_param.batchwise_prompt && this.config.test_time_selection === 'batchwise';
    return batchwise ? 'batchwise' : 'per_instance';
  }

  /** Compiled step graphs by batch size and selection: built once, not at every step. */
  private readonly sessions = new Map<string, Promise<{ graph: StepGraph; session: Compiled }>>();

  private cached(key: string, build: () => StepGraph): Promise<{ graph: StepGraph; session: Compiled }> {
    let hit = this.sessions.get(key);
    if (!hit) {
      hit = (async () => {
        const graph = build();
        return { graph, session: await compile(graph.outputs, this.runtime) };
      })();
      this.sessions.set(key, hit);
    }
    return hit;
  }

  private async trainGraph(batch: number, taskId: number) {
    const selection = this.trainSelection(taskId);
    const { graph, session } = await this.cached(`train:${batch}:${selection}`, () => this.buildTrain(batch, selection));
    return { graph, session, selection };
  }

  private buildTrain(batch: number, selection: SelectionKind): StepGraph {
    const c = this.config;
    return buildTrainStep(this.params, {
      model: this.model,
      batch,
      imageSize: [this.imageSize, this.imageSize],
      selection,
      voteGroup: batch,
      trainMask: c.continual.train_mask,
      pull: c.pull_constraint ? c.pull_constraint_coeff : 0,
      isTrained: (path) => this.trained.includes(path),
      weightDecay: c.optim === 'adam' ? c.weight_decay : 0,
      gradOfFrozen: c.grad_clip_scope === 'all',
      original: this.original,
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
    const fixed = promptIdsFor(c, this.method, taskId);
    let sums: Tensors | null = null;
    let loss = 0;
    let correct = 0;
    let devices = 0;
    const ids: number[] = [];
    for (let s = 0; s < b; s += per) {
      const n = Math.min(per, b - s);
      const { graph, session, selection } = await this.trainGraph(n, taskId);
      const feeds = this.feeds(graph, images.subarray(s * px, (s + n) * px), labels.subarray(s, s + n));
      if (graph.feedsNeeded.includes('class_mask')) feeds.class_mask = { shape: [mask.length], data: mask };
      if (selection === 'fixed') feeds.prompt_ids = { shape: [n, this.model.topK], data: tileIds(fixed!, n) };
      const r = await session.run(feeds);
      devices += 1;
      loss += (r.loss.data as Float32Array)[0];
      correct += countCorrect(r.logits.data as Float32Array, labels.subarray(s, s + n), this.model.numClasses, mask);
      if (r.prompt_idx) for (const v of r.prompt_idx.data as Int32Array) ids.push(v);
      // Every gradient the graph gives (the frozen ones too under grad_clip_scope 'all') enters the norm.
      const paths = graph.gradPaths;
      if (!sums) sums = new Map(paths.map((k) => [k, new Float32Array(this.params.get(k)!.data.length)] as const));
      for (const k of paths) {
        const acc = sums.get(k)!;
        const gr = r[`grad/${k}`].data as Float32Array;
        for (let i = 0; i < acc.length; i++) acc[i] += gr[i];
      }
    }
    // pmean: the gradient of the global step is the mean over devices.
    for (const acc of sums!.values()) for (let i = 0; i < acc.length; i++) acc[i] /= devices;
    const clip = clipByGlobalNorm(sums!, c.grad_clip_max_norm);
    this.applyUpdate(sums!, lr);
    return { loss: loss / devices, correct, count: b, gradNorm: clip.norm, promptIds: Int32Array.from(ids) };
  }

  private applyUpdate(grads: Tensors, lr: number): void {
    const c = this.config;
    const params = this.trainedTensors;
    if (this.opt.kind === 'adam') {
      adamStep(params, grads, this.opt.state, lr, { beta1: c.optim_config.beta1, beta2: c.optim_config.beta2, eps: c.optim_config.eps });
    } else {
      sgdStep(params, grads, this.opt.state, lr, c.sgd_momentum, c.optim_config.nesterov);
    }
    // flax.optim's weight decay is decoupled: p -= lr · wd · p, on top of the update.
    if (c.weight_decay > 0) for (const p of params.values()) for (let i = 0; i < p.length; i++) p[i] -= lr * c.weight_decay * p[i];
  }

  /** Whether evaluation selects prompts with a query (and so can reuse cached queries). */
  get usesQuery(): boolean {
    return this.evalSelection() !== 'none' && this.evalSelection() !== 'fixed';
  }

  /** The frozen query (pre_logits of the original backbone) of a batch: [n, D]. */
  async query(images: Float32Array, n: number): Promise<Float32Array> {
    const { session } = await this.cached(`query:${n}`, () =>
      buildQueryStep(this.original ?? this.params, { model: this.model, batch: n, imageSize: [this.imageSize, this.imageSize] }),
    );
    const r = await session.run({ images: { shape: [n, this.imageSize, this.imageSize, 3], data: images } });
    return r.query.data as Float32Array;
  }

  /**
   * Logits, loss and prompt ids of an evaluation batch; `taskMask` masks logits (task-incremental).
   * `query` [n, D], when given, is used instead of running the frozen backbone again.
   */
  async evalBatch(images: Float32Array, labels: Int32Array, taskMask: readonly number[] | null, query?: Float32Array): Promise<EvalResult> {
    const n = labels.length;
    const selection = this.evalSelection();
    const queryFed = query !== undefined;
    const { graph, session } = await this.cached(`eval:${n}:${selection}:${queryFed}`, () =>
      buildEvalStep(this.params, {
        model: this.model,
        batch: n,
        imageSize: [this.imageSize, this.imageSize],
        selection,
        voteGroup: Math.min(n, this.config.per_device_batch_size),
        isTrained: (path) => this.trained.includes(path),
        original: this.original,
        queryFed,
      }),
    );
    const feeds = this.feeds(graph, images, labels);
    if (query) feeds.query = { shape: [n, this.model.vit.hidden], data: query };
    if (selection === 'fixed') feeds.prompt_ids = { shape: [n, this.model.topK], data: tileIds([0], n) };
    const r = await session.run(feeds);
    const logits = r.logits.data as Float32Array;
    const c = this.model.numClasses;
    const mask = new Uint8Array(c).fill(taskMask ? 0 : 1);
    if (taskMask) for (const k of taskMask) mask[k] = 1;
    const predictions = new Int32Array(n);
    let correct = 0;
    let lossSum = 0;
    for (let i = 0; i < n; i++) {
      const row = logits.subarray(i * c, (i + 1) * c);
      predictions[i] = argmax(row, mask);
      if (predictions[i] === labels[i]) correct++;
      lossSum += crossEntropy(row, labels[i], mask);
    }
    const promptIds = r.prompt_idx ? (r.prompt_idx.data as Int32Array).slice() : new Int32Array(0);
    return { correct, count: n, lossSum, predictions, promptIds };
  }

  private feeds(graph: StepGraph, images: Float32Array, labels: Int32Array): Record<string, HostTensor> {
    const n = labels.length;
    const feeds: Record<string, HostTensor> = { images: { shape: [n, this.imageSize, this.imageSize, 3], data: images } };
    if (graph.feedsNeeded.includes('labels')) feeds.labels = { shape: [n], data: labels };
    for (const t of graph.trained) feeds[t.label!] = { shape: t.shape, data: this.params.get(t.label!)!.data };
    return feeds;
  }
}

function tileIds(ids: readonly number[], n: number): Int32Array {
  const out = new Int32Array(n * ids.length);
  for (let i = 0; i < n; i++) out.set(ids, i * ids.length);
  return out;
}

function argmax(row: Float32Array, mask: Uint8Array): number {
  let best = -1;
  for (let k = 0; k < row.length; k++) if (mask[k] && (best < 0 || row[k] > row[best])) best = k;
  return best;
}

function crossEntropy(row: Float32Array, label: number, mask: Uint8Array): number {
  let mx = -Infinity;
  for (let k = 0; k < row.length; k++) if (mask[k]) mx = Math.max(mx, row[k]);
  let s = 0;
  for (let k = 0; k < row.length; k++) if (mask[k]) s += Math.exp(row[k] - mx);
  return mask[label] ? mx + Math.log(s) - row[label] : Infinity;
}

/** Training accuracy as the official metric counts it: argmax of the (masked) training logits. */
function countCorrect(logits: Float32Array, labels: Int32Array, c: number, mask: Uint8Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (argmax(logits.subarray(i * c, (i + 1) * c), mask) === labels[i]) correct++;
  return correct;
}
