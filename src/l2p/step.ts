// The training-step graph: forward, loss and the gradients toward the trained parameters, in one
// ONNX session. The optimiser update runs outside the graph (src/train/optim.ts).
import * as g from '../graph/index.ts';
import type { Tensor } from '../graph/index.ts';
import { bindParams } from '../vit/bind.ts';
import type { Params } from '../vit/params.ts';
import { l2pLoss } from './loss.ts';
import { l2pForward, queryOf, type L2PModelOptions } from './model.ts';
import type { Selection } from './prompt-pool.ts';

export type SelectionKind = 'per_instance' | 'batchwise' | 'fixed' | 'none';

export interface StepSpec {
  model: L2PModelOptions;
  batch: number;
  imageSize: [number, number];
  selection: SelectionKind;
  /** Vote group for 'batchwise' (official: the per-device batch). */
  voteGroup?: number;
  /** Mask the training logits to the current task's classes (fed as 'class_mask' [C] bool). */
  trainMask: boolean;
  pull: number;
  /** Which parameter paths train; the rest are constants of the graph. */
  isTrained: (path: string) => boolean;
  /**
   * Adds 0.5 · wd · Σ‖W‖² over every parameter of rank > 1 that the prompted model uses, frozen ones
   * included, to the loss: the official L2 term of 'adam' and 'sgd' (the query's own backbone is no
   * parameter of the model and has none).
   */
  weightDecay?: number;
  /**
   * The frozen parameters' gradients, for the official clipping norm over every parameter.
   * 'tensors': each as 'grad/<path>' (a step over several devices averages them before the norm);
   * 'sum_squares': only 'frozen_grad_sq', their summed squares (exact when one micro-batch is the step).
   */
  frozenGrads?: 'tensors' | 'sum_squares';
  /** The pretrained backbone for the query, when the backbone itself trains (else `params` serve it). */
  original?: Params;
  /** The paper's diversified selection (prompt-pool `Diversify`), over a pool of `poolSize`. */
  diversify?: boolean;
  poolSize?: number;
}

export interface StepGraph {
  outputs: Record<string, Tensor>;
  /** The trained parameters (graph inputs), by path. */
  trained: Tensor[];
  /** Paths with a 'grad/<path>' output: the trained ones, then the frozen ones under frozenGrads 'tensors'. */
  gradPaths: string[];
  feedsNeeded: string[];
}

function selectionFor(spec: StepSpec): { sel: Selection | null } {
  // The diversified selection's frequencies h [M] are fed as 'prompt_freq'.
  const frequency = spec.diversify ? g.input('prompt_freq', [spec.poolSize ?? 0]) : undefined;
  switch (spec.selection) {
    case 'none':
      return { sel: null };
    case 'per_instance':
      return { sel: { kind: 'per_instance', frequency } };
    case 'batchwise':
      return { sel: { kind: 'batchwise', group: spec.voteGroup ?? spec.batch, frequency } };
    case 'fixed': {
      return { sel: { kind: 'fixed', ids: g.input('prompt_ids', [spec.batch, spec.model.topK], 'int32') } };
    }
  }
}

/** Forward + loss + gradients. Outputs: loss, ce, reduce_sim, logits, sim, prompt_idx, pre_logits, grad/<path>. */
export function buildTrainStep(params: Params, spec: StepSpec): StepGraph {
  const { p, trained, used } = bindParams(params, spec.isTrained);
  const [h, w] = spec.imageSize;
  const images = g.input('images', [spec.batch, h, w, 3]);
  const labels = g.input('labels', [spec.batch], 'int32');
  const classMask = spec.trainMask ? g.input('class_mask', [spec.model.numClasses], 'bool') : null;
  const { sel } = selectionFor(spec);
  const pq = spec.original ? bindParams(spec.original, () => false).p : p;
  const out = l2pForward(p, spec.model, images, sel, pq);
  const terms = l2pLoss(out.logits, labels, classMask, out.selection?.reduceSim ?? null, spec.pull);
  const { ce } = terms;
  let loss = terms.loss;
  if (spec.weightDecay) {
    const matrices = [...used.values()].filter((t) => t.rank > 1).map(sumSquares);
    if (matrices.length > 0) loss = g.add(loss, g.mul(addAll(matrices), 0.5 * spec.weightDecay));
  }
  const frozen = spec.frozenGrads ? [...used.values()].filter((t) => t.op === 'constant') : [];
  const grads = g.grad(loss, [...trained, ...frozen]);
  const outputs: Record<string, Tensor> = { loss, ce, logits: out.logits, pre_logits: out.query };
  if (out.selection) {
    outputs.reduce_sim = out.selection.reduceSim;
    outputs.sim = out.selection.sim;
    outputs.prompt_idx = out.selection.idx;
  }
  const outputTensors = spec.frozenGrads === 'tensors' ? [...trained, ...frozen] : trained;
  outputTensors.forEach((t, i) => (outputs[`grad/${t.label}`] = grads[i]));
  if (spec.frozenGrads === 'sum_squares' && frozen.length > 0) outputs.frozen_grad_sq = addAll(grads.slice(trained.length).map(sumSquares));
  const feedsNeeded = ['images', 'labels', ...(classMask ? ['class_mask'] : []), ...(spec.selection === 'fixed' ? ['prompt_ids'] : []), ...(spec.diversify ? ['prompt_freq'] : [])];
  return { outputs, trained, gradPaths: outputTensors.map((t) => t.label!), feedsNeeded };
}

/** Σ x² over every element: a scalar. */
function sumSquares(t: Tensor): Tensor {
  return g.sum(g.mul(t, t), t.shape.map((_, i) => i));
}

function addAll(ts: Tensor[]): Tensor {
  return ts.reduce((a, b) => g.add(a, b));
}

/**
 * Evaluation graph: logits and the selected prompt ids, no gradients. Parameters that train are fed
 * (graph inputs), so one compiled graph serves every evaluation of a run.
 */
export function buildEvalStep(params: Params, spec: Omit<StepSpec, 'trainMask' | 'pull'> & { queryFed?: boolean }): StepGraph {
  const { p, trained } = bindParams(params, spec.isTrained);
  const pq = spec.original ? bindParams(spec.original, () => false).p : p;
  const [h, w] = spec.imageSize;
  const images = g.input('images', [spec.batch, h, w, 3]);
  const query = spec.queryFed ? g.input('query', [spec.batch, spec.model.vit.hidden]) : undefined;
  const { sel } = selectionFor({ ...spec, trainMask: false, pull: 0 });
  const out = l2pForward(p, spec.model, images, sel, pq, query);
  const outputs: Record<string, Tensor> = { logits: out.logits };
  if (out.selection) outputs.prompt_idx = out.selection.idx;
  const feedsNeeded = ['images', ...(query ? ['query'] : []), ...(spec.selection === 'fixed' ? ['prompt_ids'] : [])];
  return { outputs, trained, gradPaths: [], feedsNeeded };
}

/** The query alone: the frozen backbone's pre_logits of a batch (cached by evaluation). */
export function buildQueryStep(backbone: Params, spec: Pick<StepSpec, 'batch' | 'imageSize'> & { model: Pick<L2PModelOptions, 'vit' | 'queryPrecision'> }): StepGraph {
  const { p } = bindParams(backbone, () => false);
  const [h, w] = spec.imageSize;
  const images = g.input('images', [spec.batch, h, w, 3]);
  return { outputs: { query: queryOf(p, spec.model, images) }, trained: [], gradPaths: [], feedsNeeded: ['images'] };
}
