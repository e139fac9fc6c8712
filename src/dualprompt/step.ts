// DualPrompt's training-step and evaluation graphs: forward, loss (masked cross-entropy minus the pull
// term) and the gradients toward the trained parameters, in one ONNX session.
import * as g from '../graph/index.ts';
import type { Tensor } from '../graph/index.ts';
import { l2pLoss } from '../l2p/loss.ts';
import type { Selection } from '../l2p/prompt-pool.ts';
import { bindParams } from '../vit/bind.ts';
import type { Params } from '../vit/params.ts';
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
  /** Also output the frozen backbone's gradients: the official clip norm covers every parameter. */
  gradOfFrozen?: boolean;
  /** The pretrained backbone for the query when the backbone itself trains. */
  original?: Params;
}

export interface DualPromptStep {
  outputs: Record<string, Tensor>;
  trained: Tensor[];
  gradPaths: string[];
  feedsNeeded: string[];
}

function selectionOf(spec: Pick<DualPromptStepSpec, 'model' | 'batch' | 'selection' | 'voteGroup'>): Selection | null {
  if (!spec.model.e) return null;
  switch (spec.selection) {
    case 'mask':
      return { kind: 'fixed', ids: g.input('prompt_ids', [spec.batch, spec.model.e.topK], 'int32') };
    case 'per_instance':
      return { kind: 'per_instance' };
    case 'batchwise':
      return { kind: 'batchwise', group: spec.voteGroup ?? spec.batch };
  }
}

/** Outputs: loss, ce, logits, pre_logits, grad/<path>; with an e-prompt also reduce_sim, sim, prompt_idx. */
export function buildDualPromptTrainStep(params: Params, spec: DualPromptStepSpec): DualPromptStep {
  const { p, trained, used } = bindParams(params, spec.isTrained);
  const pq = spec.original ? bindParams(spec.original, () => false).p : p;
  const [h, w] = spec.imageSize;
  const images = g.input('images', [spec.batch, h, w, 3]);
  const labels = g.input('labels', [spec.batch], 'int32');
  const classMask = spec.trainMask ? g.input('class_mask', [spec.model.numClasses], 'bool') : null;
  const sel = selectionOf(spec);
  const out = dualPromptForward(p, spec.model, images, sel, pq);
  const { ce, loss } = l2pLoss(out.logits, labels, classMask, out.selection?.reduceSim ?? null, spec.pull);
  const frozen = spec.gradOfFrozen ? [...used.values()].filter((t) => t.op === 'constant') : [];
  const targets = [...trained, ...frozen];
  const grads = g.grad(loss, targets);
  const outputs: Record<string, Tensor> = { loss, ce, logits: out.logits, pre_logits: out.query };
  if (out.selection) {
    outputs.reduce_sim = out.selection.reduceSim;
    outputs.sim = out.selection.sim;
    outputs.prompt_idx = out.selection.idx;
  }
  targets.forEach((t, i) => (outputs[`grad/${t.label}`] = grads[i]));
  const feedsNeeded = ['images', 'labels', ...(classMask ? ['class_mask'] : []), ...(sel?.kind === 'fixed' ? ['prompt_ids'] : [])];
  return { outputs, trained, gradPaths: targets.map((t) => t.label!), feedsNeeded };
}

/** Logits and the selected e-prompt ids, no gradients; trained parameters are fed. */
export function buildDualPromptEvalStep(params: Params, spec: Pick<DualPromptStepSpec, 'model' | 'batch' | 'imageSize' | 'selection' | 'voteGroup' | 'isTrained' | 'original'> & { queryFed?: boolean }): DualPromptStep {
  const { p, trained } = bindParams(params, spec.isTrained);
  const pq = spec.original ? bindParams(spec.original, () => false).p : p;
  const [h, w] = spec.imageSize;
  const images = g.input('images', [spec.batch, h, w, 3]);
  const query = spec.queryFed ? g.input('query', [spec.batch, spec.model.vit.hidden]) : undefined;
  const sel = selectionOf(spec);
  const out = dualPromptForward(p, spec.model, images, sel, pq, query);
  const outputs: Record<string, Tensor> = { logits: out.logits };
  if (out.selection) outputs.prompt_idx = out.selection.idx;
  const feedsNeeded = ['images', ...(query ? ['query'] : []), ...(sel?.kind === 'fixed' ? ['prompt_ids'] : [])];
  return { outputs, trained, gradPaths: [], feedsNeeded };
}
