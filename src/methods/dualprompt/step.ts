// DualPrompt's forward pass as the step skeleton (src/methods/step.ts) takes it: the e-prompt selection
// (the training prompt mask, ids fed as 'prompt_ids', or by similarity), the prompted forward, and the
// pull constraint −pull · reduce_sim as the extra loss term.
import type { Params } from '../../vit/params.ts';
import type { Selection } from '../l2p/prompt-pool.ts';
import { evalGraph, pullTerm, trainGraph, type ForwardFn, type ForwardInputs, type StepGraph } from '../step.ts';
import { dualPromptForward } from './model.ts';
import type { DualPromptOptions } from './options.ts';

/** 'mask': the training prompt mask, ids fed as 'prompt_ids' [B, top_k]; the others select by similarity. */
export type DualPromptSelection = 'mask' | 'per_instance' | 'batchwise';

export interface DualPromptStepSpec {
  model: DualPromptOptions;
  batch: number;
  imageSize: [number, number];
  selection: DualPromptSelection;
  /** Vote group for 'batchwise' (official: the per-device batch). */
  voteGroup?: number;
  /** Mask the training logits to the current task's classes (fed as 'class_mask' [C] bool). */
  trainMask: boolean;
  pull: number;
  isTrained: (path: string) => boolean;
  isFitted?: (path: string) => boolean;
  /** The frozen parameters' gradients for the clipping norm (see TrainGraphSpec.frozenGrads). */
  frozenGrads?: 'tensors' | 'sum_squares';
  /** The pretrained backbone for the query when the backbone itself trains. */
  original?: Params;
  /** Also output the features the head sees. */
  features?: boolean;
}

function selectionOf(x: ForwardInputs, spec: Pick<DualPromptStepSpec, 'model' | 'selection' | 'voteGroup'>): Selection | null {
  if (!spec.model.e) return null;
  switch (spec.selection) {
    case 'mask':
      return { kind: 'fixed', ids: x.input('prompt_ids', [x.batch, spec.model.e.topK], 'int32') };
    case 'per_instance':
      return { kind: 'per_instance' };
    case 'batchwise':
      return { kind: 'batchwise', group: spec.voteGroup ?? x.batch };
  }
}

function dualPromptStepForward(spec: Pick<DualPromptStepSpec, 'model' | 'selection' | 'voteGroup'>, pull: number): ForwardFn {
  return (x) => {
    const out = dualPromptForward(x.p, spec.model, x.images, selectionOf(x, spec), x.pq, x.query);
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

/** Outputs: loss, ce, logits, pre_logits, grad/<path>; with an e-prompt also reduce_sim, sim, prompt_idx. */
export function buildDualPromptTrainStep(params: Params, spec: DualPromptStepSpec): StepGraph {
  return trainGraph(params, { ...spec, numClasses: spec.model.numClasses }, dualPromptStepForward(spec, spec.pull));
}

/** Logits and the selected e-prompt ids, no gradients; trained parameters are fed. */
export function buildDualPromptEvalStep(params: Params, spec: Pick<DualPromptStepSpec, 'model' | 'batch' | 'imageSize' | 'selection' | 'voteGroup' | 'isTrained' | 'isFitted' | 'original' | 'features'> & { queryFed?: boolean }): StepGraph {
  return evalGraph(params, { ...spec, hidden: spec.model.vit.hidden }, dualPromptStepForward(spec, 0));
}
