// The config keys DualPrompt reads (src/methods/dualprompt.ts): its official keys, its e-prompt pool
// (prompt_pool_param), the head's.
import type { KeyTable } from '../../config/keys.ts';
import { HEAD_KEYS } from '../l2p/keys.ts';

export const DUALPROMPT_KEYS: KeyTable = {
  reads: [
    ...HEAD_KEYS,
    'use_g_prompt',
    'g_prompt_length',
    'g_prompt_layer_idx',
    'use_prefix_tune_for_g_prompt',
    'use_e_prompt',
    'e_prompt_layer_idx',
    'use_prefix_tune_for_e_prompt',
    'same_key_value_for_shared',
    'prompt_pool_param.pool_size',
    'prompt_pool_param.length',
    'prompt_pool_param.top_k',
    'prompt_pool_param.initializer',
    'prompt_pool_param.prompt_key_init',
    'prompt_pool_param.batchwise_prompt',
    'prompt_pool_param.use_prompt_mask',
    'prompt_pool_param.shared_prompt_pool',
    'prompt_pool_param.shared_prompt_key',
    'test_time_selection',
    'pull_constraint',
    'pull_constraint_coeff',
    'vit_classifier',
    'prompt_histogram',
  ],
  // The official DualPrompt builds its e-prompts from the L2P pool (prompt_pool: True), always with
  // learned keys, queried by the frozen class token in fp32.
  holds: {
    prompt_pool: [true],
    'prompt_pool_param.prompt_key': [true],
    'prompt_pool_param.embedding_key': ['cls'],
  },
};
