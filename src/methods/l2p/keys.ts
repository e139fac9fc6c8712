// The config keys L2P reads (src/methods/l2p.ts), and the values of DualPrompt's keys that say what L2P
// is: the official L2P configs set them, since the official model is one class for both papers.
import type { ConfigKey, KeyTable } from '../../config/keys.ts';

/** What L2P's prompt pool means in DualPrompt's terms: no g-prompt, e-prompts at layer 0, prepended. */
export const L2P_AS_DUALPROMPT: KeyTable['holds'] = {
  use_g_prompt: [undefined, false],
  use_e_prompt: [undefined, true],
  e_prompt_layer_idx: [undefined, [0]],
  use_prefix_tune_for_e_prompt: [undefined, false],
};

/** The pool and selection keys of L2P's graph, beside the head's. */
export const L2P_POOL_KEYS = [
  'prompt_pool_param.pool_size',
  'prompt_pool_param.length',
  'prompt_pool_param.top_k',
  'prompt_pool_param.initializer',
  'prompt_pool_param.prompt_key',
  'prompt_pool_param.prompt_key_init',
  'prompt_pool_param.embedding_key',
  'prompt_pool_param.batchwise_prompt',
  'prompt_pool_param.use_prompt_mask',
  'prompt_layout',
  'test_time_selection',
  'pull_constraint',
  'pull_constraint_coeff',
  'query_precision',
  'prompt_histogram',
] as const satisfies readonly ConfigKey[];

/** Keys of the head and of the step that every method on L2P's graph reads. */
export const HEAD_KEYS = ['temperature', 'norm_pre_logits', 'grad_clip_scope', 'continual.train_mask'] as const satisfies readonly ConfigKey[];

export const L2P_KEYS: KeyTable = {
  reads: [
    ...L2P_POOL_KEYS,
    ...HEAD_KEYS,
    'vit_classifier',
    'prompt_pool_param.shared_prompt_pool',
    'prompt_pool_param.shared_prompt_key',
    'prompt_pool_param.diversify',
  ],
  // L2P always has its pool (official prompt_pool: True).
  holds: { prompt_pool: [true], ...L2P_AS_DUALPROMPT },
};
