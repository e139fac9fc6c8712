// APER's graphs (LAMDA-PILOT models/aper_vpt.py, backbone/vpt.py, utils/inc_net.py). Task 0 tunes
// VPT prompts on a copy of the backbone with a cosine head CosineLinear (sigma trained) by SGD. Every
// evaluation and statistics pass then sees [frozen pre_logits, adapted pre_logits] (dual-branch
// network, frozen first) and ranks classes by cos(x, prototype), the fresh head's sigma at 1.
// VPT appends its tokens after the patches and drops them after each block (deep) or after the last
// (shallow); after the embedding attention has no positions, so prepending them here is the same.
import * as g from '../../graph/index.ts';
import { mulberry32 } from '../../random.ts';
import { embed, encode, type ParamFn } from '../../vit/model.ts';
import type { Params } from '../../vit/params.ts';
import { queryOf } from '../../vit/query.ts';
import type { ViTConfig } from '../../vit/variants.ts';
import { evalGraph, trainGraph, type ForwardFn, type StepCommon, type StepGraph } from '../step.ts';

export interface AperOptions {
  vit: ViTConfig;
  numClasses: number;
  vptType: 'deep' | 'shallow';
  tokens: number;
}

/** torch.nn.functional.normalize: x / max(‖x‖, 1e-12). */
const normalize = (x: g.Tensor, axis: number) => g.l2Normalize(x, axis, 1e-24);

/**
 * 'vpt/prompts' [L, P, D] (L = depth when deep, 1 when shallow), zeros as VPT_ViT starts them;
 * 'tune_head/kernel' [D, C] uniform ±1/√D and 'tune_head/sigma' [1] = 1 (CosineLinear.reset_parameters);
 * 'head/kernel' [2D, C], the prototypes of the concatenated features (zeros until a class is seen).
 */
export function initAperParams(o: AperOptions, seed: number): Params {
  const { hidden: d } = o.vit;
  const layers = o.vptType === 'deep' ? o.vit.depth : 1;
  const rand = mulberry32(seed);
  const bound = 1 / Math.sqrt(d);
  const tune = Float32Array.from({ length: d * o.numClasses }, () => (2 * rand() - 1) * bound);
  return new Map([
    ['vpt/prompts', { shape: [layers, o.tokens, d], data: new Float32Array(layers * o.tokens * d) }],
    ['tune_head/kernel', { shape: [d, o.numClasses], data: tune }],
    ['tune_head/sigma', { shape: [1], data: Float32Array.of(1) }],
    ['head/kernel', { shape: [2 * d, o.numClasses], data: new Float32Array(2 * d * o.numClasses) }],
  ]);
}

/** The adapted branch's pre_logits [B, D]: the class token behind the prompt tokens, after encoder_norm. */
export function adaptedFeatures(p: ParamFn, o: AperOptions, images: g.Tensor, batch: number): g.Tensor {
  const { hidden: d } = o.vit;
  const prompts = p('vpt/prompts'); // [L, P, D]
  const layer = (i: number) => g.expand(g.slice(prompts, 0, i, i + 1), [batch, o.tokens, d]); // [B, P, D]
  const hooks = { prepend: (i: number) => (o.vptType === 'deep' ? layer(i) : i === 0 ? layer(0) : null), replace: true };
  const tokens = encode(p, o.vit, embed(p, o.vit, images), undefined, hooks); // [B, P+1+N, D]
  return g.reshape(g.slice(tokens, 1, o.tokens, o.tokens + 1), [batch, d]); // [B, D]
}

/** Task 0's tuning network (SimpleVitNet on the VPT backbone): sigma · cos(adapted, w_c). */
const tuneForward = (o: AperOptions): ForwardFn => (x) => {
  const features = adaptedFeatures(x.p, o, x.images, x.batch); // [B, D]
  const cos = g.matmul(normalize(features, -1), normalize(x.p('tune_head/kernel'), 0)); // [B, C]
  return { logits: g.mul(cos, x.p('tune_head/sigma')), features };
};

/** The dual-branch network: cos([frozen, adapted], prototype); the frozen branch may be fed as the cached query. */
const dualForward = (o: AperOptions): ForwardFn => (x) => {
  const frozen = x.query ?? queryOf(x.pq, { vit: o.vit }, x.images); // [B, D]
  const features = g.concat([frozen, adaptedFeatures(x.p, o, x.images, x.batch)], 1); // [B, 2D]
  const logits = g.matmul(normalize(features, -1), normalize(x.p('head/kernel'), 0)); // [B, C]
  return { logits, features };
};

/** The skeleton's fields; `original` is the frozen branch's pretrained backbone where task 0 tunes the backbone too. */
type StepSpec = StepCommon;

export function buildAperTrainStep(params: Params, o: AperOptions, s: StepSpec & { weightDecay: number }): StepGraph {
  return trainGraph(params, { ...s, numClasses: o.numClasses, trainMask: true }, tuneForward(o));
}

export function buildAperEvalStep(params: Params, o: AperOptions, s: StepSpec & { queryFed: boolean }): StepGraph {
  return evalGraph(params, { ...s, hidden: o.vit.hidden }, dualForward(o));
}
