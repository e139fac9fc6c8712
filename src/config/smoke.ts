// The smoke shrink of a preset, like big_vision's `runlocal`: the same method, dataset and
// scenario with a tiny backbone, tiny images, two tasks and a few steps, so a run takes seconds.
import { onMethod } from './keys.ts';
import type { L2PConfig } from './l2p.ts';

/** The test backbone of the ViT variants table: a few small blocks, random weights. */
export const SMOKE_MODEL = 'ViT-mu_8';

/** The shrink of a preset; keys its method does not read stay at their defaults. */
export function smoke(c: L2PConfig): L2PConfig {
  return onMethod(shrink(c), c.method);
}

function shrink(c: L2PConfig): L2PConfig {
  const cl = c.continual;
  // A class-incremental split keeps 2 classes per task; a shared label space keeps its size.
  const splitsClasses = cl.scenario === 'class_incremental' && !c.gaussian_schedule;
  // The Gaussian schedule evaluates every 10th episode (official eval_interval), and its schedule
  // needs num_tasks × num_train_steps_per_task ≥ 100 classes: 10 episodes of 10 steps.
  const numTasks = c.gaussian_schedule ? 10 : Math.min(2, cl.num_tasks);
  const topK = Math.min(2, c.prompt_pool_param.top_k);
  return {
    ...c,
    model_name: SMOKE_MODEL,
    init_checkpoint: null,
    input_size: 32,
    resize_size: 36,
    ...(c.dataset_list ? { dataset_list: c.dataset_list.slice(0, numTasks) } : {}),
    shuffle_buffer_size: 64,
    per_device_batch_size: 4,
    num_devices: 1,
    num_epochs: 1,
    warmup_epochs: 0,
    eval_every_steps: -1,
    eval_per_epochs: 1,
    num_eval_steps: 2,
    checkpoint_every_steps: 1000,
    continual: {
      ...cl,
      num_tasks: numTasks,
      num_classes_per_task: splitsClasses ? Math.min(2, cl.num_classes_per_task) : cl.num_classes_per_task,
      num_train_steps_per_task: c.gaussian_schedule ? 10 : 3,
    },
    // A prompt slot per task still fits when use_prompt_mask is on: numTasks × topK <= pool_size.
    prompt_pool_param: { ...c.prompt_pool_param, pool_size: numTasks * topK, length: 2, top_k: topK },
    // Method keys, where set, shrink to the smoke backbone's two blocks.
    ...(c.g_prompt_layer_idx ? { g_prompt_layer_idx: [0], g_prompt_length: 2 } : {}),
    ...(c.e_prompt_layer_idx ? { e_prompt_layer_idx: [1] } : {}),
    // RanPAC's projection shrinks with the backbone (M = 0 stays 0).
    ...(c.M ? { M: 16 } : {}),
    ...(c.prompt_token_num ? { prompt_token_num: 2 } : {}),
    // HiDe-Prompt: one epoch per stage, two centroids per class, two alignment epochs.
    ...(c.tii_epochs ? { tii_epochs: 1, n_centroids: 2, crct_epochs: 2, e_prompt_layer_idx: [0, 1] } : {}),
    ...(c.coda_prompt_param ? { coda_prompt_param: { ...c.coda_prompt_param, pool_size: 2 * numTasks, length: 2, layer_idx: [0, 1] } } : {}),
  };
}
