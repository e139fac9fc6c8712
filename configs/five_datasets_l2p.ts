// L2P on 5-datasets: CIFAR-10, MNIST, SVHN, notMNIST, Fashion-MNIST as five 10-class tasks over a
// 50-class head, with a pool of 20 prompts and a fixed prompt slot per task while training.
// Values from the official configs/five_datasets_l2p.py; fields equal to cifar100_l2p are spread.
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';

export const five_datasets_l2p: L2PConfig = {
  ...cifar100_l2p,
  dataset: '5datasets',
  data_dir: '', // (ours) TFDS's default data dir, holding every member dataset
  // The official code's default list (the config reads it with config.get), in task order.
  dataset_list: ['cifar10', 'mnist', 'svhn_cropped', 'not_mnist', 'fashion_mnist'],
  continual: {
    ...cifar100_l2p.continual,
    num_tasks: 5,
    num_classes_per_task: 10,
  },
  prompt_pool_param: {
    ...cifar100_l2p.prompt_pool_param,
    pool_size: 20,
    use_prompt_mask: true,
    shared_prompt_pool: true,
  },
  pull_constraint_coeff: 0.5,
};
