// What a method is to the rest of the program: its parameters, which of them train by gradient and
// which are fitted in closed form (lists of path patterns), each task's phases (gradient steps, a
// statistics pass and its fit), its training and evaluation graphs on the step skeleton (step.ts),
// and its per-task hooks. The loop, learner, checkpoints, metrics, report and CLI know a method only
// through this interface; each method is one folder beside this file (src/methods/index.ts).
import type { L2PConfig } from '../config/l2p.ts';
import type { HostTensor, RuntimeOptions } from '../runtime/ort.ts';
import type { LoadedViT, Params } from '../vit/params.ts';
import type { ViTConfig } from '../vit/variants.ts';
import type { StepGraph } from './step.ts';

export type { StepGraph };

/** Built once per key: `build` makes the graph, `feeds` the method's own feeds (e.g. 'prompt_ids') for a batch of n. */
export interface GraphPlan {
  key: string;
  build: () => StepGraph;
  feeds: (n: number) => Record<string, HostTensor>;
}

/** What every training graph is asked for. Outputs: loss, logits, grad/<path>; prompt_idx when prompts are selected. */
export interface TrainSpec {
  /** The run's parameters by path, the backbone's included. */
  params: Params;
  taskId: number;
  batch: number;
  imageSize: [number, number];
  isTrained: (path: string) => boolean;
  /** Fitted in closed form: fed to the graph like a trained parameter, but not differentiated. */
  isFitted?: (path: string) => boolean;
  /** The frozen parameters' gradients for the clipping norm: as 'grad/<path>' tensors or as 'frozen_grad_sq'. */
  frozenGrads?: 'tensors' | 'sum_squares';
  /** The official L2 term 0.5 · wd · Σ‖W‖² (0: none). */
  weightDecay: number;
  /** The pretrained backbone for the query when the backbone itself trains. */
  original?: Params;
  /** Also output 'features' [B, D], what the head sees (the method's `trainFeatures`). */
  features?: boolean;
  /** The GradientPhase this step belongs to (unset: the task's one gradient phase). */
  phase?: string;
}

/** What every evaluation graph is asked for. Outputs: logits; prompt_idx [n, k] when prompts are selected. */
export interface EvalSpec {
  params: Params;
  /** The last task trained (a method whose model grows with the tasks evaluates with its components so far). */
  taskId: number;
  batch: number;
  imageSize: [number, number];
  isTrained: (path: string) => boolean;
  isFitted?: (path: string) => boolean;
  original?: Params;
  /** The frozen query [n, D] is fed as 'query' instead of computed. */
  queryFed: boolean;
  /** Also output 'features' [n, D] (a statistics pass). */
  features?: boolean;
  /** The StatisticsPhase the features are for (unset: the task's one statistics phase). */
  phase?: string;
}

/**
 * A task's phases, in order. 'gradient': the optimiser's steps over the task's epochs (as L2P trains).
 * 'statistics': one pass over the task's training data through the evaluation transform (no
 * augmentation; LAMDA-PILOT's train_loader_for_CPs / mode="test"), each batch's features given to
 * the method's StatisticsPass, whose `finish` then fits in closed form. A task with no 'gradient'
 * phase runs no optimiser step. A method whose task needs several gradient phases (each with its own
 * parameters, epochs and optimiser) describes each as a GradientPhase; a task's phases are then all
 * objects, and the task is evaluated once, after its last phase.
 */
export type Phase = 'gradient' | 'statistics' | GradientPhase | StatisticsPhase;

/**
 * A gradient phase as the method describes it: a fresh Adam (the config's betas, eps and weight
 * decay) over `trains` alone, `epochs` over the task's augmented training data, the learning rate of
 * each epoch from `lrAt`, the gradients of `trains` clipped to grad_clip_max_norm.
 */
export interface GradientPhase {
  kind: 'gradient';
  /** Names the phase in logs and in the method's graphs (TrainSpec.phase). */
  name: string;
  /** Patterns of the method's own parameters this phase trains (each within the model's `trains`). */
  trains: readonly string[];
  epochs: number;
  /** The learning rate of epoch `epoch` (0-based). */
  lrAt(epoch: number): number;
  /** Factors of the learning rate by path pattern (official parameter groups); the first match applies, else 1. */
  lrScale?: readonly { pattern: string; scale: number }[];
  /** After the phase's last step, before the checkpoint that ends it (HiDe's end-of-task prompt momentum). */
  finish?(params: Params): void;
}

/** A statistics pass named by the method: `statistics(t, name)` gives its accumulator, EvalSpec.phase its features. */
export interface StatisticsPhase {
  kind: 'statistics';
  name: string;
}

/** The phase objects of a task, or null where its phases are the plain names. */
export function phaseObjects(phases: readonly Phase[]): (GradientPhase | StatisticsPhase)[] | null {
  if (phases.every((p) => typeof p === 'string')) return null;
  if (phases.some((p) => typeof p === 'string')) throw new Error(`a task's phases are all names or all objects, not both: ${phases.map((p) => (typeof p === 'string' ? p : p.name)).join(', ')}`);
  return phases as (GradientPhase | StatisticsPhase)[];
}

