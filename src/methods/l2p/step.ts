// L2P's forward pass as the step skeleton (src/methods/step.ts) takes it: the prompt selection of a
// step (per input, by batch vote, fixed ids fed as 'prompt_ids', or none), the prompted forward, and
// the pull constraint −pull · reduce_sim as the extra loss term.
import type { Params } from '../../vit/params.ts';
import { evalGraph, pullTerm, trainGraph, type ForwardFn, type ForwardInputs, type StepGraph } from '../step.ts';
import { l2pForward, type L2PModelOptions } from './model.ts';
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
  isFitted?: (path: string) => boolean;
  /** The official L2 term's coefficient (see TrainGraphSpec.weightDecay). */
  weightDecay?: number;
  /** The frozen parameters' gradients for the clipping norm (see TrainGraphSpec.frozenGrads). */
  frozenGrads?: 'tensors' | 'sum_squares';
  /** The pretrained backbone for the query, when the backbone itself trains (else `params` serve it). */
  original?: Params;
  /** The paper's diversified selection (prompt-pool `Diversify`), over a pool of `poolSize`. */
  diversify?: boolean;
  poolSize?: number;
  /** Also output the features the head sees. */
  features?: boolean;
}

function selectionFor(x: ForwardInputs, spec: Pick<StepSpec, 'selection' | 'voteGroup' | 'diversify' | 'poolSize' | 'model'>): Selection | null {
  // The diversified selection's frequencies h [M] are fed as 'prompt_freq'.
  const frequency = spec.diversify ? x.input('prompt_freq', [spec.poolSize ?? 0]) : undefined;
  switch (spec.selection) {
    case 'none':
      return null;
    case 'per_instance':
      return { kind: 'per_instance', frequency };
    case 'batchwise':
      return { kind: 'batchwise', group: spec.voteGroup ?? x.batch, frequency };
    case 'fixed':
      return { kind: 'fixed', ids: x.input('prompt_ids', [x.batch, spec.model.topK], 'int32') };
  }
}

function l2pStepForward(spec: Pick<StepSpec, 'selection' | 'voteGroup' | 'diversify' | 'poolSize' | 'model'>, pull: number): ForwardFn {
  return (x) => {
    const sel = selectionFor(x, spec);
    const out = l2pForward(x.p, spec.model, x.images, sel, x.pq, x.query);
    const reduceSim = out.selection?.reduceSim;
    return {
      logits: out.logits,
      query: out.query,
      selection: out.selection,
      features: out.feature,
      extraLoss: pullTerm(reduceSim, pull),
    };
  };
}

/** Forward + loss + gradients. Outputs: loss, ce, reduce_sim, logits, sim, prompt_idx, pre_logits, grad/<path>. */
export function buildTrainStep(params: Params, spec: StepSpec): StepGraph {
  return trainGraph(params, { ...spec, numClasses: spec.model.numClasses }, l2pStepForward(spec, spec.pull));
}

/** Evaluation graph: logits and the selected prompt ids, no gradients. */
export function buildEvalStep(params: Params, spec: Omit<StepSpec, 'trainMask' | 'pull'> & { queryFed?: boolean }): StepGraph {
  return evalGraph(params, { ...spec, hidden: spec.model.vit.hidden }, l2pStepForward(spec, 0));
}
