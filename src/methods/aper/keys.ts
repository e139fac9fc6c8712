// The config keys APER reads: its VPT's type and length (LAMDA-PILOT exps/aper_vpt_*.json). The
// first session's optimiser (tuned_epoch, init_lr, batch_size, weight_decay, min_lr) is the shared
// one: only task 0 trains, so num_epochs is tuned_epoch and learning_rate init_lr (scaled to batch 256).
import type { KeyTable } from '../../config/keys.ts';

export const APER_KEYS: KeyTable = {
  reads: ['vpt_type', 'prompt_token_num'],
  // Its graph gives no frozen gradients and the official tuning clips nothing: the norm is over the trained ones.
  holds: { grad_clip_scope: ['trained'] },
};
