// HiDe-Prompt (Wang et al., NeurIPS 2023) as its official code runs it, both stages in one run: per
// task t, (1) 'tii': the TII model (MLP + head on the frozen query) trained on the task's masked
// classes; (2) 'tii_stats': its class statistics of the frozen query, then (t > 0) its classifier
// alignment; (3) 'prompt': task t's prefix slot and the prompted head, with the prompt momentum and the
// prototype-contrast term, then the end-of-task momentum; (4) 'prompt_stats': the prompted model's
// class statistics, then (t > 0) the prompted head's alignment. At test time the TII head picks each
// image's slot (docs/hide-prompt.md).
import type { L2PConfig } from '../../config/l2p.ts';
import { hash32 } from '../../data/rng.ts';
import { UserError } from '../../errors.ts';
import type { HostTensor } from '../../runtime/ort.ts';
import type { LoadedViT, Params } from '../../vit/params.ts';
import { copySlots } from '../dualprompt/init.ts';
import { slotSelectionAccuracy } from '../l2p/family.ts';
import type { GradientPhase, Method, MethodModel, MethodState, Phase, StatisticsPass } from '../method.ts';
import { alignHead } from './align.ts';
import type { ClassStore } from './alignment.ts';
import { ClassFeatures } from './class-features.ts';
import { ClassMoments } from './class-moments.ts';
import { buildHideEvalStep, buildHideTrainStep, initHideParams, POOL, TII, type HideOptions } from './model.ts';
import { promptMomentum } from './prompt-momentum.ts';
import { epochLr } from './schedule.ts';
import { storesOf, storesState, type Stage } from './state.ts';
import { prototypeMatrix, storeCentroids, storeMoments } from './store.ts';

function refuseUnsupported(c: L2PConfig): void {
  const refuse = (key: string, value: unknown, why: string) => {
    throw new UserError(`config key '${key}' = ${JSON.stringify(value)} is not supported with method 'hide_prompt': ${why}`);
  };
  if (c.optim !== 'adam') refuse('optim', c.optim, "both stages train with Adam (official opt 'adam')");
  if (c.learning_rate_schedule !== 'constant') refuse('learning_rate_schedule', c.learning_rate_schedule, "the prompt stage's schedule is the per-epoch 'sched'; stage 1's is constant");
  if (c.warmup_epochs > 0) refuse('warmup_epochs', c.warmup_epochs, 'the official scripts warm up neither stage');
  if (c.min_learning_rate > 0) refuse('min_learning_rate', c.min_learning_rate, "the cosine floor of the prompt stage is 'min_lr'");
  if (!c.reinit_optimizer) refuse('reinit_optimizer', false, 'each phase starts a fresh Adam, as the official recreates both optimisers every task');
  if (c.prompt_pool_param.pool_size < c.continual.num_tasks) refuse('prompt_pool_param.pool_size', c.prompt_pool_param.pool_size, `each of the ${c.continual.num_tasks} tasks needs its own slot`);
  if ((c.original_model_mlp_structure ?? []).length > 1) refuse('original_model_mlp_structure', c.original_model_mlp_structure, 'one hidden layer (official [2]) or none ([])');
}

