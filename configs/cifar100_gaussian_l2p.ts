// L2P on Gaussian-scheduled (task-free) CIFAR-100: 200 episodes whose classes rise and fall on
// Gaussian curves, one test set over all 100 classes. Values from the official
// configs/cifar100_gaussian_l2p.py, which differs from cifar100_l2p.py only in the fields below.
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';

export const cifar100_gaussian_l2p: L2PConfig = {
  ...cifar100_l2p,
  gaussian_schedule: true,
  reinit_optimizer: false,
  eval_per_epochs: 100,
  prompt_histogram: false,
  continual: {
    ...cifar100_l2p.continual,
    num_tasks: 200,
    num_classes_per_task: 100, // every episode draws from all 100 classes
  },
};
