// HiDe-Prompt as the official scripts run it (thu-ml/HiDe-Prompt training_scripts/train_cifar100_vit.sh,
// train_imr_vit.sh; configs/cifar100_hideprompt_5e.py): 8 GPUs of 24 images, Adam, lr 0.03 (prompt
// stage) and 0.0005 (stage 1, 20 epochs, constant), each × 24 / 256 (unscale_lr by the per-GPU
// batch), prefix e-prompts at layers 0–4 with one slot per task, prompt momentum 0.01, 10 centroids
// per class, classifier alignment for 30 epochs at ca_lr 0.005. Both stages run in one run here, task
// after task (docs/hide-prompt.md). Our learning_rate is the official lr: the method scales it by the
// per-device batch itself (src/methods/hide-prompt/index.ts).
import { onMethod } from '../src/config/keys.ts';
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_dualprompt } from './cifar100_dualprompt.ts';
import { split_mnist_l2p } from './split_mnist_l2p.ts';

type HideKeys = Pick<L2PConfig, 'prompt_momentum' | 'reg' | 'larger_prompt_lr' | 'ca_storage_efficient_method' | 'n_centroids' | 'ca_lr' | 'crct_epochs' | 'not_train_ca' | 'original_model_mlp_structure' | 'sched' | 'decay_epochs' | 'decay_rate' | 'min_lr' | 'tii_epochs' | 'tii_lr'>;

/** The official script values both benchmarks share (the CIFAR-100 schedule). */
const OFFICIAL: Required<HideKeys> = {
  prompt_momentum: 0.01,
  reg: 0.1,
  larger_prompt_lr: true,
  ca_storage_efficient_method: 'multi-centroid',
  n_centroids: 10,
  ca_lr: 0.005,
  crct_epochs: 30,
  not_train_ca: false,
  original_model_mlp_structure: [2],
  sched: 'step',
  decay_epochs: 30,
  decay_rate: 0.1,
  min_lr: 1e-5,
  tii_epochs: 20,
  tii_lr: 0.0005,
};

function hide(base: L2PConfig, over: Partial<L2PConfig>): L2PConfig {
  // Keys HiDe-Prompt does not read go back to their defaults (DualPrompt's g-prompt, keys, pull).
  return onMethod({
    ...base,
    grad_clip_scope: 'trained',
    optim: 'adam',
    weight_decay: 0,
    grad_clip_max_norm: 1.0,
    learning_rate_schedule: 'constant',
    warmup_epochs: 0,
    reinit_optimizer: true,
    e_prompt_layer_idx: [0, 1, 2, 3, 4],
    ...OFFICIAL,
    ...over,
  }, 'hide_prompt');
}

/** train_cifar100_vit.sh: 10 tasks of 10 classes, 50 epochs, step decay at 30, prefix length 5, reg 0.1. */
export const cifar100_hideprompt: L2PConfig = hide(cifar100_dualprompt, {
  num_epochs: 50,
  learning_rate: 0.03,
  prompt_pool_param: { ...cifar100_dualprompt.prompt_pool_param, pool_size: 10, length: 5, top_k: 1, prompt_key: false, shared_prompt_pool: true },
});

/** train_imr_vit.sh: ImageNet-R, 10 tasks of 20 classes, 150 epochs, cosine to 1e-5, prefix length 20, reg 0.5. */
export const imr_hideprompt: L2PConfig = hide(
  { ...cifar100_dualprompt, dataset: 'imagenet_r', continual: { ...cifar100_dualprompt.continual, num_tasks: 10, num_classes_per_task: 20 } },
  {
    num_epochs: 150,
    learning_rate: 0.03,
    reg: 0.5,
    sched: 'cosine',
    prompt_pool_param: { ...cifar100_dualprompt.prompt_pool_param, pool_size: 10, length: 20, top_k: 1, prompt_key: false, shared_prompt_pool: true },
  },
);

/**
 * The demo's Split MNIST stream and shipped glyph backbone (`l2p demo --method hide_prompt`): the
 * official settings with short stages (2 prompt epochs, 1 TII epoch, 5 alignment epochs), prefixes at
 * blocks 0–2, and 4 centroids per class.
 */
export const split_mnist_hide_prompt: L2PConfig = hide(split_mnist_l2p, {
  num_epochs: 2,
  learning_rate: 0.03,
  sched: 'constant',
  e_prompt_layer_idx: [0, 1, 2],
  n_centroids: 4,
  crct_epochs: 5,
  tii_epochs: 1,
  prompt_pool_param: { ...split_mnist_l2p.prompt_pool_param, pool_size: 5, length: 5, top_k: 1, prompt_key: false, shared_prompt_pool: true },
});
