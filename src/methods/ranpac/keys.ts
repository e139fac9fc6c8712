// The config keys RanPAC reads, with the official names (RanPAC's args/*_publish.csv): `use_RP`, the
// ridge head on random-projected features (false is the official NCM prototype head, SimpleCIL's:
// refused here), `M`, the projection's width (0: the ridge head on the features themselves), and
// `petl`, the official model_name column: 'vpt' adds the first session, VPT prompts (`vpt_type`,
// `prompt_token_num`) tuned on task 0 by the shared optimiser keys. W_rand is drawn from the shared `seed`.
import type { KeyTable } from '../../config/keys.ts';

export const RANPAC_KEYS: KeyTable = {
  reads: ['M', 'use_RP', 'petl', 'vpt_type', 'prompt_token_num'],
  // The first session's graph gives no frozen gradients and the official tuning clips nothing.
  holds: { grad_clip_scope: ['trained'] },
};
