// The step skeleton beneath every method: it builds the graph inputs (images, labels, class mask, the
// trained parameters), the masked cross-entropy, the official L2 term, the gradients toward the trained
// parameters and (for the clipping norm) the frozen ones, and the outputs. A method supplies only its
// forward pass: logits, optionally the query, its prompt selection, the features its head sees, extra
// loss terms and extra outputs. The optimiser update runs outside the graph (src/train/optim.ts).
import * as g from '../graph/index.ts';
import type { Tensor } from '../graph/index.ts';
import { bindParams } from '../vit/bind.ts';
import type { ParamFn } from '../vit/model.ts';
import type { Params } from '../vit/params.ts';
import type { ViTConfig } from '../vit/variants.ts';

/** A compiled-to-be step: its outputs by name, the trained parameters fed, and the feeds it needs. */
export interface StepGraph {
  outputs: Record<string, Tensor>;
  /** The parameters fed as graph inputs (trained and fitted), by path. */
  trained: Tensor[];
  /** Paths with a 'grad/<path>' output: the trained ones, then the frozen ones under frozenGrads 'tensors'. */
  gradPaths: string[];
  feedsNeeded: string[];
}

/** What a forward pass is given: parameters, images, and a way to declare the method's own feeds. */
export interface ForwardInputs {
  /** The run's parameters by path (trained ones are graph inputs). */
  p: ParamFn;
  /** The query's backbone: the pretrained one when the backbone itself trains, else `p`. */
  pq: ParamFn;
  images: Tensor; // [B, H, W, 3]
  /** The frozen query [B, D] fed instead of computed (evaluation with a cached query). */
  query?: Tensor;
  batch: number;
  /** A graph input of the method's own (e.g. 'prompt_ids'), listed in the step's feedsNeeded. */
  input(name: string, shape: number[], dtype?: 'float32' | 'int32' | 'bool'): Tensor;
}

/** A method's forward pass, as the skeleton uses it. */
export interface Forward {
  logits: Tensor; // [B, C], before any class mask
  /** The frozen backbone's pre_logits [B, D] (output 'pre_logits' of a training step). */
  query?: Tensor;
  /** Prompt selection: outputs prompt_idx [B, N], sim, reduce_sim. */
  selection?: { idx: Tensor; sim: Tensor; reduceSim: Tensor } | null;
  /** The features the head sees [B, D] (output 'features' when the step asks for them). */
  features?: Tensor;
  /** Added to the cross-entropy (e.g. −pull·reduce_sim, CODA's orthogonality penalty). */
  extraLoss?: Tensor | null;
  /** Extra named outputs of a training step (e.g. 'ortho', 'weights/<layer>'). */
  extraOutputs?: Record<string, Tensor>;
}

export type ForwardFn = (x: ForwardInputs) => Forward;

/** The fields every step graph is built from, training or evaluation. */
export interface StepCommon {
  batch: number;
  imageSize: [number, number];
  /** Which parameter paths train (graph inputs, differentiated); the rest are constants of the graph. */
  isTrained: (path: string) => boolean;
  /** Parameters fitted in closed form: graph inputs too, so that a fit needs no recompile, but never differentiated. */
  isFitted?: (path: string) => boolean;
  /** The pretrained backbone for the query when the backbone itself trains. */
  original?: Params;
  /** Also output the features the head sees, as 'features' [B, D]. */
  features?: boolean;
}

export interface TrainGraphSpec extends StepCommon {
  numClasses: number;
  /** Mask the training logits to the current task's classes (fed as 'class_mask' [C] bool). */
  trainMask: boolean;
  /**
   * The frozen parameters' gradients, for the official clipping norm over every parameter.
   * 'tensors': each as 'grad/<path>' (a step over several devices averages them before the norm);
   * 'sum_squares': only 'frozen_grad_sq', their summed squares (exact when one micro-batch is the step).
   */
  frozenGrads?: 'tensors' | 'sum_squares';
  /**
   * Adds 0.5 · wd · Σ‖W‖² over every parameter of rank > 1 that the forward pass uses, frozen ones
   * included: the official L2 term of 'adam' and 'sgd' (the query's own backbone is no parameter of
   * the model and has none).
   */
  weightDecay?: number;
}

export interface EvalGraphSpec extends StepCommon {
  /** The frozen query [B, hidden] is fed as 'query' instead of computed. */
  queryFed?: boolean;
  hidden: number;
}

/** An evaluation step of a method whose forward pass needs only the backbone's configuration (the closed-form heads). */
export interface BackboneEvalSpec extends Omit<EvalGraphSpec, 'hidden'> {
  vit: ViTConfig;
}

