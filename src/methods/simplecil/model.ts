// SimpleCIL's graph (LAMDA-PILOT models/simplecil.py on utils/inc_net.py SimpleVitNet): the frozen
// backbone's pre_logits (timm's num_classes=0 output: the class token after the final norm) and a
// cosine classifier over the class prototypes, CosineLinear with its scale sigma at its initial 1
// (SimpleCIL never trains it): logits = normalize(x) · normalize(w_c), F.normalize's eps 1e-12.
import * as g from '../../graph/index.ts';
import type { Params } from '../../vit/params.ts';
import { queryOf } from '../../vit/query.ts';
import type { ViTConfig } from '../../vit/variants.ts';
import { evalGraph, type BackboneEvalSpec, type ForwardFn, type StepGraph } from '../step.ts';

/** torch.nn.functional.normalize: x / max(‖x‖, 1e-12), i.e. x · rsqrt(max(Σx², 1e-24)). */
const normalize = (x: g.Tensor, axis: number) => g.l2Normalize(x, axis, 1e-24);

/** The prototypes as a head: 'head/kernel' [D, C], one column per class (zeros until its class is seen). */
export function initSimpleCilParams(hidden: number, numClasses: number): Params {
  return new Map([['head/kernel', { shape: [hidden, numClasses], data: new Float32Array(hidden * numClasses) }]]);
}

/** Features [B, D]: the frozen query when fed (evaluation caches it), else the backbone's forward. */
export const simpleCilForward = (vit: ViTConfig): ForwardFn => (x) => {
  const features = x.query ?? queryOf(x.p, { vit }, x.images); // [B, D]
  const logits = g.matmul(normalize(features, -1), normalize(x.p('head/kernel'), 0)); // [B, C]
  return { logits, features };
};

export type SimpleCilStepSpec = BackboneEvalSpec;

export function buildSimpleCilEvalStep(params: Params, s: SimpleCilStepSpec): StepGraph {
  return evalGraph(params, { ...s, hidden: s.vit.hidden }, simpleCilForward(s.vit));
}
