// CODA-Prompt (Smith et al., CVPR 2023) with its published defaults (CODA_PUBLISHED, from
// experiments/cifar-100.sh, experiments/imagenet-r.sh and configs/*_prompt.yaml of GT-RIPL/CODA-Prompt):
// 100 components of length 8 at layers 0–4, 10 tasks, Adam at 0.001 with a cosine schedule, batch 128,
// weight decay 0, no gradient clipping. Fields L2P reads and CODA-Prompt does not (the prompt pool's) are
// L2P's values, unused; "(ours)" marks fields the published code lacks.
import { CODA_PUBLISHED } from '../src/coda-prompt/options.ts';
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';

type Published = (typeof CODA_PUBLISHED)[keyof typeof CODA_PUBLISHED];

function coda(base: L2PConfig, p: Published): L2PConfig {
  return {
    ...base,
    method: 'coda_prompt',
    per_device_batch_size: p.batch,
    num_devices: 1, // (ours) one device: the published runs train on one GPU
    num_epochs: p.epochs,
    learning_rate: (p.lr * 256) / p.batch, // the rate for a batch of 256, so that p.lr is applied at p.batch
    optim: 'adam',
    weight_decay: 0,
    grad_clip_max_norm: null,
    grad_clip_scope: 'trained', // (ours) CODA-Prompt's graph gives no frozen gradients; nothing is clipped
    learning_rate_schedule: p.schedule,
    warmup_epochs: 0,
    reinit_optimizer: true,
    eval_per_epochs: p.epochs, // the published code evaluates after each task
    vit_classifier: 'token',
    prompt_pool: false,
    pull_constraint: false,
    continual: { ...base.continual, num_tasks: p.numTasks, train_mask: true },
    coda_prompt_param: { pool_size: p.poolSize, length: p.length, ortho_mu: p.orthoMu, layer_idx: [...p.layers] },
  };
}

export const cifar100_coda_prompt: L2PConfig = coda(cifar100_l2p, CODA_PUBLISHED.cifar100);

/** ImageNet-R: 200 classes in 10 tasks of 20 (as imr_dualprompt), CODA-Prompt's own settings. */
export const imr_coda_prompt: L2PConfig = coda(
  { ...cifar100_l2p, dataset: 'imagenet_r', continual: { ...cifar100_l2p.continual, num_classes_per_task: 20 } },
  CODA_PUBLISHED.imagenet_r,
);
