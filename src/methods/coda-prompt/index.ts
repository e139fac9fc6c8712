// CODA-Prompt (Smith et al., CVPR 2023): per prompted layer, a pool of components weighted by the
// query's attention to learned keys (no top-k), as attention prefixes; each task owns a slice of the
// pool, initialised orthogonal to the earlier ones at its start, which stay frozen.
import type { L2PConfig } from '../../config/l2p.ts';
import { buildCodaEvalStep, buildCodaTrainStep } from './model.ts';
import { initCodaParams, startCodaTask, validateCodaPrompt, type CodaPromptOptions } from './options.ts';
import { UserError } from '../../errors.ts';
import { mulberry32 } from '../../random.ts';
import type { LoadedViT } from '../../vit/params.ts';
import type { Method, MethodModel } from '../method.ts';

export function codaOptions(c: L2PConfig, vit: LoadedViT['config'], numClasses: number): CodaPromptOptions {
  const p = c.coda_prompt_param!;
  const o = { vit, numClasses, poolSize: p.pool_size, length: p.length, orthoMu: p.ortho_mu, layers: p.layer_idx, numTasks: c.continual.num_tasks };
  validateCodaPrompt(o);
  return o;
}

/** Settings CODA-Prompt's graph does not have: refused rather than ignored. */
function refuseUnsupported(c: L2PConfig): void {
  const refuse = (key: string, value: unknown, why: string) => {
    throw new UserError(`config key '${key}' = ${JSON.stringify(value)} is not supported with method 'coda_prompt': ${why}`);
  };
  if (c.grad_clip_scope === 'all') refuse('grad_clip_scope', 'all', "CODA-Prompt's graph gives no frozen gradients; set grad_clip_scope=trained");
  if (c.weight_decay > 0 && c.optim !== 'adamw') refuse('weight_decay', c.weight_decay, "the L2 loss term of 'adam'/'sgd' is not in CODA-Prompt's graph (the official settings use 0)");
  if (!c.continual.train_mask) refuse('continual.train_mask', false, 'CODA-Prompt always trains on the current task\'s logits');
}

/** A task's components start from their own seed, so a resumed run initialises them as an uninterrupted one. */
const taskRandom = (seed: number, t: number) => mulberry32(seed * 7919 + t);

function create(c: L2PConfig, vit: LoadedViT, numClasses: number): MethodModel {
  refuseUnsupported(c);
  const o = codaOptions(c, vit.config, numClasses);
  const params = initCodaParams(o, taskRandom(c.seed, 0));
  return {
    vit: vit.config,
    numClasses,
    params,
    trains: ['prompt/*', 'head/*'],
    train: (s) => ({
      key: `train:${s.batch}:${s.taskId}:${s.features}`,
      build: () => buildCodaTrainStep(s.params, { model: o, taskId: s.taskId, batch: s.batch, imageSize: s.imageSize, isTrained: s.isTrained, isFitted: s.isFitted, features: s.features }),
      feeds: () => ({}),
    }),
    eval: (s) => ({
      key: `eval:${s.batch}:${s.taskId}:${s.features}`,
      build: () => buildCodaEvalStep(s.params, { model: o, taskId: s.taskId, batch: s.batch, imageSize: s.imageSize, isTrained: s.isTrained, isFitted: s.isFitted, features: s.features }),
      feeds: () => ({}),
    }),
    evalSelection: 'weighted',
    usesQuery: false,
    startTask: (all, t) => {
      if (t > 0) startCodaTask(all, o, t, taskRandom(c.seed, t));
    },
    selectionAccuracy: () => null,
  };
}

export const codaPrompt: Method = {
  name: 'coda_prompt',
  summary: 'CODA-Prompt: attention-weighted prompt components, one slice per task',
  create,
  trainTasks: (tasks) => [...tasks],
  sequential: true,
  evalClasses: 'seen',
};
