// L2P (Wang et al., CVPR 2022): a pool of prompts with learned keys, top_k chosen per input by the
// frozen ViT's query, prepended to the tokens. The baselines on the same graph (shared_prompt,
// head_only, joint) are this model with another pool, selection or task list: `l2pFamily` builds each.
import type { L2PConfig } from '../../config/l2p.ts';
import { UserError } from '../../errors.ts';
import { initL2PParams } from './init.ts';
import type { L2PModelOptions } from './model.ts';
import { buildEvalStep, buildTrainStep, type SelectionKind } from './step.ts';
import type { HostTensor } from '../../runtime/ort.ts';
import type { LoadedViT, Params } from '../../vit/params.ts';
import { isStateArray, selectingEvalStep, type GraphPlan, type MethodModel, type StepObservation } from '../method.ts';

/** How a member of the family differs from L2P. */
export interface L2PVariant {
  /** Prompts at all (false: the head alone, on the class token). */
  prompts: boolean;
  /** One prompt, always used: pool 1, top_k 1, no keys. */
  single: boolean;
  /** Official shared_prompt_pool / shared_prompt_key and the prompt-selection accuracy apply. */
  slots: boolean;
}

export const L2P_VARIANT: L2PVariant = { prompts: true, single: false, slots: true };

/** The L2P model options of a config under a variant. */
export function l2pModelOptions(c: L2PConfig, v: L2PVariant, vit: LoadedViT['config'], numClasses: number): L2PModelOptions {
  const pp = c.prompt_pool_param;
  return {
    vit,
    numClasses,
    topK: v.single ? 1 : pp.top_k,
    promptKey: pp.prompt_key && !v.single,
    layout: c.prompt_layout,
    classifier: v.prompts ? c.vit_classifier : 'token',
    temperature: c.temperature,
    normPreLogits: c.norm_pre_logits,
    queryPrecision: c.query_precision,
    embeddingKey: pp.embedding_key,
  };
}

/**
 * The fixed prompt ids of task `t`, or null when selection decides. Official use_prompt_mask: task t
 * trains ids t·N .. t·N+N−1 while they fit in the pool (past the pool, selection decides again).
 */
export function maskIds(c: L2PConfig, t: number): number[] | null {
  const { top_k: n, pool_size: m, use_prompt_mask } = c.prompt_pool_param;
  if (!use_prompt_mask || (t + 1) * n > m) return null;
  return Array.from({ length: n }, (_, i) => t * n + i);
}

/** Official shared_prompt_pool / shared_prompt_key: before task t > 0, slot t−1's prompts (keys) go to slot t. */
export function sharePromptSlots(c: L2PConfig, params: Params, hidden: number, t: number): void {
  const pp = c.prompt_pool_param;
  if (t === 0) return;
  const n = pp.top_k;
  const [prev, cur, end] = [(t - 1) * n, t * n, (t + 1) * n];
  const copyRows = (path: string, rowSize: number) => params.get(path)!.data.copyWithin(cur * rowSize, prev * rowSize, cur * rowSize);
  if (pp.shared_prompt_pool && end <= pp.pool_size) copyRows('prompt_pool/prompt', pp.length * hidden);
  // The official key copy has no pool-size check; past the pool there is nothing to copy into.
  if (pp.prompt_key && pp.shared_prompt_key && end <= pp.pool_size) copyRows('prompt_pool/key', hidden);
}

/**
 * How often test inputs pick their own task's prompts, per task: the share of the selected ids that lie
 * in the task's slot of the pool. Defined where tasks own slots (use_prompt_mask); null elsewhere.
 */
export function slotSelectionAccuracy(topK: number, poolSize: number, masked: boolean, usage: number[][]): number[] | null {
  if (!masked || usage.length * topK > poolSize) return null;
  return usage.map((counts, i) => {
    const total = counts.reduce((a, b) => a + b, 0);
    const own = counts.slice(i * topK, (i + 1) * topK).reduce((a, b) => a + b, 0);
    return total > 0 ? own / total : 0;
  });
}

/**
 * The diversified selection's h [M] for task t: each prompt's share of the selections made while
 * training tasks 0..t−1, add-one smoothed ((count + 1) / (total + M); ours) so that a prompt never
 * chosen still ranks by its distance instead of tying at 0 with every other unused one.
 */
export function selectionFrequency(counts: readonly number[][], t: number, poolSize: number): Float32Array {
  const sum = new Float64Array(poolSize);
  for (let i = 0; i < Math.min(t, counts.length); i++) counts[i].forEach((n, id) => (sum[id] += n));
  const total = sum.reduce((a, b) => a + b, 0);
  return Float32Array.from(sum, (n) => (n + 1) / (total + poolSize));
}

export function tileIds(ids: readonly number[], n: number): Int32Array {
  const out = new Int32Array(n * ids.length);
  for (let i = 0; i < n; i++) out.set(ids, i * ids.length);
  return out;
}

