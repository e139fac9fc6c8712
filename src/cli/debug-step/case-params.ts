// What the three debug-step harnesses share around their step: the case's backbone checked against
// case.json, its stored trained tensors taken with their shapes, and the one Adam update from zero
// moments that expected.npz's `updated/*` arrays hold.
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import { toFloat32, type NpyArray } from '../../io/npy.ts';
import { adamInit, adamStep, type Tensors } from '../../train/optim.ts';
import { loadViT, type LoadedViT, type Params } from '../../vit/params.ts';

interface CaseViT {
  dim: number;
  heads: number;
  mlp: number;
  depth: number;
  patch: number;
  /** The backbone's GELU: 'tanh' (absent: the official JAX code's) or 'erf' (the official CODA-Prompt's timm ViT). */
  gelu?: unknown;
}

/** The case's vit.npz, refused when its sizes are not the ones case.json gives; its GELU as case.json says. */
export function loadCaseViT(dir: string, c: CaseViT): LoadedViT {
  const file = join(dir, 'vit.npz');
  const vit = loadViT(file);
  const v = vit.config;
  if (v.hidden !== c.dim || v.heads !== c.heads || v.mlp !== c.mlp || v.depth !== c.depth || v.patch !== c.patch) {
    throw new UserError(`'${file}' does not match '${join(dir, 'case.json')}' (file: ${JSON.stringify(v)})`);
  }
  const gelu = c.gelu ?? 'tanh';
  if (gelu !== 'tanh' && gelu !== 'erf') throw new UserError(`'${join(dir, 'case.json')}': 'gelu' must be "tanh" or "erf", got ${JSON.stringify(c.gelu)}`);
  return { ...vit, config: { ...v, gelu } };
}

/**
 * The trained tensors named in `shapes`, from a stored npz: each present, of its shape, as float32.
 * `params` is the backbone's with them added; `trained` shares their data (the step updates it).
 */
export function takeTrained(stored: Map<string, NpyArray>, shapes: ReadonlyMap<string, number[]>, file: string, backbone: Params): { params: Params; trained: Tensors } {
  const params: Params = new Map(backbone);
  const trained: Tensors = new Map();
  for (const [k, shape] of shapes) {
    const a = stored.get(k);
    if (!a) throw new UserError(`'${file}': key '${k}' is missing (expected [${shape}])`);
    if (a.shape.join(',') !== shape.join(',')) throw new UserError(`'${file}': key '${k}' has shape [${a.shape}], expected [${shape}]`);
    const data = toFloat32(a, `'${file}' entry '${k}'`).slice();
    params.set(k, { shape, data });
    trained.set(k, data);
  }
  return { params, trained };
}

export const f32 = (a: Float32Array | number, shape: number[] = []): NpyArray => ({ dtype: 'float32', shape, data: typeof a === 'number' ? Float32Array.of(a) : a });

/**
 * The case's update: Adam (β1 0.9, β2 0.999, ε 1e-8) from zero moments on the (already clipped)
 * gradients, written into `out` as `updated/<path>`.
 */
export function adamCaseStep(out: Map<string, NpyArray>, trained: Tensors, grads: Tensors, shapes: ReadonlyMap<string, number[]>, lr: number): void {
  adamStep(trained, grads, adamInit(trained), lr, { beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  for (const [k, shape] of shapes) out.set(`updated/${k}`, f32(trained.get(k)!, shape));
}
