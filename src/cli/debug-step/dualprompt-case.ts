// One DualPrompt training step on a golden case ("method": "dualprompt" in case.json; the format is in
// ../shared/golden/README.md), through the learner that training uses, with every array expected.npz
// holds: the evaluation before the update, the training step under the prompt mask (or selection by
// similarity), the clipped Adam update.
import { join } from 'node:path';
import { getPreset } from '../../config/presets.ts';
import { UserError } from '../../errors.ts';
import { readNpz } from '../../io/npz.ts';
import type { NpyArray } from '../../io/npy.ts';
import type { RuntimeOptions } from '../../runtime/ort.ts';
import { takeDualPromptParams, validateDualPrompt, type DualPromptOptions } from '../../methods/dualprompt/options.ts';
import { readCaseBatch } from './case-batch.ts';
import { caseDevices, readCaseJson } from './case-fields.ts';
import { caseConfig, caseLearner, meanOver, rows, squareSize, traceStep } from './case-learner.ts';
import { f32, loadCaseViT, takeTrained } from './case-params.ts';

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
  /** Ours and the official name of the same setting. */
  same_key_value?: boolean;
  same_key_value_for_shared?: boolean;
  use_prompt_mask?: boolean;
  /** Official pmap: the batch in this many consecutive slices, one per device (1 when absent). */
  devices?: number;
}

function readCase(file: string): DualPromptCase {
  const c = readCaseJson(join(file, '..'), 'dualprompt') as unknown as DualPromptCase;
  for (const k of ['img', 'patch', 'dim', 'heads', 'mlp', 'depth', 'g_length', 'pool', 'e_length', 'top_k', 'classes', 'task_id', 'pull', 'lr'] as const) {
    if (typeof c[k] !== 'number') throw new UserError(`'${file}': '${k}' must be a number`);
  }
  for (const k of ['g_layers', 'e_layers'] as const) {
    if (!Array.isArray(c[k]) || !c[k].every((x) => typeof x === 'number')) throw new UserError(`'${file}': '${k}' must be a list of layer indices`);
  }
  for (const k of ['batchwise', 'use_prefix_tune_for_g_prompt', 'use_prefix_tune_for_e_prompt', 'same_key_value', 'same_key_value_for_shared', 'use_prompt_mask'] as const) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') throw new UserError(`'${file}': '${k}' must be true or false`);
  }
  if (c.clip_scope !== undefined && c.clip_scope !== 'all' && c.clip_scope !== 'trained') throw new UserError(`'${file}': clip_scope must be 'all' or 'trained', got ${JSON.stringify(c.clip_scope)}`);
  if (c.classifier !== undefined && c.classifier !== 'token' && c.classifier !== 'gap') throw new UserError(`'${file}': classifier must be 'token' or 'gap' for DualPrompt, got ${JSON.stringify(c.classifier)}`);
  return c;
}

/** Runs the case in `dir` and returns arrays named as in its expected.npz. */
export async function runDualPromptCase(dir: string, runtime: RuntimeOptions = {}, workers = 0): Promise<Map<string, NpyArray>> {
  const caseFile = join(dir, 'case.json');
  const c = readCase(caseFile);
  const vit = loadCaseViT(dir, c);
  const o: DualPromptOptions = {
    vit: vit.config,
    numClasses: c.classes,
    g: c.g_layers.length ? { length: c.g_length, layers: c.g_layers, prefixTune: c.use_prefix_tune_for_g_prompt ?? true, sameKeyValue: c.same_key_value_for_shared ?? c.same_key_value ?? false } : null,
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
  const useMask = c.use_prompt_mask ?? true;

  const paramFile = join(dir, 'l2p.npz');
  const stored = readNpz(paramFile);
  const shapes = takeDualPromptParams(stored, o, paramFile);
  const params = takeTrained(stored, shapes, paramFile);
  const batch = readCaseBatch(dir, vit, c.classes);
  const devices = caseDevices(caseFile, c, batch);

  const pp = getPreset('cifar100_dualprompt').prompt_pool_param;
  const config = caseConfig(
    {
      method: 'dualprompt',
      prompt_pool: true,
      use_g_prompt: o.g !== null,
      g_prompt_length: c.g_length,
      g_prompt_layer_idx: c.g_layers,
      use_prefix_tune_for_g_prompt: o.g?.prefixTune ?? true,
      same_key_value_for_shared: o.g?.sameKeyValue ?? false,
      use_e_prompt: true,
      e_prompt_layer_idx: c.e_layers,
      use_prefix_tune_for_e_prompt: o.e!.prefixTune,
      prompt_pool_param: { ...pp, pool_size: c.pool, length: c.e_length, top_k: c.top_k, batchwise_prompt: c.batchwise, use_prompt_mask: useMask, prompt_key: true, embedding_key: 'cls', diversify: false },
      test_time_selection: c.batchwise ? 'batchwise' : 'per_instance',
      vit_classifier: o.classifier,
      temperature: 1,
      norm_pre_logits: false,
      pull_constraint: true,
      pull_constraint_coeff: c.pull,
      ...(useMask ? { continual: { ...getPreset('cifar100_dualprompt').continual, num_tasks: Math.floor(c.pool / c.top_k) } } : {}),
    },
    { batch: batch.b, imageSize: squareSize(batch, caseFile), devices, clip: c.clip ?? null, clipScope: c.clip_scope ?? 'trained' },
  );
  const learner = caseLearner(config, vit, c.classes, params, paramFile, runtime);
  learner.atTask(c.task_id);
  const f = batch.feeds;
  const evaluated = await learner.evalBatch(f.images.data as Float32Array, f.labels.data as Int32Array, null);
  const { trace } = await traceStep(learner, vit, batch, c.task_id, c.lr, workers);

  const out = new Map<string, NpyArray>();
  for (const k of ['pre_logits', 'sim', 'logits']) out.set(k, rows(trace.outputs, k));
  out.set('train_prompt_idx', rows(trace.outputs, 'prompt_idx'));
  for (const k of ['ce', 'reduce_sim', 'loss']) out.set(k, meanOver(trace.outputs, k));
  for (const [k, shape] of shapes) out.set(`grad/${k}`, f32(trace.grads.get(k)!, shape));
  out.set('grad_norm', f32(trace.norm));
  out.set('clip_factor', f32(trace.factor));
  for (const [k, shape] of shapes) out.set(`updated/${k}`, f32(learner.params.get(k)!.data, shape));
  out.set('eval_prompt_idx', { dtype: 'int32', shape: [batch.b, c.top_k], data: evaluated.promptIds });
  out.set('eval_logits', f32(evaluated.logits, [batch.b, c.classes]));
  return out;
}
