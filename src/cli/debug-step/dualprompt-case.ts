// One DualPrompt training step on a golden case ("method": "dualprompt" in case.json; the format is in
// ../shared/golden/README.md), with every array expected.npz holds: the training step under the prompt
// mask (or selection by similarity), the clipped Adam update, and the evaluation before the update.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import { readNpz } from '../../io/npz.ts';
import type { NpyArray } from '../../io/npy.ts';
import { compile, type HostTensor, type RuntimeOptions } from '../../runtime/ort.ts';
import { clipByGlobalNorm, type Tensors } from '../../train/optim.ts';
import { promptMaskIds, takeDualPromptParams, validateDualPrompt, type DualPromptOptions } from '../../dualprompt/options.ts';
import { buildDualPromptEvalStep, buildDualPromptTrainStep } from '../../dualprompt/step.ts';
import { readCaseBatch } from './case-batch.ts';
import { adamCaseStep, f32, loadCaseViT, takeTrained } from './case-params.ts';

interface DualPromptCase {
  img: number;
  patch: number;
  dim: number;
  heads: number;
  mlp: number;
  depth: number;
  g_length: number;
  g_layers: number[];
  e_layers: number[];
  pool: number;
  e_length: number;
  top_k: number;
  batchwise: boolean;
  classes: number;
  task_id: number;
  pull: number;
  lr: number;
  clip: number | null;
  clip_scope?: 'all' | 'trained';
  classifier?: 'token' | 'gap';
  /** Optional, official names and defaults: prefix-tuning for both, separate keys and values, the mask on. */
  use_prefix_tune_for_g_prompt?: boolean;
  use_prefix_tune_for_e_prompt?: boolean;
  same_key_value?: boolean;
  use_prompt_mask?: boolean;
}