function create(c: L2PConfig, vit: LoadedViT, numClasses: number): MethodModel {
  refuseUnsupported(c);
  const depth = vit.config.depth;
  const past = c.e_prompt_layer_idx!.find((l) => l >= depth);
  if (past !== undefined) throw new UserError(`config key 'e_prompt_layer_idx' = ${JSON.stringify(c.e_prompt_layer_idx)}: layer ${past} is past the backbone's ${depth} blocks`);
  const d = vit.config.hidden;
  const o: HideOptions = {
    vit: vit.config,
    numClasses,
    layers: [...c.e_prompt_layer_idx!].sort((a, b) => a - b),
    poolSize: c.prompt_pool_param.pool_size,
    length: c.prompt_pool_param.length,
    mlpRatio: c.original_model_mlp_structure![0] ?? 0,
    promptMomentum: c.prompt_momentum!,
    reg: c.reg!,
  };
  const kind = c.ca_storage_efficient_method!;
  const params = initHideParams(o, c.seed);
  // Official unscale_lr: each stage's lr × the per-GPU batch / 256 (the alignment of the prompted head is not scaled).
  const scale = c.per_device_batch_size / 256;
  const taskClasses: number[][] = [];
  const stores: Record<Stage, Map<number, ClassStore>> = { tii: new Map(), prompt: new Map() };

  // The classes of every task whose TII statistics are stored: in the loop, tasks 0..t at task t's
  // evaluation; for a run opened again (l2p eval, predict), every task it trained.
  const seenFeeds = (): Record<string, HostTensor> => {
    const seen = new Uint8Array(numClasses);
    const taskOf = new Int32Array(numClasses);
    taskClasses.forEach((cls, task) => cls.forEach((k) => ((seen[k] = 1), (taskOf[k] = task))));
    return { seen: { shape: [numClasses], data: seen }, task_of: { shape: [numClasses], data: taskOf } };
  };
  const slotFeed = (t: number, n: number): Record<string, HostTensor> => ({ prompt_ids: { shape: [n, 1], data: new Int32Array(n).fill(t) } });
  // The contrast term's constants: the prompt stage's stored centroids of the tasks before t, in storage order.
  const prototypes = () => prototypeMatrix(stores.prompt, [...stores.prompt.keys()], d);

  const statistics = (t: number, phase?: string): StatisticsPass => {
    const stage: Stage = phase === 'tii_stats' ? 'tii' : 'prompt';
    const acc = kind === 'multi-centroid' ? new ClassFeatures(d) : new ClassMoments(d);
    return {
      add: (features, labels) => acc.add(features, labels, `task ${t} ${stage} statistics`),
      async finish(p: Params, graphs) {
        const stored = acc instanceof ClassFeatures ? storeCentroids(acc, c.n_centroids!, hash32(c.seed, stage === 'tii' ? 1 : 2)) : storeMoments(acc, kind as 'covariance' | 'variance');
        if (stage === 'tii') taskClasses[t] = [...stored.keys()].sort((a, b) => a - b);
        for (const [cls, s] of stored) stores[stage].set(cls, s);
        if (t === 0 || c.not_train_ca) return;
        const tii = stage === 'tii';
        const spec = { prefix: tii ? TII : '', mlpRatio: tii ? o.mlpRatio : 0, dim: d, numClasses, perComponent: c.per_device_batch_size * (tii ? 1 : 5), lr: c.ca_lr! * (tii ? scale : 1), epochs: c.crct_epochs!, seed: c.seed };
        await alignHead(p, graphs, spec, taskClasses, t, stores[stage]);
      },
    };
  };

  const phases = (t: number): Phase[] => {
    const tii: GradientPhase = { kind: 'gradient', name: 'tii', trains: [`${TII}**`], epochs: c.tii_epochs!, lrAt: () => c.tii_lr! * scale };
    const prompt: GradientPhase = {
      kind: 'gradient',
      name: 'prompt',
      trains: ['e_prompt/*', 'head/*'],
      epochs: c.num_epochs,
      lrAt: (e) => epochLr(c, c.learning_rate * scale, e),
      ...(c.larger_prompt_lr ? { lrScale: [{ pattern: 'head/*', scale: 0.1 }] } : {}),
      finish: (p) => promptMomentum(p.get(POOL)!.data, p.get(POOL)!.shape, t, o.promptMomentum),
    };
    return [tii, { kind: 'statistics', name: 'tii_stats' }, prompt, { kind: 'statistics', name: 'prompt_stats' }];
  };

  return {
    vit: vit.config,
    numClasses,
    params,
    trains: [`${TII}**`, 'e_prompt/*', 'head/*'],
    phases,
    statistics,
    train: (s) => {
      if (s.phase !== 'tii' && s.phase !== 'prompt') throw new UserError(`method 'hide_prompt' trains in its phases 'tii' and 'prompt', which the training loop runs (src/train/phases.ts); a step outside them (phase ${JSON.stringify(s.phase)}) has nothing to train`);
      const k = s.phase === 'prompt' ? prototypes() : { k: 0, data: new Float32Array(0) };
      return {
        key: `train:${s.phase}:${s.batch}:${s.taskId}:${k.k}`,
        build: () => buildHideTrainStep(s.params, o, s.phase as 'tii' | 'prompt', s.taskId, k.k, { batch: s.batch, imageSize: s.imageSize, isTrained: s.isTrained, isFitted: s.isFitted, features: s.features }),
        feeds: (n) => (s.phase === 'prompt' ? { ...slotFeed(s.taskId, n), ...(k.k > 0 ? { prototypes: { shape: [k.k, d], data: k.data } } : {}) } : {}),
      };
    },
    eval: (s) => {
      const stats = s.features ? s.phase : undefined;
      return {
        key: `eval:${stats ?? 'tii'}:${s.batch}:${s.queryFed}:${s.features}`,
        build: () => buildHideEvalStep(s.params, o, stats, { batch: s.batch, imageSize: s.imageSize, isTrained: s.isTrained, isFitted: s.isFitted, features: s.features, queryFed: s.queryFed }),
        feeds: (n) => (stats === 'tii_stats' ? {} : stats === 'prompt_stats' ? slotFeed(s.taskId, n) : seenFeeds()),
      };
    },
    evalSelection: 'task_inference',
    usesQuery: true,
    startTask: (p, t) => {
      // Official shared_prompt_pool: slot t starts as slot t − 1.
      if (t > 0 && c.prompt_pool_param.shared_prompt_pool) copySlots(p.get(POOL)!.data, p.get(POOL)!.shape, 2, t - 1, t, 1);
    },
    // Acc@task: the share of a task's test images whose inferred slot is the task's own.
    selectionAccuracy: (usage) => slotSelectionAccuracy(1, o.poolSize, true, usage),
    kept: (usage) => {
      const rows = (st: Stage) => [...stores[st].values()].reduce((a, s) => a + (s.kind === 'multi-centroid' ? s.c.means.length : 1), 0);
      // Acc@task (utils.py:task_inference_accuracy): the test images given their own task's slot, over all of them.
      const own = usage.reduce((a, counts, i) => a + (counts[i] ?? 0), 0);
      const all = usage.reduce((a, counts) => a + counts.reduce((x, y) => x + y, 0), 0);
      const accTask = all > 0 ? (100 * own) / all : null;
      const values = { storage: kind, n_centroids: kind === 'multi-centroid' ? c.n_centroids : null, task_classes: taskClasses.map((x) => x.slice()), tii_rows: rows('tii'), prompt_rows: rows('prompt'), acc_task: accTask };
      const what = kind === 'multi-centroid' ? `${c.n_centroids} centroids (mean and variance)` : kind === 'covariance' ? 'a mean and a covariance' : 'a mean and a variance';
      const task = accTask === null ? '' : `; Acc@task ${accTask.toFixed(2)}% (the TII head's task right)`;
      return { values, text: `HiDe-Prompt keeps ${what} per class and stage: ${stores.tii.size} classes of TII features (${rows('tii')} rows), ${stores.prompt.size} of prompted features (${rows('prompt')} rows), float64${task}` };
    },
    saveState: (): MethodState => ({ task_classes: taskClasses.map((x) => x.slice()), ...storesState('tii', stores.tii, d), ...storesState('prompt', stores.prompt, d) }),
    loadState: (s) => {
      taskClasses.splice(0, taskClasses.length, ...((s?.task_classes as number[][] | undefined) ?? []).map((x) => x.slice()));
      stores.tii = storesOf('tii', s, kind, d);
      stores.prompt = storesOf('prompt', s, kind, d);
    },
  };
}

export const hidePrompt: Method = {
  name: 'hide_prompt',
  summary: 'HiDe-Prompt: TII head on the frozen query picks a per-task prefix prompt; heads aligned on sampled class statistics',
  create,
  trainTasks: (tasks) => [...tasks],
  sequential: true,
};