/** The prompt ids fed to a 'fixed' selection graph. */
function fixedFeeds(selection: SelectionKind, ids: readonly number[] | null, topK: number): (n: number) => Record<string, HostTensor> {
  return (n): Record<string, HostTensor> => (selection === 'fixed' ? { prompt_ids: { shape: [n, topK], data: tileIds(ids!, n) } } : {});
}

export function l2pFamilyModel(c: L2PConfig, v: L2PVariant, vit: LoadedViT, numClasses: number): MethodModel {
  const pp = c.prompt_pool_param;
  const model = l2pModelOptions(c, v, vit.config, numClasses);
  const withPool = v.prompts && c.prompt_pool;
  const params = initL2PParams(
    {
      poolSize: v.single ? 1 : pp.pool_size,
      length: pp.length,
      hidden: vit.config.hidden,
      numClasses,
      initializer: pp.initializer,
      keyInit: pp.prompt_key_init,
      promptKey: model.promptKey,
      seed: c.seed,
    },
    withPool,
  );
  const fixedIds = (t: number): number[] | null => (v.single ? [0] : maskIds(c, t));
  // Diversified selection (paper §3.4, prompt_pool_param.diversify): training selections counted per task.
  const diversify = pp.diversify ?? false;
  if (diversify && (!v.slots || !withPool || pp.use_prompt_mask)) {
    throw new UserError(`config key 'prompt_pool_param.diversify' = true needs method 'l2p' with a prompt pool and use_prompt_mask false (the mask fixes each task's prompts)`);
  }
  let counts: number[][] = [];
  // Task 0 has no earlier selections; the refusal above leaves no fixed ids to a diversified run.
  const diversifies = (t: number) => diversify && t > 0;
  const trainSelection = (t: number): SelectionKind => {
    if (!withPool) return 'none';
    if (fixedIds(t) !== null) return 'fixed';
    return pp.batchwise_prompt ? 'batchwise' : 'per_instance';
  };
  const evalSelection: SelectionKind = !withPool ? 'none' : v.single ? 'fixed' : c.test_time_selection === 'batchwise' ? 'batchwise' : 'per_instance'; // config: 'batchwise' only with batchwise_prompt
  return {
    vit: vit.config,
    numClasses,
    params,
    trains: withPool ? ['prompt_pool/*', 'head/*'] : ['head/*'],
    train(s): GraphPlan {
      const selection = trainSelection(s.taskId);
      const div = diversifies(s.taskId);
      return {
        key: `train:${s.batch}:${selection}:${s.frozenGrads}:${div}:${s.features}`,
        build: () =>
          buildTrainStep(s.params, {
            model,
            batch: s.batch,
            imageSize: s.imageSize,
            selection,
            voteGroup: s.batch,
            trainMask: c.continual.train_mask,
            pull: c.pull_constraint ? c.pull_constraint_coeff : 0,
            isTrained: s.isTrained,
            isFitted: s.isFitted,
            weightDecay: s.weightDecay,
            frozenGrads: s.frozenGrads,
            features: s.features,
            original: s.original,
            diversify: div,
            poolSize: pp.pool_size,
          }),
        feeds: (n) => ({
          ...fixedFeeds(selection, fixedIds(s.taskId), model.topK)(n),
          ...(div ? { prompt_freq: { shape: [pp.pool_size], data: selectionFrequency(counts, s.taskId, pp.pool_size) } } : {}),
        }),
      };
    },
    eval(s): GraphPlan {
      return {
        key: `eval:${s.batch}:${evalSelection}:${s.queryFed}:${s.features}`,
        build: () =>
          buildEvalStep(s.params, { model, ...selectingEvalStep(s, evalSelection, c.per_device_batch_size) }),
        feeds: fixedFeeds(evalSelection, [0], model.topK),
      };
    },
    evalSelection,
    usesQuery: evalSelection !== 'none' && evalSelection !== 'fixed' && pp.embedding_key === 'cls',
    startTask: (all, t) => {
      if (v.slots) sharePromptSlots(c, all, vit.config.hidden, t);
    },
    selectionAccuracy: (usage) => (v.slots ? slotSelectionAccuracy(pp.top_k, pp.pool_size, pp.use_prompt_mask, usage) : null),
    ...(diversify
      ? {
          observe: (t: number, step: StepObservation) => {
            while (counts.length <= t) counts.push(new Array<number>(pp.pool_size).fill(0));
            for (const id of step.promptIds) counts[t][id]++;
          },
          saveState: () => ({ train_selection_counts: counts.map((r) => [...r]) }),
          loadState: (st) => {
            const kept = st?.train_selection_counts;
            counts = kept && !isStateArray(kept) ? kept.map((r) => [...r]) : [];
          },
        }
      : {}),
  };
}
