// The config keys that belong to one method: DualPrompt's official keys (configs/*_dualprompt.py) and
// CODA-Prompt's prompt parameters. Each is optional in the schema; a method's keys are required when
// that method runs (under another method, keys.ts decides).
import { UserError } from '../errors.ts';
import { bool, enumOf, int, list, number, object, optional } from './schema.ts';

/** DualPrompt's official top-level keys (its e-prompt pool reuses prompt_pool_param). */
export const dualPromptKeys = {
  /** The g-prompt: task-invariant prompts at g_prompt_layer_idx. */
  use_g_prompt: optional(bool()),
  g_prompt_length: optional(int({ min: 1 })),
  g_prompt_layer_idx: optional(list(int({ min: 0 }))),
  /** true: the g-prompt is a prefix of the attention keys and values; false: prepended tokens. */
  use_prefix_tune_for_g_prompt: optional(bool()),
  /** The e-prompt: a pool of task prompts (prompt_pool_param) selected by key at e_prompt_layer_idx. */
  use_e_prompt: optional(bool()),
  e_prompt_layer_idx: optional(list(int({ min: 0 }))),
  use_prefix_tune_for_e_prompt: optional(bool()),
  /** One stored g-prefix serves as both keys and values (prefix-tuning only); official default false. */
  same_key_value_for_shared: optional(bool()),
};

/** CODA-Prompt's prompt parameters (official prompt_param [pool, length, ortho_mu]) and its layers. */
export const codaPromptKeys = {
  coda_prompt_param: optional(
    object({
      /** M: prompt components over all tasks; each task owns M / num_tasks of them. */
      pool_size: int({ min: 1 }),
      /** Lp: rows per component, half keys and half values of the attention prefix. */
      length: int({ min: 2 }),
      /** Weight of the orthogonality penalty; 0 turns it off. */
      ortho_mu: number({ min: 0 }),
      /** Prompted layers (official [0, 1, 2, 3, 4]). */
      layer_idx: list(int({ min: 0 })),
    }),
  ),
};

/** RanPAC's keys (RanPAC's args/*_publish.csv columns). */
export const ranpacKeys = {
  /** The ridge head on (projected) features; false is the official prototype head (method 'simplecil'). */
  use_RP: optional(bool()),
  /** Width of the random projection W_rand [D, M]; 0: the ridge head on the features themselves. */
  M: optional(int({ min: 0 })),
  /**
   * The first session's PETL module, the official `model_name` column ('ncm': none; ours names the
   * backbone 'model_name'): 'vpt' tunes VPT prompts on task 0 (vpt_type, prompt_token_num), then the
   * projection reads the adapted features; 'adapter' and 'ssf' are refused by name. Unset: 'ncm'.
   */
  petl: optional(enumOf(['ncm', 'vpt', 'adapter', 'ssf'])),
};

/** APER's first-session prompt tuning, as LAMDA-PILOT's exps/aper_vpt_*.json name it. */
export const aperKeys = {
  /** 'deep': prompt tokens of their own at every block, dropped after it; 'shallow': tokens at the first block only. */
  vpt_type: optional(enumOf(['deep', 'shallow'])),
  /** Prompt tokens per prompted block. */
  prompt_token_num: optional(int({ min: 1 })),
};

/**
 * HiDe-Prompt's keys, by the official argument names (configs/cifar100_hideprompt_5e.py and the
 * training_scripts); its prompts reuse prompt_pool_param (length, size) and e_prompt_layer_idx.
 */
export const hidePromptKeys = {
  /** m of the prompt momentum: the forward's and the end-of-task mix of P[t] toward the mean of earlier slots. */
  prompt_momentum: optional(number({ min: 0, max: 1 })),
  /** Weight of the prototype-contrast term (official reg). */
  reg: optional(number({ min: 0 })),
  /** The prompt at lr, the head at lr × 0.1 (official larger_prompt_lr); false: both at lr. */
  larger_prompt_lr: optional(bool()),
  /** What is stored per class for the classifier alignment. */
  ca_storage_efficient_method: optional(enumOf(['multi-centroid', 'covariance', 'variance'])),
  /** k-means clusters per class ('multi-centroid'). */
  n_centroids: optional(int({ min: 1 })),
  /** The alignment's SGD lr (the TII model's is scaled by per_device_batch_size / 256, as official). */
  ca_lr: optional(number({ min: 0 })),
  /** Epochs of the classifier alignment. */
  crct_epochs: optional(int({ min: 1 })),
  /** No classifier alignment, in either stage. */
  not_train_ca: optional(bool()),
  /** The TII head's MLP hidden widths as multiples of D (official [2]; [] for a linear head). */
  original_model_mlp_structure: optional(list(int({ min: 1 }))),
  /** The prompt stage's per-epoch schedule (timm): 'constant', 'step' (decay_epochs, decay_rate) or 'cosine' (down to min_lr). */
  sched: optional(enumOf(['constant', 'step', 'cosine'])),
  decay_epochs: optional(int({ min: 1 })),
  decay_rate: optional(number({ min: 0 })),
  /** The cosine schedule's floor (timm lr_min; not scaled by the batch). */
  min_lr: optional(number({ min: 0 })),
  /** (ours) Stage 1's epochs (the official --epochs of its --train_inference_task_only run). */
  tii_epochs: optional(int({ min: 1 })),
  /** (ours) Stage 1's lr for a batch of 256 (the official --lr of that run), at a constant schedule. */
  tii_lr: optional(number({ min: 0 })),
};

/** The keys a method needs set ('same_key_value_for_shared' has the official default false). */
const REQUIRED: Record<string, readonly string[]> = {
  dualprompt: Object.keys(dualPromptKeys).filter((k) => k !== 'same_key_value_for_shared'),
  coda_prompt: Object.keys(codaPromptKeys),
  ranpac: Object.keys(ranpacKeys).filter((k) => k !== 'petl'),
  aper: Object.keys(aperKeys),
  hide_prompt: [...Object.keys(hidePromptKeys), 'e_prompt_layer_idx'],
};

/** Asks for the running method's own keys (another method's are refused by keys.ts checkReaders). */
export function checkRequiredKeys(c: { method: string } & Record<string, unknown>): void {
  for (const k of REQUIRED[c.method] ?? []) {
    if (c[k] === undefined) throw new UserError(`config key '${k}' is required by method '${c.method}' (see the ${c.method} presets)`);
  }
}
