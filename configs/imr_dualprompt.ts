// DualPrompt on split ImageNet-R: 200 classes in 10 tasks of 20, frozen ViT-B/16. Values from the official
// configs/imr_dualprompt.py: as cifar100_dualprompt but for the dataset, rate 0.005, 50 epochs evaluated
// every 10, e-prompts of length 20, and per-image selection (batchwise_prompt false).
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_dualprompt } from './cifar100_dualprompt.ts';

export const imr_dualprompt: L2PConfig = {
  ...cifar100_dualprompt,
  dataset: 'imagenet_r',
  learning_rate: 0.005,
  num_epochs: 50,
  eval_per_epochs: 10,
  continual: { ...cifar100_dualprompt.continual, num_tasks: 10, num_classes_per_task: 20 },
  prompt_pool_param: { ...cifar100_dualprompt.prompt_pool_param, length: 20, batchwise_prompt: false },
  test_time_selection: 'per_instance', // (ours) batchwise_prompt is false: each image its own e-prompt
};
