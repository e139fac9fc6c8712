// APER's graphs (LAMDA-PILOT models/aper_vpt.py, utils/inc_net.py). Task 0 tunes VPT prompts with a
// cosine head (the shared first session, ../vpt-session.ts). Every evaluation and statistics pass then
// sees [frozen pre_logits, adapted pre_logits] (dual-branch network, frozen first) and ranks classes
// by cos(x, prototype), the fresh head's sigma at 1.
import * as g from '../../graph/index.ts';
import type { Params } from '../../vit/params.ts';
import { queryOf } from '../../vit/query.ts';
import { evalGraph, type ForwardFn, type StepCommon, type StepGraph } from '../step.ts';
import { adaptedFeatures, initVptSessionParams, normalize, type VptOptions } from '../vpt-session.ts';

/** The first session's parameters, and 'head/kernel' [2D, C], the prototypes of the concatenated features (zeros until a class is seen). */
export function initAperParams(o: VptOptions, seed: number): Params {
  const d = o.vit.hidden;
  const p = initVptSessionParams(o, seed);
  p.set('head/kernel', { shape: [2 * d, o.numClasses], data: new Float32Array(2 * d * o.numClasses) });
  return p;
}

/** The dual-branch network: cos([frozen, adapted], prototype); the frozen branch may be fed as the cached query. */
const dualForward = (o: VptOptions): ForwardFn => (x) => {
  const frozen = x.query ?? queryOf(x.pq, { vit: o.vit }, x.images); // [B, D]
  const features = g.concat([frozen, adaptedFeatures(x.p, o, x.images, x.batch)], 1); // [B, 2D]
  const logits = g.matmul(normalize(features, -1), normalize(x.p('head/kernel'), 0)); // [B, C]
  return { logits, features };
};

/** The skeleton's fields; `original` is the frozen branch's pretrained backbone where task 0 tunes the backbone too. */
export function buildAperEvalStep(params: Params, o: VptOptions, s: StepCommon & { queryFed: boolean }): StepGraph {
  return evalGraph(params, { ...s, hidden: o.vit.hidden }, dualForward(o));
}
