// The two heads HiDe-Prompt trains on features, and the step graph that trains either.
// TII model (vits/hide_prompt_vision_transformer.py:MlpMapping with original_model_mlp_structure [2],
// then head): h = x + fc2(GELU(fc1(x))), LayerNorm(h) (torch's default eps 1e-5), logits = h·W + b, on
// the frozen ViT's pre_logits. The prompted model's head is the linear layer alone. The step (logits
// masked to a class mask, mean cross-entropy, gradients toward every head parameter) serves the TII
// model's training, its classifier alignment, and the prompted model's classifier alignment: in all
// three the backbone is out of the gradient path, so features can be fed.
import * as g from '../../graph/index.ts';
import type { Tensor } from '../../graph/index.ts';

export interface HeadSpec {
  batch: number;
  /** Feature width D (768 for ViT-B/16). */
  dim: number;
  numClasses: number;
  /** The MLP's hidden width as a multiple of D (official original_model_mlp_structure [2]); 0: linear head only. */
  mlpRatio: number;
}

/** Parameter paths and shapes ([in, out] kernels: x·W). */
export function headShapes(s: Omit<HeadSpec, 'batch'>): Map<string, number[]> {
  const d = s.dim;
  const h = d * s.mlpRatio;
  const m = new Map<string, number[]>();
  if (s.mlpRatio > 0) {
    m.set('mlp/fc1/kernel', [d, h]);
    m.set('mlp/fc1/bias', [h]);
    m.set('mlp/fc2/kernel', [h, d]);
    m.set('mlp/fc2/bias', [d]);
    m.set('mlp/norm/scale', [d]);
    m.set('mlp/norm/bias', [d]);
  }
  m.set('head/kernel', [d, s.numClasses]);
  m.set('head/bias', [s.numClasses]);
  return m;
}

/** The official MlpMapping LayerNorm: nn.LayerNorm's default eps. */
export const MLP_NORM_EPS = 1e-5;

/** logits [B, C] of features x [B, D]. */
export function headForward(p: (path: string) => Tensor, x: Tensor, mlpRatio: number): Tensor {
  let h = x;
  if (mlpRatio > 0) {
    const inner = g.gelu(g.dense(x, p('mlp/fc1/kernel'), p('mlp/fc1/bias')), 'erf'); // [B, rD]
    h = g.add(x, g.dense(inner, p('mlp/fc2/kernel'), p('mlp/fc2/bias'))); // [B, D]
    h = g.layerNorm(h, p('mlp/norm/scale'), p('mlp/norm/bias'), MLP_NORM_EPS);
  }
  return g.dense(h, p('head/kernel'), p('head/bias')); // [B, C]
}

export interface HeadStep {
  /** loss, logits, grad/<path> for every parameter. */
  outputs: Record<string, Tensor>;
  /** Inputs to feed: 'features' [B, D], 'labels' [B] int32, 'class_mask' [C] bool, and each parameter by path. */
  feedsNeeded: string[];
}

/** Forward, masked cross-entropy and the gradients toward every head parameter. */
export function buildHeadStep(s: HeadSpec): HeadStep {
  const shapes = headShapes(s);
  const params = new Map([...shapes].map(([k, shape]) => [k, g.input(k, shape)] as const));
  const features = g.input('features', [s.batch, s.dim]);
  const labels = g.input('labels', [s.batch], 'int32');
  const classMask = g.input('class_mask', [s.numClasses], 'bool');
  const logits = headForward((k) => params.get(k)!, features, s.mlpRatio);
  const loss = g.maskedCrossEntropy(logits, labels, classMask);
  const trained = [...params.values()];
  const grads = g.grad(loss, trained);
  const outputs: Record<string, Tensor> = { loss, logits };
  trained.forEach((t, i) => (outputs[`grad/${t.label}`] = grads[i]));
  return { outputs, feedsNeeded: ['features', 'labels', 'class_mask', ...shapes.keys()] };
}
