// DualPrompt (Wang et al., ECCV 2022) as the official code runs it: a task-invariant g-prompt and a pool
// of e-prompts chosen by key, as attention prefixes (or prepended tokens) at their layers; the prompt
// mask while training (selection by similarity once a task's ids run past the pool, as official), the
// shared-pool copy at a task's start, selection by similarity at test.
import type { L2PConfig } from '../../config/l2p.ts';
import { UserError } from '../../errors.ts';
import { initDualPromptParams, sharedPoolCopy } from './init.ts';
import { maskFits, promptMaskIds, validateDualPrompt, type DualPromptOptions } from './options.ts';
import { buildDualPromptEvalStep, buildDualPromptTrainStep, type DualPromptSelection } from './step.ts';
import type { HostTensor } from '../../runtime/ort.ts';
import type { LoadedViT } from '../../vit/params.ts';
import { slotSelectionAccuracy, tileIds } from '../l2p/family.ts';
import { selectingEvalStep, type Method, type MethodModel } from '../method.ts';

/** The DualPrompt options a config names (config keys as the official configs/*_dualprompt.py). */
export function dualPromptOptions(c: L2PConfig, vit: LoadedViT['config'], numClasses: number): DualPromptOptions {
  const pp = c.prompt_pool_param;
  if (c.vit_classifier !== 'token' && c.vit_classifier !== 'gap') {
    throw new UserError(`config key 'vit_classifier' = '${c.vit_classifier}' is not one DualPrompt supports ('token', 'gap')`);
  }
  const o: DualPromptOptions = {
    vit,
    numClasses,
    g: c.use_g_prompt
      ? { length: c.g_prompt_length!, layers: c.g_prompt_layer_idx!, prefixTune: c.use_prefix_tune_for_g_prompt!, sameKeyValue: c.same_key_value_for_shared ?? false }
      : null,
    e: c.use_e_prompt ? { length: pp.length, layers: c.e_prompt_layer_idx!, poolSize: pp.pool_size, topK: pp.top_k, prefixTune: c.use_prefix_tune_for_e_prompt! } : null,
    classifier: c.vit_classifier,
    temperature: c.temperature,
    normPreLogits: c.norm_pre_logits,
  };
  validateDualPrompt(o);
  return o;
}

/** Settings L2P has that DualPrompt's graph does not: refused rather than ignored. */
function refuseUnsupported(c: L2PConfig): void {
  const refuse = (key: string, value: unknown, why: string) => {
    throw new UserError(`config key '${key}' = ${JSON.stringify(value)} is not supported with method 'dualprompt': ${why}`);
  };
  if (c.prompt_pool_param.embedding_key !== 'cls') refuse('prompt_pool_param.embedding_key', c.prompt_pool_param.embedding_key, "DualPrompt's query is the frozen ViT's class token ('cls')");
  if ((c.query_precision ?? 'fp32') !== 'fp32') refuse('query_precision', c.query_precision, 'the DualPrompt query runs in fp32');
  if (c.weight_decay > 0 && c.optim !== 'adamw') refuse('weight_decay', c.weight_decay, "the L2 loss term of 'adam'/'sgd' is not in DualPrompt's graph (the official DualPrompt configs set 0; 'adamw' decays in the optimiser)");
  if (c.prompt_pool_param.diversify) refuse('prompt_pool_param.diversify', true, "the paper's diversified selection is an option of L2P's; DualPrompt trains with the prompt mask")
  if (!c.prompt_pool_param.prompt_key) refuse('prompt_pool_param.prompt_key', false, 'DualPrompt always learns its e-prompt keys (the official mean-of-prompt keys are undefined for prefixes)');
}

function create(c: L2PConfig, vit: LoadedViT, numClasses: number): MethodModel {
  refuseUnsupported(c);
  const pp = c.prompt_pool_param;
  const o = dualPromptOptions(c, vit.config, numClasses);
  const params = initDualPromptParams(o, { initializer: pp.initializer, keyInit: pp.prompt_key_init, seed: c.seed });
  const e = o.e;
  const bySimilarity: DualPromptSelection = pp.batchwise_prompt ? 'batchwise' : 'per_instance';
  // Official train_continual.py: the mask while task t's ids fit the pool, selection by similarity after.
  const trainSelection = (t: number): DualPromptSelection => (e && pp.use_prompt_mask && maskFits(e, t) ? 'mask' : bySimilarity);
  const evalSelection: DualPromptSelection = pp.batchwise_prompt && c.test_time_selection === 'batchwise' ? 'batchwise' : 'per_instance';
  const maskFeeds = (t: number) => (n: number): Record<string, HostTensor> =>
    e && trainSelection(t) === 'mask' ? { prompt_ids: { shape: [n, e.topK], data: tileIds(promptMaskIds(e, t), n) } } : {};
  return {
    vit: vit.config,
    numClasses,
    params,
    trains: [...(o.g ? ['prefix'] : []), ...(e ? ['prompt_pool/*'] : []), 'head/*'],
    train: (s) => ({
      key: `train:${s.batch}:${trainSelection(s.taskId)}:${s.frozenGrads}:${s.features}`,
      build: () =>
        buildDualPromptTrainStep(s.params, {
          model: o,
          batch: s.batch,
          imageSize: s.imageSize,
          selection: trainSelection(s.taskId),
          voteGroup: s.batch,
          trainMask: c.continual.train_mask,
          pull: c.pull_constraint ? c.pull_constraint_coeff : 0,
          isTrained: s.isTrained,
          isFitted: s.isFitted,
          frozenGrads: s.frozenGrads,
          features: s.features,
          original: s.original,
        }),
      feeds: maskFeeds(s.taskId),
    }),
    eval: (s) => ({
      key: `eval:${s.batch}:${evalSelection}:${s.queryFed}:${s.features}`,
      build: () =>
        buildDualPromptEvalStep(s.params, { model: o, ...selectingEvalStep(s, evalSelection, c.per_device_batch_size) }),
      feeds: () => ({}),
    }),
    evalSelection: e ? evalSelection : 'none',
    usesQuery: e !== null,
    startTask: (all, t) => {
      if (e && pp.shared_prompt_pool) sharedPoolCopy(all, e, t, pp.shared_prompt_key);
    },
    selectionAccuracy: (usage) => (e ? slotSelectionAccuracy(e.topK, e.poolSize, pp.use_prompt_mask, usage) : null),
  };
}

export const dualprompt: Method = {
  name: 'dualprompt',
  summary: 'DualPrompt: a g-prompt and a pool of e-prompts as attention prefixes',
  create,
  trainTasks: (tasks) => [...tasks],
  sequential: true,
};