function readCase(file: string): DualPromptCase {
  let c: DualPromptCase;
  try {
    c = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read as JSON: ${(e as Error).message}`);
  }
  for (const k of ['img', 'patch', 'dim', 'heads', 'mlp', 'depth', 'g_length', 'pool', 'e_length', 'top_k', 'classes', 'task_id', 'pull', 'lr'] as const) {
    if (typeof c[k] !== 'number') throw new UserError(`'${file}': '${k}' must be a number`);
  }
  for (const k of ['g_layers', 'e_layers'] as const) {
    if (!Array.isArray(c[k]) || !c[k].every((x) => typeof x === 'number')) throw new UserError(`'${file}': '${k}' must be a list of layer indices`);
  }
  for (const k of ['batchwise', 'use_prefix_tune_for_g_prompt', 'use_prefix_tune_for_e_prompt', 'same_key_value', 'use_prompt_mask'] as const) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') throw new UserError(`'${file}': '${k}' must be true or false`);
  }
  if (c.clip_scope !== undefined && c.clip_scope !== 'all' && c.clip_scope !== 'trained') throw new UserError(`'${file}': clip_scope must be 'all' or 'trained', got ${JSON.stringify(c.clip_scope)}`);
  if (c.classifier !== undefined && c.classifier !== 'token' && c.classifier !== 'gap') throw new UserError(`'${file}': classifier must be 'token' or 'gap' for DualPrompt, got ${JSON.stringify(c.classifier)}`);
  return c;
}

const ids = (a: Int32Array, shape: number[]): NpyArray => ({ dtype: 'int32', shape, data: a.slice() });

/** Runs the case in `dir` and returns arrays named as in its expected.npz. */
export async function runDualPromptCase(dir: string, runtime: RuntimeOptions = {}): Promise<Map<string, NpyArray>> {
  const caseFile = join(dir, 'case.json');
  const c = readCase(caseFile);
  const vit = loadCaseViT(dir, c);
  const v = vit.config;
  const o: DualPromptOptions = {
    vit: v,
    numClasses: c.classes,
    g: c.g_layers.length ? { length: c.g_length, layers: c.g_layers, prefixTune: c.use_prefix_tune_for_g_prompt ?? true, sameKeyValue: c.same_key_value ?? false } : null,
    e: { length: c.e_length, layers: c.e_layers, poolSize: c.pool, topK: c.top_k, prefixTune: c.use_prefix_tune_for_e_prompt ?? true },
    classifier: c.classifier ?? 'token',
    temperature: 1,
    normPreLogits: false,
  };
  try {
    validateDualPrompt(o, { gLayers: 'g_layers', gLength: 'g_length', eLayers: 'e_layers', eLength: 'e_length', topK: 'top_k', poolSize: 'pool' });
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`'${caseFile}': ${e.message}`);
    throw e;
  }

  const paramFile = join(dir, 'l2p.npz');
  const stored = readNpz(paramFile);
  const shapes = takeDualPromptParams(stored, o, paramFile);
  const { params, trained } = takeTrained(stored, shapes, paramFile, vit.params);

  const { b, imageSize, feeds: batchFeeds } = readCaseBatch(dir, vit, c.classes);
  const isTrained = (path: string) => shapes.has(path);
  const testSelection = c.batchwise ? 'batchwise' : 'per_instance';
  const useMask = c.use_prompt_mask ?? true;

  const step = buildDualPromptTrainStep(params, {
    model: o,
    batch: b,
    imageSize,
    selection: useMask ? 'mask' : testSelection,
    voteGroup: b,
    trainMask: true,
    pull: c.pull,
    isTrained,
    gradOfFrozen: (c.clip_scope ?? 'trained') === 'all',
  });
  const feeds: Record<string, HostTensor> = {
    ...batchFeeds,
  };
  if (useMask) {
    const row = promptMaskIds(o.e!, c.task_id);
    feeds.prompt_ids = { shape: [b, c.top_k], data: Int32Array.from({ length: b * c.top_k }, (_, i) => row[i % c.top_k]) };
  }
  const params0 = new Map([...trained].map(([k, a]) => [k, a.slice()] as const));
  for (const t of step.trained) feeds[t.label!] = { shape: t.shape, data: params0.get(t.label!)! };
  const session = await compile(step.outputs, runtime);
  const r = await session.run(feeds);
  await session.dispose();

  const evalStep = buildDualPromptEvalStep(params, { model: o, batch: b, imageSize, selection: testSelection, voteGroup: b, isTrained });
  const evalFeeds: Record<string, HostTensor> = { images: feeds.images };
  for (const t of evalStep.trained) evalFeeds[t.label!] = feeds[t.label!];
  const evalSession = await compile(evalStep.outputs, runtime);
  const re = await evalSession.run(evalFeeds);
  await evalSession.dispose();

  const out = new Map<string, NpyArray>();
  const scalar = (k: string) => (r[k].data as Float32Array)[0];
  out.set('pre_logits', f32(r.pre_logits.data as Float32Array, [b, c.dim]));
  out.set('sim', f32(r.sim.data as Float32Array, [b, c.pool]));
  out.set('train_prompt_idx', ids(r.prompt_idx.data as Int32Array, [b, c.top_k]));
  out.set('logits', f32(r.logits.data as Float32Array, [b, c.classes]));
  for (const k of ['ce', 'reduce_sim', 'loss']) out.set(k, f32(scalar(k)));
  // Every gradient the step output enters the global norm; only the DualPrompt tensors update.
  const all: Tensors = new Map(step.gradPaths.map((k) => [k, (r[`grad/${k}`].data as Float32Array).slice()] as const));
  for (const [k, shape] of shapes) out.set(`grad/${k}`, f32(all.get(k)!.slice(), shape));
  const clip = clipByGlobalNorm(all, c.clip ?? null);
  out.set('grad_norm', f32(clip.norm));
  out.set('clip_factor', f32(clip.factor));
  const grads: Tensors = new Map([...shapes.keys()].map((k) => [k, all.get(k)!] as const));
  adamCaseStep(out, trained, grads, shapes, c.lr);
  out.set('eval_prompt_idx', ids(re.prompt_idx.data as Int32Array, [b, c.top_k]));
  out.set('eval_logits', f32(re.logits.data as Float32Array, [b, c.classes]));
  return out;
}
