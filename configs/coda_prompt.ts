// CODA-Prompt (Smith et al., CVPR 2023) as its official code runs at HEAD (CODA_OFFICIAL, from
// experiments/*.sh and configs/*_prompt.yaml of GT-RIPL/CODA-Prompt): 100 components of length 8 at
// layers 0–4, ortho weight 0, Adam at 0.001 on a batch of 128 with the official per-epoch cosine, no
// weight decay or clipping, evaluation after each task over the classes seen so far, the exact GELU of
// its timm backbone, and the natural class order (its single published run is seed 0, which does not
// shuffle). Fields L2P reads and CODA-Prompt does not (the prompt pool's) are L2P's values, unused;
// docs/fidelity.md lists what still differs.
import { CODA_OFFICIAL } from '../src/methods/coda-prompt/options.ts';
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';
import { domainnet_l2p_cil } from './domainnet_l2p.ts';

type Official = (typeof CODA_OFFICIAL)[keyof typeof CODA_OFFICIAL];

function coda(base: L2PConfig, p: Official): L2PConfig {
  return {
    ...base,
    method: 'coda_prompt',
    gelu: 'erf', // timm's ViT (models/vit.py): nn.GELU, the exact form
    per_device_batch_size: p.batch,
    num_devices: 1, // (ours) one device holds the whole batch of 128
    num_epochs: p.epochs,
    learning_rate: (p.lr * 256) / p.batch, // the rate for a batch of 256, so that p.lr is applied at p.batch
    optim: 'adam',
    weight_decay: 0,
    grad_clip_max_norm: null,
    grad_clip_scope: 'trained', // (ours) CODA-Prompt's graph gives no frozen gradients; nothing is clipped
    learning_rate_schedule: p.schedule,
    warmup_epochs: 0,
    min_learning_rate: 0,
    reinit_optimizer: true, // learners/default.py: the optimiser and its schedule start afresh at each task
    eval_per_epochs: p.epochs, // trainer.py evaluates after each task (validation: False)
    eval_pad_last_batch: true, // its test loader keeps the last partial batch (drop_last=False)
    vit_classifier: 'token',
    prompt_pool: false,
    pull_constraint: false,
    continual: { ...base.continual, num_tasks: p.numTasks, num_classes_per_task: p.classesPerTask, rand_seed: -1, train_mask: true },
    coda_prompt_param: { pool_size: p.poolSize, length: p.length, ortho_mu: p.orthoMu, layer_idx: [...p.layers] },
  };
}

/** CIFAR-100, 10 × 10. Test images are resized to 224 with no crop (dataloaders/utils.py), so resize_size is 224. */
export const cifar100_coda_prompt: L2PConfig = coda({ ...cifar100_l2p, resize_size: 224 }, CODA_OFFICIAL.cifar100);

const imagenetR: L2PConfig = { ...cifar100_l2p, dataset: 'imagenet_r' };

/** ImageNet-R, 10 × 20 (test: resize 256, central crop 224, as ours). */
export const imr_coda_prompt: L2PConfig = coda(imagenetR, CODA_OFFICIAL.imagenet_r);
/** ImageNet-R, 5 × 40 (experiments/imagenet-r_short.sh). */
export const imr_coda_prompt_5task: L2PConfig = coda(imagenetR, CODA_OFFICIAL.imagenet_r_5task);
/** ImageNet-R, 20 × 10 (experiments/imagenet-r_long.sh). */
export const imr_coda_prompt_20task: L2PConfig = coda(imagenetR, CODA_OFFICIAL.imagenet_r_20task);

/** DomainNet class-incremental as CODA-Prompt splits it: all domains pooled, 345 classes in 5 tasks of 69. */
export const domainnet_coda_prompt: L2PConfig = coda(
  { ...domainnet_l2p_cil, test_time_selection: cifar100_l2p.test_time_selection }, // (L2P's key: CODA-Prompt selects nothing)
  CODA_OFFICIAL.domainnet,
);
