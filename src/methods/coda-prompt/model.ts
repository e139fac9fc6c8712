// The CODA-Prompt graph (GT-RIPL/CODA-Prompt models/zoo.py CodaPrompt.forward, models/vit.py): at each
// prompted layer the query (the frozen ViT's class-token output) is weighted per component by its
// attention vector, compared with the component's key by cosine, and the similarities weight the
// components into one prompt [B, Lp, D] per input: its first Lp/2 rows are prefix keys, the rest prefix
// values of that layer's attention. No top-k. The loss adds the orthogonality penalty of P, K and A.
import * as g from '../../graph/index.ts';
import type { Tensor } from '../../graph/index.ts';
import { embed, encode, type EncoderHooks, type KVPrefix, type ParamFn } from '../../vit/model.ts';
import type { Params } from '../../vit/params.ts';
import { evalGraph, trainGraph, type ForwardFn, type StepGraph } from '../step.ts';
import { taskRange, type CodaPromptOptions } from './options.ts';

/** torch.nn.functional.normalize: x / max(‖x‖, 1e-12), i.e. x · rsqrt(max(Σx², 1e-24)). */
const normalize = (x: Tensor) => g.l2Normalize(x, -1, 1e-24);

/** Task t's view of a component tensor [M, ...]: rows [0, start) frozen, [start, end) trained, the rest dropped. */
function visible(t: Tensor, start: number, end: number): Tensor {
  const cur = g.slice(t, 0, start, end);
  return start === 0 ? cur : g.concat([g.stopGradient(g.slice(t, 0, 0, start)), cur], 0); // [f, ...]
}

/** mean((T Tᵀ − I)²) of T [f, n]: the official ortho_penalty. */
function orthoPenalty(t: Tensor): Tensor {
  const [f] = t.shape;
  const eye = g.constant(Float32Array.from({ length: f * f }, (_, i) => (i % (f + 1) === 0 ? 1 : 0)), [f, f]);
  const d = g.sub(g.matmul(t, g.transpose(t, [1, 0])), eye); // [f, f]
  return g.mean(g.mul(d, d), [0, 1]);
}

export interface CodaOutputs {
  query: Tensor;
  logits: Tensor;
  /** Σ over layers of ortho_mu · (pen(K) + pen(A) + pen(P)), or null when ortho_mu is 0. */
  ortho: Tensor | null;
  /** Each layer's component weights [B, f], by layer. */
  weights: Map<number, Tensor>;
  /** The class token the head sees [B, D]. */
  feature: Tensor;
}

/** The forward graph for task `taskId` (training and evaluation alike see components [0, end)). */
export function codaForward(p: ParamFn, o: CodaPromptOptions, images: Tensor, taskId: number, pq: ParamFn = p): CodaOutputs {
  const x0 = embed(p, o.vit, images); // [B, 1+N, D]
  const [b, , d] = x0.shape;
  const { heads: h } = o.vit;
  const query = g.stopGradient(g.reshape(g.slice(encode(pq, o.vit, pq === p ? x0 : embed(pq, o.vit, images)), 1, 0, 1), [b, d])); // [B, D]
  const { start, end } = taskRange(o, taskId);
  const f = end;
  const half = o.length / 2;
  const weights = new Map<number, Tensor>();
  const prefixes = new Map<number, KVPrefix>();
  const penalties: Tensor[] = [];
  for (const l of o.layers) {
    const P = visible(p(`prompt/e_p_${l}`), start, end); // [f, Lp, D]
    const K = visible(p(`prompt/e_k_${l}`), start, end); // [f, D]
    const A = visible(p(`prompt/e_a_${l}`), start, end); // [f, D]
    const aq = g.mul(g.reshape(query, [b, 1, d]), A); // [B, f, D]
    const w = g.sum(g.mul(normalize(aq), normalize(K)), -1); // [B, f]
    const prompt = g.reshape(g.matmul(w, g.reshape(P, [f, o.length * d])), [b, o.length, d]); // [B, Lp, D]
    const heads = (x: Tensor) => g.reshape(x, [b, half, h, d / h]); // [B, Lp/2, H, hd]
    prefixes.set(l, { key: heads(g.slice(prompt, 1, 0, half)), value: heads(g.slice(prompt, 1, half, o.length)) });
    weights.set(l, w);
    if (o.orthoMu > 0) penalties.push(orthoPenalty(K), orthoPenalty(A), orthoPenalty(g.reshape(P, [f, o.length * d])));
  }
  const hooks: EncoderHooks = { prefix: (layer) => prefixes.get(layer) ?? null };
  const out = encode(p, o.vit, x0, undefined, hooks); // [B, 1+N, D]
  const feature = g.reshape(g.slice(out, 1, 0, 1), [b, d]); // the class token
  const logits = g.dense(feature, p('head/kernel'), p('head/bias')); // [B, C]
  const ortho = penalties.length ? g.mul(penalties.reduce((a, x) => g.add(a, x)), o.orthoMu) : null;
  return { query, logits, ortho, weights, feature };
}

export interface CodaStepSpec {
  model: CodaPromptOptions;
  taskId: number;
  batch: number;
  imageSize: [number, number];
  /** Which parameter paths are fed (and differentiated); the official trains the prompt module and the head. */
  isTrained: (path: string) => boolean;
  isFitted?: (path: string) => boolean;
  /** Also output the class token the head sees. */
  features?: boolean;
}

function codaStepForward(spec: CodaStepSpec): ForwardFn {
  return (x) => {
    const out = codaForward(x.p, spec.model, x.images, spec.taskId, x.pq);
    const extraOutputs: Record<string, Tensor> = out.ortho ? { ortho: out.ortho } : {};
    for (const [l, w] of out.weights) extraOutputs[`weights/${l}`] = w;
    return { logits: out.logits, query: out.query, features: out.feature, extraLoss: out.ortho, extraOutputs };
  };
}

/**
 * Training step: cross-entropy over the current task's classes (fed 'class_mask' [C] bool: the official
 * sets the logits of earlier tasks' classes to −inf and drops later ones) plus the ortho penalty.
 * Outputs: loss, ce, ortho (when on), logits, pre_logits, weights/<layer>, grad/<path>.
 */
export function buildCodaTrainStep(params: Params, spec: CodaStepSpec): StepGraph {
  return trainGraph(params, { ...spec, numClasses: spec.model.numClasses, trainMask: true }, codaStepForward(spec));
}

/** Evaluation: logits over every class with task `taskId`'s components [0, end). */
export function buildCodaEvalStep(params: Params, spec: CodaStepSpec): StepGraph {
  return evalGraph(params, { ...spec, hidden: spec.model.vit.hidden }, codaStepForward(spec));
}