/** Runs graphs for an end-of-task fit (which may itself run a small gradient loop on sampled features). */
export interface GraphRunner {
  run(plan: GraphPlan, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
}

/**
 * One statistics pass over a task's training data: a fresh accumulator each time, so that a pass a
 * stop cut short is dropped whole and a resumed run begins it again.
 */
export interface StatisticsPass {
  /** A batch's features [n, D] (the evaluation graph's 'features' output) and labels [n]. */
  add(features: Float32Array, labels: Int32Array): void;
  /** After the pass: the closed-form fit, written into `params` (async: it may compile and run graphs). */
  finish(params: Params, graphs: GraphRunner): Promise<void>;
}

/** What a training step shows the method afterwards. */
export interface StepObservation {
  /** Selected prompt ids of the batch, [B·N] (empty without selection). */
  promptIds: Int32Array;
  labels: Int32Array;
  /** The step's features [B, D], when the method asks for them (`trainFeatures`). */
  features?: Float32Array;
}

/**
 * An evaluation step's fields for a method that selects prompts: the spec's own, the selection, and
 * one vote group per device batch (official: each device votes over its own batch).
 */
export function selectingEvalStep<S>(s: EvalSpec, selection: S, perDeviceBatch: number) {
  return { batch: s.batch, imageSize: s.imageSize, selection, voteGroup: Math.min(s.batch, perDeviceBatch), isTrained: s.isTrained, isFitted: s.isFitted, original: s.original, queryFed: s.queryFed, features: s.features };
}

/** One method set up for one run: a config, a backbone and a head width. */
export interface MethodModel {
  vit: ViTConfig;
  numClasses: number;
  /** The method's own parameters (prompts, keys, head), initialised; the backbone's are the caller's. */
  params: Params;
  /**
   * Path patterns of the method's own parameters that train ('head/*', 'prompt_pool/*', ...). The
   * backbone trains where the config's freeze_part leaves it unfrozen.
   */
  trains: readonly string[];
  /**
   * Path patterns of the method's own parameters fitted in closed form (SimpleCIL's prototypes): fed
   * to its graphs like trained ones and kept in each checkpoint, but no optimiser updates them.
   */
  fitted?: readonly string[];
  /** Task t's phases (unset: ['gradient']). */
  phases?(t: number): readonly Phase[];
  /** A fresh accumulator for task t's statistics pass (needed where a phase is 'statistics'); `phase` names a StatisticsPhase. */
  statistics?(t: number, phase?: string): StatisticsPass;
  /** The training steps' results carry the features the head sees (given to `observe`). */
  trainFeatures?: boolean;
  train(spec: TrainSpec): GraphPlan;
  eval(spec: EvalSpec): GraphPlan;
  /** The test-time selection, as summary.json names it ('batchwise', 'per_instance', 'fixed', 'weighted', 'none'). */
  evalSelection: string;
  /** Evaluation selects with the frozen backbone's query, so it can feed a cached one. */
  usesQuery: boolean;
  /** Before task t's first step (t > 0 included only where the method does something): e.g. the shared-pool copy. */
  startTask(params: Params, t: number): void;
  /**
   * Per task, the share of its test inputs' selected prompts that are its own (where tasks own prompt
   * slots); null where that is not defined.
   */
  selectionAccuracy(usage: number[][]): number[] | null;
  /** After each training step of task t: what it selected and, where asked, its features. */
  observe?(t: number, step: StepObservation): void;
  /**
   * What the method keeps, for summary.json's `kept` and the report (RanPAC: λ per task, G's size);
   * `usage`: per task, how often each prompt id was chosen on its test set at its last evaluation.
   */
  kept?(usage: number[][], params: Params): MethodKept;
  /** What the method keeps beyond its parameters (e.g. selection counts, Gram matrices), saved in each checkpoint. */
  saveState?(): MethodState;
  loadState?(s: MethodState | undefined): void;
}

/** A method's kept statistics as a run's summary shows them: named values and one line for people. */
export interface MethodKept {
  values: Record<string, unknown>;
  text: string;
}

/** A large array of a method's state, kept in the checkpoint's npz in binary (float64 where it matters). */
export interface StateArray {
  shape: number[];
  data: Float32Array | Float64Array;
}

/** A method's checkpointed state: named tables of numbers (in state.json) and arrays (in the npz as 'method/<name>'). */
export type MethodState = Record<string, number[][] | StateArray>;

export const isStateArray = (v: number[][] | StateArray | undefined): v is StateArray => v !== undefined && !Array.isArray(v);

/** A task as the loop trains it. */
export interface TrainTask<S> {
  classMask: number[];
  train: S;
  test: S;
}

export interface Method {
  name: L2PConfig['method'];
  /** One line for help texts and reports. */
  summary: string;
  /** `runtime`: the run's engine options (`--threads`), for graphs a method runs outside the learner (RanPAC's ridge products). */
  create(c: L2PConfig, vit: LoadedViT, numClasses: number, runtime?: RuntimeOptions): MethodModel;
  /**
   * The tasks it trains, from the stream's: each in turn, or (joint training) one task of all the data.
   * `concat` joins the tasks' training sources.
   */
  trainTasks<S>(tasks: readonly TrainTask<S>[], concat: (sources: S[]) => S): TrainTask<S>[];
  /** Each training task tested only on the tasks seen so far (false: every task, once, after the one training). */
  sequential: boolean;
  /**
   * The classes an evaluation ranks (class-incremental): 'all', every column of the head (official L2P,
   * DualPrompt), or 'seen', those of the tasks trained so far (official CODA-Prompt's
   * logits[:, :valid_out_dim]). Unset: 'all'.
   */
  evalClasses?: 'all' | 'seen';
}
