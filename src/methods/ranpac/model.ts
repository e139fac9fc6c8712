// RanPAC's evaluation graph (RanPAC.py on its CosineLinear head with use_RP): the backbone's
// pre_logits x [B, D] (the frozen backbone's, or with the first session the VPT-adapted one's),
// h = relu(x @ W_rand) [B, M] (x itself when M = 0), logits = h @ Woᵀ with the head's sigma at its
// initial 1 (never trained) and no normalisation (use_RP skips the cosine).
import { ranpacFeatures, ranpacLogits } from '../../linalg/index.ts';
import type { Params } from '../../vit/params.ts';
import { queryOf } from '../../vit/query.ts';
import type { ViTConfig } from '../../vit/variants.ts';
import { evalGraph, type BackboneEvalSpec, type ForwardFn, type StepGraph } from '../step.ts';
import { adaptedFeatures, type VptOptions } from '../vpt-session.ts';

/**
 * 'head/kernel' [C, width], Wo (fitted; zeros until a class is seen), and, when M > 0,
 * 'rp/w_rand' [D, M], frozen: neither trained nor fitted, so the graph holds it as a constant.
 */
export function initRanpacParams(wRand: Float32Array | null, hidden: number, width: number, numClasses: number): Params {
  const p: Params = new Map([['head/kernel', { shape: [numClasses, width], data: new Float32Array(numClasses * width) }]]);
  if (wRand) p.set('rp/w_rand', { shape: [hidden, width], data: wRand });
  return p;
}

/** Features: the projected h [B, M] the ridge head reads (what the statistics pass accumulates). */
export const ranpacForward = (vit: ViTConfig, projected: boolean, vpt: VptOptions | null): ForwardFn => (x) => {
  const pre = vpt ? adaptedFeatures(x.p, vpt, x.images, x.batch) : (x.query ?? queryOf(x.p, { vit }, x.images)); // [B, D]
  const features = ranpacFeatures(pre, projected ? x.p('rp/w_rand') : null); // [B, M]
  return { logits: ranpacLogits(features, x.p('head/kernel')), features }; // [B, C]
};

export interface RanpacStepSpec extends BackboneEvalSpec {
  projected: boolean;
  /** The first session's VPT: the projection reads the adapted pre_logits (null: the frozen ones). */
  vpt: VptOptions | null;
}

export function buildRanpacEvalStep(params: Params, s: RanpacStepSpec): StepGraph {
  return evalGraph(params, { ...s, hidden: s.vit.hidden }, ranpacForward(s.vit, s.projected, s.vpt));
}
