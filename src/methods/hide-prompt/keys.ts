// The config keys HiDe-Prompt reads (src/methods/hide-prompt/index.ts): its official arguments
// (src/config/method-keys.ts hidePromptKeys), its prompts' length and pool size (prompt_pool_param)
// and layers (e_prompt_layer_idx), and the shared-pool copy.
import type { KeyTable } from '../../config/keys.ts';

export const HIDE_PROMPT_KEYS: KeyTable = {
  reads: [
    'prompt_momentum',
    'reg',
    'larger_prompt_lr',
    'ca_storage_efficient_method',
    'n_centroids',
    'ca_lr',
    'crct_epochs',
    'not_train_ca',
    'original_model_mlp_structure',
    'sched',
    'decay_epochs',
    'decay_rate',
    'min_lr',
    'tii_epochs',
    'tii_lr',
    'e_prompt_layer_idx',
    'prompt_pool_param.pool_size',
    'prompt_pool_param.length',
    'prompt_pool_param.initializer',
    'prompt_pool_param.shared_prompt_pool',
  ],
  // One prefix slot per task, chosen by the TII head (no keys, top_k 1); Adam, clipped over the
  // phase's own gradients (the official clip_grad_norm_ over parameters that have gradients); the
  // schedule is `sched`, per epoch.
  holds: {
    'prompt_pool_param.top_k': [1],
    'prompt_pool_param.prompt_key': [false],
    grad_clip_scope: ['trained'],
  },
};
