// The shared keys whose effect only a whole run shows (the loop reads them itself: the learning-rate
// schedule it builds, the optimiser reset, checkpoint cadence and retention, the training pipeline,
// evaluation masks and batch caps, the backbone's file, the arithmetic), with the values a run
// compares and the context set on both sides.
import type { ConfigKey } from '../../src/config/keys.ts';

type Patch = Partial<Record<ConfigKey, unknown>>;

/** The glyph backbone shipped in models/, for init_checkpoint (its variant is ViT-nano_4). */
export const SHIPPED = 'models/glyph-vit-nano4.npz';

export const RUN_KEYS: { [K in ConfigKey]?: { values: unknown[]; context?: Patch } } = {
  learning_rate: { values: [0.3, 0.03] },
  learning_rate_schedule: { values: ['cosine', 'constant'] },
  warmup_epochs: { values: [1, 0], context: { num_epochs: 2 } },
  min_learning_rate: { values: [0.02, 0], context: { learning_rate_schedule: 'cosine' } },
  reinit_optimizer: { values: [false, true] },
  checkpoint_every_steps: { values: [1, 1000], context: { save_last_ckpt_only: false } },
  keep_checkpoints: { values: [1, 5], context: { save_last_ckpt_only: false, checkpoint_every_steps: 1 } },
  train_augment: { values: [false, true] },
  num_eval_steps: { values: [1, 2] },
  'continual.eval_task_inc': { values: [true, false] },
  subsample_rate: { values: [50, -1] },
  init_checkpoint: { values: [SHIPPED, 'random'], context: { model_name: 'ViT-nano_4', init_checkpoint: 'random' } },
  compute_precision: { values: ['fp16', 'fp32'] },
};
