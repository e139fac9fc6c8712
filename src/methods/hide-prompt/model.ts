// HiDe-Prompt's parameters and graphs. Two models share the frozen ViT: the TII model (the frozen
// query → 'tii/' MLP + LayerNorm + head, head.ts) and the prompted model (DualPrompt's prefix e-prompts
// at e_prompt_layer_idx, one slot per task, no keys → the class token after the final norm → 'head/').
// Graphs: the TII step (phase 'tii'), the prompt step (phase 'prompt': the slot fed as 'prompt_ids',
// the momentum mix, the prototype-contrast term), the statistics passes' feature graphs, and the
// evaluation: query → TII logits → the arg-max seen class's task → the prompted model with that slot.
import * as g from '../../graph/index.ts';
import type { Tensor } from '../../graph/index.ts';
import { hash32, Rng } from '../../data/rng.ts';
import { embed, encode, type ParamFn } from '../../vit/model.ts';
import type { Params } from '../../vit/params.ts';
import { queryOf } from '../../vit/query.ts';
import type { ViTConfig } from '../../vit/variants.ts';
import { ePrompt } from '../dualprompt/model.ts';
import { evalGraph, trainGraph, type ForwardFn, type StepCommon, type StepGraph } from '../step.ts';
import { headForward, headShapes } from './head.ts';
import { momentumPool } from './prompt-momentum.ts';
import { prototypeContrast } from './prototype-contrast.ts';
import { taskPromptIds } from './task-inference.ts';

export interface HideOptions {
  vit: ViTConfig;
  numClasses: number;
  /** Prompted layers, ascending (official e_prompt_layer_idx [0, 1, 2, 3, 4]). */
  layers: number[];
  /** Slots (official size = num_tasks). */
  poolSize: number;
  /** Prefix length per slot (official length). */
  length: number;
  /** The TII MLP's hidden width as a multiple of D (official original_model_mlp_structure [2]; 0: none). */
  mlpRatio: number;
  promptMomentum: number;
  reg: number;
}

/** The TII model's parameters are its head.ts names under 'tii/'. */
export const TII = 'tii/';
export const POOL = 'e_prompt/prompt';

/**
 * 'e_prompt/prompt' [layers, 2, pool, length, heads, hd] ~ U(−1, 1) (official 'uniform'); the
 * prompted head 'head/kernel' [D, C], the TII MLP's kernels and head ~ N(0, 0.02²) (timm's trunc_normal_
 * std 0.02, not truncated here: 2σ cuts 4.6 % of draws), biases 0, the LayerNorm's scale 1.
 */
export function initHideParams(o: HideOptions, seed: number): Params {
  const { hidden: d, heads: h } = o.vit;
  const rng = new Rng(hash32(seed, 0x41de));
  const normal = (n: number) => Float32Array.from({ length: n }, () => 0.02 * Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float()));
  const p: Params = new Map();
  const pool = [o.layers.length, 2, o.poolSize, o.length, h, d / h];
  p.set(POOL, { shape: pool, data: Float32Array.from({ length: pool.reduce((a, b) => a * b, 1) }, () => 2 * rng.float() - 1) });
  const init = (path: string, shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = path.endsWith('kernel') ? normal(n) : path.endsWith('norm/scale') ? new Float32Array(n).fill(1) : new Float32Array(n);
    p.set(path, { shape, data });
  };
  for (const [k, shape] of headShapes({ dim: d, numClasses: o.numClasses, mlpRatio: o.mlpRatio })) init(TII + k, shape);
  for (const [k, shape] of headShapes({ dim: d, numClasses: o.numClasses, mlpRatio: 0 })) init(k, shape);
  return p;
}

/** The prompted model's class token after the final norm [B, D], each row with its slot ids [B, 1] of `pool`. */
export function promptedFeature(p: ParamFn, o: HideOptions, images: Tensor, pool: Tensor, ids: Tensor): Tensor {
  const x0 = embed(p, o.vit, images); // [B, 1+N, D]
  const [b, , d] = x0.shape;
  const row = new Map(o.layers.map((layer, i) => [layer, i] as const));
  const prefix = (layer: number) => {
    const i = row.get(layer);
    return i === undefined ? null : (ePrompt(pool, i, ids, true) as { key: Tensor; value: Tensor }); // [B, L, H, hd] each
  };
  const out = encode(p, o.vit, x0, undefined, { prefix }); // [B, 1+N, D]: prefixes add no tokens
  return g.reshape(g.slice(out, 1, 0, 1), [b, d]);
}

