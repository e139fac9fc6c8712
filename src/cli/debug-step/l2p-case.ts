// One L2P training step on a case in the golden-case format (case.json, vit.npz, l2p.npz, batch.npz),
// through the learner that training uses, with every intermediate that expected.npz holds: the parity
// check against the reference implementation.
import { join } from 'node:path';
import { getPreset } from '../../config/presets.ts';
import { UserError } from '../../errors.ts';
import { readNpz } from '../../io/npz.ts';
import type { NpyArray } from '../../io/npy.ts';
import type { RuntimeOptions } from '../../runtime/ort.ts';
import { readCaseBatch } from './case-batch.ts';
import { caseDevices, readCaseJson } from './case-fields.ts';
import { caseConfig, caseLearner, meanOver, rows, squareSize, traceStep } from './case-learner.ts';
import { f32, loadCaseViT, takeTrained } from './case-params.ts';

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
  /** Official pmap: the batch in this many consecutive slices, one per device (1 when absent). */
  devices?: number;
}

function readCase(dir: string): CaseJson {
  const file = join(dir, 'case.json');
  const c = readCaseJson(dir, 'l2p') as unknown as CaseJson;
  for (const k of ['img', 'patch', 'dim', 'heads', 'mlp', 'depth', 'pool', 'length', 'top_k', 'batch', 'classes', 'pull', 'lr'] as const) {
    if (typeof c[k] !== 'number') throw new UserError(`'${file}': '${k}' must be a number`);
  }
  if (c.clip_scope !== undefined && c.clip_scope !== 'all' && c.clip_scope !== 'trained') {
    throw new UserError(`'${file}': 'clip_scope' must be "all" or "trained", got ${JSON.stringify(c.clip_scope)}`);
  }
  return c;
}

/** Runs the step and returns arrays named as in expected.npz. */
export async function runL2PCase(dir: string, runtime: RuntimeOptions = {}, workers = 0): Promise<Map<string, NpyArray>> {
  const caseFile = join(dir, 'case.json');
  const c = readCase(dir);
  const vit = loadCaseViT(dir, c);
  const l2pFile = join(dir, 'l2p.npz');
  const want = new Map<string, number[]>([
    ['prompt_pool/prompt', [1, c.pool, c.length, c.dim]],
    ['prompt_pool/key', [c.pool, c.dim]],
    ['head/kernel', [c.dim, c.classes]],
    ['head/bias', [c.classes]],
  ]);
  const params = takeTrained(readNpz(l2pFile), want, l2pFile);
  const batch = readCaseBatch(dir, vit, c.classes);
  const devices = caseDevices(caseFile, c, batch);

  const pp = getPreset('cifar100_l2p').prompt_pool_param;
  const config = caseConfig(
    {
      method: 'l2p',
      prompt_pool: true,
      prompt_pool_param: { ...pp, pool_size: c.pool, length: c.length, top_k: c.top_k, batchwise_prompt: c.batchwise, use_prompt_mask: false, prompt_key: true, embedding_key: 'cls', diversify: false },
      prompt_layout: 'head',
      vit_classifier: 'prompt',
      temperature: 1,
      norm_pre_logits: false,
      pull_constraint: true,
      pull_constraint_coeff: c.pull,
    },
    { batch: batch.b, imageSize: squareSize(batch, caseFile), devices, clip: c.clip ?? null, clipScope: c.clip_scope ?? 'trained' },
  );
  const learner = caseLearner(config, vit, c.classes, params, l2pFile, runtime);
  const { trace } = await traceStep(learner, vit, batch, 0, c.lr, workers);

  const out = new Map<string, NpyArray>();
  for (const k of ['pre_logits', 'sim', 'prompt_idx', 'logits']) out.set(k, rows(trace.outputs, k));
  for (const k of ['ce', 'reduce_sim', 'loss']) out.set(k, meanOver(trace.outputs, k));
  for (const k of TRAINED) out.set(`grad/${k}`, f32(trace.grads.get(k)!, want.get(k)));
  out.set('grad_norm', f32(trace.norm));
  out.set('clip_factor', f32(trace.factor));
  for (const k of TRAINED) out.set(`updated/${k}`, f32(learner.params.get(k)!.data, want.get(k)));
  return out;
}
