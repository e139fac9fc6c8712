// The first-session adaptation two methods share: VPT prompts tuned by gradient on task 0 with a
// cosine head, then frozen (APER: LAMDA-PILOT models/aper_vpt.py and backbone/vpt.py; RanPAC:
// RanPAC.py _train with model_name 'vpt' and petl/vpt.py). Both tune the prompts and a CosineLinear
// head (sigma trained) on the first task's classes by SGD; afterwards each method reads the adapted
// pre_logits as its features (APER beside the frozen ones, RanPAC instead of them).
// VPT appends its tokens after the patches and drops them after each block (deep) or after the last
// (shallow); after the embedding attention has no positions, so prepending them here is the same.
import { UserError } from '../errors.ts';
import * as g from '../graph/index.ts';
import { mulberry32 } from '../random.ts';
import { embed, encode, type ParamFn } from '../vit/model.ts';
import type { Params } from '../vit/params.ts';
import type { ViTConfig } from '../vit/variants.ts';
import type { GraphPlan, TrainSpec } from './method.ts';
import { trainGraph, type ForwardFn } from './step.ts';

export interface VptOptions {
  vit: ViTConfig;
  numClasses: number;
  vptType: 'deep' | 'shallow';
  tokens: number;
}

/** What the first session trains: the prompts and the tuning head. */
export const VPT_SESSION_TRAINS = ['vpt/*', 'tune_head/*'] as const;

/** torch.nn.functional.normalize: x / max(‖x‖, 1e-12). */
export const normalize = (x: g.Tensor, axis: number) => g.l2Normalize(x, axis, 1e-24);

/**
 * 'vpt/prompts' [L, P, D] (L = depth when deep, 1 when shallow), zeros as VPT_ViT starts them;
 * 'tune_head/kernel' [D, C] uniform ±1/√D and 'tune_head/sigma' [1] = 1 (CosineLinear.reset_parameters).
 */
export function initVptSessionParams(o: VptOptions, seed: number): Params {
  const { hidden: d } = o.vit;
  const layers = o.vptType === 'deep' ? o.vit.depth : 1;
  const rand = mulberry32(seed);
  const bound = 1 / Math.sqrt(d);
  const tune = Float32Array.from({ length: d * o.numClasses }, () => (2 * rand() - 1) * bound);
  return new Map([
    ['vpt/prompts', { shape: [layers, o.tokens, d], data: new Float32Array(layers * o.tokens * d) }],
    ['tune_head/kernel', { shape: [d, o.numClasses], data: tune }],
    ['tune_head/sigma', { shape: [1], data: Float32Array.of(1) }],
  ]);
}

/** The adapted backbone's pre_logits [B, D]: the class token behind the prompt tokens, after encoder_norm. */
export function adaptedFeatures(p: ParamFn, o: VptOptions, images: g.Tensor, batch: number): g.Tensor {
  const { hidden: d } = o.vit;
  const prompts = p('vpt/prompts'); // [L, P, D]
  const layer = (i: number) => g.expand(g.slice(prompts, 0, i, i + 1), [batch, o.tokens, d]); // [B, P, D]
  const hooks = { prepend: (i: number) => (o.vptType === 'deep' ? layer(i) : i === 0 ? layer(0) : null), replace: true };
  const tokens = encode(p, o.vit, embed(p, o.vit, images), undefined, hooks); // [B, P+1+N, D]
  return g.reshape(g.slice(tokens, 1, o.tokens, o.tokens + 1), [batch, d]); // [B, D]
}

/** The first session's network (SimpleVitNet on the VPT backbone): sigma · cos(adapted, w_c). */
const tuneForward = (o: VptOptions): ForwardFn => (x) => {
  const features = adaptedFeatures(x.p, o, x.images, x.batch); // [B, D]
  const cos = g.matmul(normalize(features, -1), normalize(x.p('tune_head/kernel'), 0)); // [B, C]
  return { logits: g.mul(cos, x.p('tune_head/sigma')), features };
};

/**
 * The method's `train`: task 0's tuning step (the class mask keeps the head to the first task's
 * classes, as the official update_fc(init_cls)); any later task is refused, since both official
 * codes tune in the first session only.
 */
export function vptSessionTrain(o: VptOptions, method: string): (s: TrainSpec) => GraphPlan {
  return (s) => {
    if (s.taskId > 0) throw new UserError(`method '${method}' trains by gradient in task 0 only; task ${s.taskId} is fitted in closed form from its features`);
    return {
      key: `train:${s.batch}:${s.features}`,
      build: () => trainGraph(s.params, { batch: s.batch, imageSize: s.imageSize, isTrained: s.isTrained, isFitted: s.isFitted, original: s.original, features: s.features, weightDecay: s.weightDecay, numClasses: o.numClasses, trainMask: true }, tuneForward(o)),
      feeds: () => ({}),
    };
  };
}