const tiiParams = (p: ParamFn): ParamFn => (k) => p(TII + k);

/** Phase 'tii': the TII model's logits on the frozen query, trained toward the task's masked classes. */
const tiiForward = (o: HideOptions): ForwardFn => (x) => {
  const query = x.query ?? g.stopGradient(queryOf(x.pq, { vit: o.vit }, x.images)); // [B, D]
  return { logits: headForward(tiiParams(x.p), query, o.mlpRatio), query, features: query };
};

/**
 * Phase 'prompt' (task t): slot t for every row ('prompt_ids' [B, 1]), the pool mixed toward the
 * earlier slots' mean (momentumPool), and reg × the contrast against the K stored centroids fed as
 * 'prototypes' [K, D] (none at K = 0).
 */
const promptForward = (o: HideOptions, t: number, k: number): ForwardFn => (x) => {
  const ids = x.input('prompt_ids', [x.batch, 1], 'int32');
  const feature = promptedFeature(x.p, o, x.images, momentumPool(x.p(POOL), t, o.promptMomentum), ids);
  const prototypes = k > 0 ? x.input('prototypes', [k, o.vit.hidden]) : null;
  return { logits: g.dense(feature, x.p('head/kernel'), x.p('head/bias')), features: feature, extraLoss: o.reg > 0 ? prototypeContrast(feature, prototypes, o.reg) : null };
};

/** The prompt-stage statistics: the prompted model's features with the fed slot, the pool as it stands. */
const slotForward = (o: HideOptions): ForwardFn => (x) => {
  const feature = promptedFeature(x.p, o, x.images, x.p(POOL), x.input('prompt_ids', [x.batch, 1], 'int32'));
  return { logits: g.dense(feature, x.p('head/kernel'), x.p('head/bias')), features: feature };
};

/** Evaluation: each row's slot from the TII head (seen classes 'seen' [C] bool, their tasks 'task_of' [C] int32). */
function inferredForward(o: HideOptions, out: { ids?: Tensor }): ForwardFn {
  return (x) => {
    const query = x.query ?? queryOf(x.pq, { vit: o.vit }, x.images); // [B, D]
    const tii = headForward(tiiParams(x.p), query, o.mlpRatio); // [B, C]
    const ids = taskPromptIds(tii, x.input('seen', [o.numClasses], 'bool'), x.input('task_of', [o.numClasses], 'int32')); // [B, 1]
    out.ids = ids;
    const feature = promptedFeature(x.p, o, x.images, x.p(POOL), ids);
    return { logits: g.dense(feature, x.p('head/kernel'), x.p('head/bias')), features: feature };
  };
}

export function buildHideTrainStep(params: Params, o: HideOptions, phase: 'tii' | 'prompt', t: number, k: number, s: StepCommon): StepGraph {
  return trainGraph(params, { ...s, numClasses: o.numClasses, trainMask: true }, phase === 'tii' ? tiiForward(o) : promptForward(o, t, k));
}

/**
 * `stats` 'tii_stats' / 'prompt_stats': the features of that statistics pass; unset: the evaluation,
 * with 'prompt_idx' [B, 1] the inferred slot of each row.
 */
export function buildHideEvalStep(params: Params, o: HideOptions, stats: string | undefined, s: StepCommon & { queryFed: boolean }): StepGraph {
  if (stats === 'tii_stats') return evalGraph(params, { ...s, hidden: o.vit.hidden }, tiiForward(o));
  if (stats === 'prompt_stats') return evalGraph(params, { ...s, hidden: o.vit.hidden }, slotForward(o));
  const out: { ids?: Tensor } = {};
  const graph = evalGraph(params, { ...s, hidden: o.vit.hidden }, inferredForward(o, out));
  graph.outputs.prompt_idx = out.ids!;
  return graph;
}
