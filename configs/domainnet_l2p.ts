// L2P on DomainNet, which the official code has no config for; two readings (domain- and class-
// incremental). Both keep cifar100_l2p's frozen-backbone recipe; docs/configs.md gives the reason for
// each setting that differs from it.
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';

/** The six domains in the order S-Prompts trains them. */
export const DOMAINNET_DOMAINS = ['clipart', 'infograph', 'painting', 'quickdraw', 'real', 'sketch'];

/**
 * (ours) The shuffle buffer as large as DomainNet's whole training set (409,832 images, all domains): each
 * epoch is a uniform permutation. DomainNet's distributed split lists are grouped by class, and a buffer of
 * 10,000 over the largest domains' lists fills batches of 128 with about 58 classes where a permutation
 * gives 107 (a pooled task: 28); the buffer holds indices only.
 */
const WHOLE_SET_BUFFER = 500_000;

/** What both readings change in cifar100_l2p's recipe (docs/configs.md, "DomainNet, two ways"). */
const domainnet: Partial<L2PConfig> = {
  dataset: 'domainnet',
  data_dir: '', // (ours) TFDS's default data dir (domainnet/<domain>), or DomainNet as distributed
  shuffle_buffer_size: WHOLE_SET_BUFFER,
  // Test batches read in stored order are one domain and, in the distributed lists, mostly one class: a
  // batch-wise vote would select with what the batch shares. Each image selects its own prompts.
  test_time_selection: 'per_instance',
  // The accuracy matrix needs the end of each task only; each evaluation reads up to 176,743 test images.
  eval_per_epochs: cifar100_l2p.num_epochs,
};

/** Domain-incremental, as S-Prompts evaluates L2P: one domain per task, one 345-class head. */
export const domainnet_l2p: L2PConfig = {
  ...cifar100_l2p,
  ...domainnet,
  dataset_list: [...DOMAINNET_DOMAINS],
  continual: {
    ...cifar100_l2p.continual,
    num_tasks: 6,
    num_classes_per_task: 345,
    train_mask: false, // every task has all 345 classes: nothing to mask, as CORe50
    scenario: 'domain_incremental',
  },
};

/** Class-incremental, as CODA-Prompt splits it: 5 tasks of 69 classes, all domains pooled. */
export const domainnet_l2p_cil: L2PConfig = {
  ...cifar100_l2p,
  ...domainnet,
  continual: {
    ...cifar100_l2p.continual,
    num_tasks: 5,
    num_classes_per_task: 69,
    scenario: 'class_incremental',
  },
};
