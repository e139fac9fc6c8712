// The config keys CODA-Prompt reads (src/methods/coda-prompt.ts): its prompt parameters; the rest of
// its graph is fixed.
import type { KeyTable } from '../../config/keys.ts';

export const CODA_PROMPT_KEYS: KeyTable = {
  reads: ['coda_prompt_param.pool_size', 'coda_prompt_param.length', 'coda_prompt_param.ortho_mu', 'coda_prompt_param.layer_idx'],
  // Its graph gives no frozen gradients, so the clipping norm is over the trained ones.
  holds: { grad_clip_scope: ['trained'] },
};
