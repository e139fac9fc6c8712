// One L2P training step on a case in the golden-case format (case.json, vit.npz, l2p.npz, batch.npz),
// with every intermediate that expected.npz holds: the parity check against the reference implementation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import { readNpz } from '../../io/npz.ts';
import type { NpyArray } from '../../io/npy.ts';
import { compile, type HostTensor, type RuntimeOptions } from '../../runtime/ort.ts';
import { clipByGlobalNorm, type Tensors } from '../../train/optim.ts';
import { buildTrainStep } from '../../l2p/step.ts';
import { readCaseBatch } from './case-batch.ts';
import { adamCaseStep, f32, loadCaseViT, takeTrained } from './case-params.ts';

export const TRAINED = ['prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias'] as const;

interface CaseJson {
  img: number;
  patch: number;
  dim: number;
  heads: number;
  mlp: number;
  depth: number;
  pool: number;
  length: number;
  top_k: number;
  batchwise: boolean;
  batch: number;
  classes: number;
  pull: number;
  lr: number;
  clip: number | null;
  /** Whose gradients the clipping norm covers: the trained tensors (absent) or every parameter of the prompted model. */
  clip_scope?: 'all' | 'trained';
}

function readCase(dir: string): CaseJson {
  const file = join(dir, 'case.json');
  let c: CaseJson;
  try {
    c = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read as JSON: ${(e as Error).message}`);
  }
  for (const k of ['img', 'patch', 'dim', 'heads', 'mlp', 'depth', 'pool', 'length', 'top_k', 'batch', 'classes', 'pull', 'lr'] as const) {
    if (typeof c[k] !== 'number') throw new UserError(`'${file}': '${k}' must be a number`);
  }
  if (c.clip_scope !== undefined && c.clip_scope !== 'all' && c.clip_scope !== 'trained') {
    throw new UserError(`'${file}': 'clip_scope' must be "all" or "trained", got ${JSON.stringify(c.clip_scope)}`);
  }
  return c;
}

/** Runs the step and returns arrays named as in expected.npz. */
export async function runL2PCase(dir: string, runtime: RuntimeOptions = {}): Promise<Map<string, NpyArray>> {
  const c = readCase(dir);
  const vit = loadCaseViT(dir, c);
  const v = vit.config;
  const l2pFile = join(dir, 'l2p.npz');
  const l2p = readNpz(l2pFile);
  const want = new Map<string, number[]>([
    ['prompt_pool/prompt', [1, c.pool, c.length, c.dim]],
    ['prompt_pool/key', [c.pool, c.dim]],
    ['head/kernel', [c.dim, c.classes]],
    ['head/bias', [c.classes]],
  ]);
  const { params, trained } = takeTrained(l2p, want, l2pFile, vit.params);
  const { b, imageSize, feeds: batchFeeds } = readCaseBatch(dir, vit, c.classes);

  const step = buildTrainStep(params, {
    model: { vit: v, numClasses: c.classes, topK: c.top_k, promptKey: true, layout: 'head', classifier: 'prompt', temperature: 1, normPreLogits: false },
    batch: b,
    imageSize,
    selection: c.batchwise ? 'batchwise' : 'per_instance',
    voteGroup: b,
    trainMask: true,
    pull: c.pull,
    isTrained: (path) => (TRAINED as readonly string[]).includes(path),
    frozenGrads: c.clip_scope === 'all' ? 'sum_squares' : undefined,
  });
  const session = await compile(step.outputs, runtime);
  const feeds: Record<string, HostTensor> = {
    ...batchFeeds,
  };
  for (const t of step.trained) feeds[t.label!] = { shape: t.shape, data: trained.get(t.label!)! };
  const r = await session.run(feeds);
  await session.dispose();

  const out = new Map<string, NpyArray>();
  const scalar = (k: string) => (r[k].data as Float32Array)[0];
  out.set('pre_logits', f32(r.pre_logits.data as Float32Array, [b, c.dim]));
  out.set('sim', f32(r.sim.data as Float32Array, [b, c.pool]));
  out.set('prompt_idx', { dtype: 'int32', shape: [b, c.top_k], data: (r.prompt_idx.data as Int32Array).slice() });
  out.set('logits', f32(r.logits.data as Float32Array, [b, c.classes]));
  for (const k of ['ce', 'reduce_sim', 'loss']) out.set(k, f32(scalar(k)));
  const grads: Tensors = new Map(TRAINED.map((k) => [k, (r[`grad/${k}`].data as Float32Array).slice()] as const));
  for (const k of TRAINED) out.set(`grad/${k}`, f32(grads.get(k)!.slice(), want.get(k)));
  const frozenSq = r.frozen_grad_sq ? scalar('frozen_grad_sq') : 0;
  const clip = clipByGlobalNorm(grads, c.clip ?? null, frozenSq);
  out.set('grad_norm', f32(clip.norm));
  out.set('clip_factor', f32(clip.factor));
  adamCaseStep(out, trained, grads, want, c.lr);
  return out;
}
