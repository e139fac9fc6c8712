// The config keys the baselines read (src/methods/baselines.ts): each is L2P's graph with less of it.
import type { KeyTable } from '../../config/keys.ts';
import { HEAD_KEYS, L2P_AS_DUALPROMPT, L2P_POOL_KEYS } from './keys.ts';

/** One prompt, always used: no pool to choose from, no keys; the query serves the pull constraint only. */
export const SHARED_PROMPT_KEYS: KeyTable = {
  reads: [
    ...HEAD_KEYS,
    'prompt_pool',
    'prompt_pool_param.length',
    'prompt_pool_param.initializer',
    'prompt_layout',
    'vit_classifier',
    'pull_constraint',
    'pull_constraint_coeff',
    'prompt_pool_param.embedding_key',
    'query_precision',
    'prompt_histogram',
  ],
  holds: L2P_AS_DUALPROMPT,
};

/** The head alone on the frozen class token. */
export const HEAD_ONLY_KEYS: KeyTable = { reads: [...HEAD_KEYS] };

/** L2P on one task of all the data: no task slots to share, no per-task selection counts. */
export const JOINT_KEYS: KeyTable = {
  reads: [...L2P_POOL_KEYS, ...HEAD_KEYS, 'prompt_pool', 'vit_classifier'],
  holds: L2P_AS_DUALPROMPT,
};
