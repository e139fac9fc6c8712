// What the three debug-step harnesses share around their step: the case's backbone checked against
// case.json and its stored trained tensors taken with their shapes.
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import { toFloat32, type NpyArray } from '../../io/npy.ts';
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

/** The trained tensors named in `shapes`, from a stored npz: each present, of its shape, as float32 (a copy). */
export function takeTrained(stored: Map<string, NpyArray>, shapes: ReadonlyMap<string, number[]>, file: string): Params {
  const params: Params = new Map();
  for (const [k, shape] of shapes) {
    const a = stored.get(k);
    if (!a) throw new UserError(`'${file}': key '${k}' is missing (expected [${shape}])`);
    if (a.shape.join(',') !== shape.join(',')) throw new UserError(`'${file}': key '${k}' has shape [${a.shape}], expected [${shape}]`);
    params.set(k, { shape, data: toFloat32(a, `'${file}' entry '${k}'`).slice() });
  }
  return params;
}

export const f32 = (a: Float32Array | number, shape: number[] = []): NpyArray => ({ dtype: 'float32', shape, data: typeof a === 'number' ? Float32Array.of(a) : a });