/** The pull constraint's loss term, −pull · reduce_sim (official L2P and DualPrompt), or none. */
export function pullTerm(reduceSim: Tensor | undefined, pull: number): Tensor | null {
  return reduceSim && pull !== 0 ? g.mul(reduceSim, -pull) : null;
}

function inputsOf(params: Params, s: StepCommon, feeds: string[], query?: Tensor) {
  const bound = bindParams(params, (path) => s.isTrained(path) || (s.isFitted?.(path) ?? false));
  const pq = s.original ? bindParams(s.original, () => false).p : bound.p;
  const [h, w] = s.imageSize;
  const images = g.input('images', [s.batch, h, w, 3]);
  const input = (name: string, shape: number[], dtype?: 'float32' | 'int32' | 'bool') => {
    feeds.push(name);
    return g.input(name, shape, dtype);
  };
  const x: ForwardInputs = { p: bound.p, pq, images, query, batch: s.batch, input };
  return { bound, x };
}

/** Forward + loss + gradients. Outputs: loss, ce, logits, grad/<path>; pre_logits, prompt_idx, sim, reduce_sim, features, frozen_grad_sq where they apply. */
export function trainGraph(params: Params, s: TrainGraphSpec, forward: ForwardFn): StepGraph {
  const feeds = ['images', 'labels'];
  const { bound, x } = inputsOf(params, s, feeds);
  const used = bound.used;
  const labels = g.input('labels', [s.batch], 'int32');
  const classMask = s.trainMask ? g.input('class_mask', [s.numClasses], 'bool') : null;
  if (classMask) feeds.push('class_mask');
  const out = forward(x);
  // Parameters are bound as the forward pass asks for them: only now are the inputs known.
  const trained = bound.trained.filter((t) => s.isTrained(t.label!));
  const ce = g.maskedCrossEntropy(out.logits, labels, classMask);
  let loss = out.extraLoss ? g.add(ce, out.extraLoss) : ce;
  if (s.weightDecay) {
    const matrices = [...used.values()].filter((t) => t.rank > 1).map(sumSquares);
    if (matrices.length > 0) loss = g.add(loss, g.mul(addAll(matrices), 0.5 * s.weightDecay));
  }
  const frozen = s.frozenGrads ? [...used.values()].filter((t) => t.op === 'constant') : [];
  const grads = g.grad(loss, [...trained, ...frozen]);
  const outputs: Record<string, Tensor> = { loss, ce, logits: out.logits, ...selectionOutputs(out, true), ...out.extraOutputs };
  if (out.query) outputs.pre_logits = out.query;
  if (s.features && out.features) outputs.features = out.features;
  const gradOut = s.frozenGrads === 'tensors' ? [...trained, ...frozen] : trained;
  gradOut.forEach((t, i) => (outputs[`grad/${t.label}`] = grads[i]));
  if (s.frozenGrads === 'sum_squares' && frozen.length > 0) outputs.frozen_grad_sq = addAll(grads.slice(trained.length).map(sumSquares));
  return { outputs, trained: bound.trained, gradPaths: gradOut.map((t) => t.label!), feedsNeeded: feeds };
}

/**
 * Evaluation: logits, the selected prompt ids where prompts are selected, and the features when asked;
 * no gradients. Trained parameters are fed (graph inputs), so one compiled graph serves every
 * evaluation of a run.
 */
export function evalGraph(params: Params, s: EvalGraphSpec, forward: ForwardFn): StepGraph {
  const feeds = ['images'];
  const query = s.queryFed ? g.input('query', [s.batch, s.hidden]) : undefined;
  if (query) feeds.push('query');
  const { bound, x } = inputsOf(params, s, feeds, query);
  const out = forward(x);
  const outputs: Record<string, Tensor> = { logits: out.logits, ...selectionOutputs(out, false) };
  if (s.features && out.features) outputs.features = out.features;
  return { outputs, trained: bound.trained, gradPaths: [], feedsNeeded: feeds };
}

function selectionOutputs(out: Forward, all: boolean): Record<string, Tensor> {
  const sel = out.selection;
  if (!sel) return {};
  return all ? { reduce_sim: sel.reduceSim, sim: sel.sim, prompt_idx: sel.idx } : { prompt_idx: sel.idx };
}

/** Σ x² over every element: a scalar. */
function sumSquares(t: Tensor): Tensor {
  return g.sum(g.mul(t, t), t.shape.map((_, i) => i));
}

function addAll(ts: Tensor[]): Tensor {
  return ts.reduce((a, b) => g.add(a, b));
}
