// L2P on CORe50, domain-incremental: 8 training sessions of the same 50 objects, one shared test
// set. Unlike the other presets the whole ViT trains (freeze_part = []) with SGD.
// Values from the official configs/core50_l2p.py; fields equal to cifar100_l2p are spread.
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';

export const core50_l2p: L2PConfig = {
  ...cifar100_l2p,
  dataset: 'core50',
  data_dir: '', // (ours) TFDS's default data dir; or CORe50's own folders
  split_core50: false,
  optim: 'sgd',
  freeze_part: [],
  eval_per_epochs: 5,
  // (ours) The official CORe50 run reads core50_test through its training pipeline; false gives central crops.
  eval_augment: true,
  prompt_histogram: false,
  continual: {
    ...cifar100_l2p.continual,
    num_tasks: 8,
    num_classes_per_task: 50,
    train_mask: false,
    scenario: 'domain_incremental', // (ours) the official code hard-wires this for core50
  },
  prompt_pool_param: {
    ...cifar100_l2p.prompt_pool_param,
    length: 5,
  },
};
