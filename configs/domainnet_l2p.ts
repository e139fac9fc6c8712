// L2P on DomainNet, which the official code has no config for; two readings, see docs/configs.md.
// Both keep cifar100_l2p's frozen-backbone L2P recipe and change only the task split.
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';

/** The six domains in the order S-Prompts trains them. */
export const DOMAINNET_DOMAINS = ['clipart', 'infograph', 'painting', 'quickdraw', 'real', 'sketch'];

/** Domain-incremental, as S-Prompts evaluates L2P: one domain per task, one 345-class head. */
export const domainnet_l2p: L2PConfig = {
  ...cifar100_l2p,
  dataset: 'domainnet',
  data_dir: '', // (ours) TFDS's default data dir (domainnet/<domain>), or DomainNet as distributed
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
  dataset: 'domainnet',
  data_dir: '',
  continual: {
    ...cifar100_l2p.continual,
    num_tasks: 5,
    num_classes_per_task: 69,
    scenario: 'class_incremental',
  },
};
