// APER with VPT as LAMDA-PILOT ships it (exps/aper_vpt_deep.json, exps/aper_vpt_deep_inr.json;
// models/aper_vpt.py): task 0 tunes deep VPT prompts and a cosine head for tuned_epoch epochs by SGD
// (momentum 0.9, weight_decay 5e-4, cosine annealing to min_lr 0) on augmented images in batches of
// batch_size; every task's prototypes come from its training data through the test transform
// (Resize(256), CenterCrop(224)). The official names map onto ours: tuned_epoch → num_epochs (only
// task 0 trains), init_lr → learning_rate × batch / 256 (our rate is per 256 images), vpt_type and
// prompt_token_num as they are. CIFAR-100 in PyCIL's class order (seed 1993); ImageNet-R in its
// natural order (our reader has no PyCIL order for it). The backbone is the one init_checkpoint names.
import { onMethod } from '../src/config/keys.ts';
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';
import { split_mnist_l2p } from './split_mnist_l2p.ts';

export interface Official {
  tuned_epoch: number;
  init_lr: number;
  batch_size: number;
  prompt_token_num: number;
}

/** The first session's optimiser as aper_vpt.py (and RanPAC.py's 'vpt' rows) build it, in our keys. */
export function tuning(o: Official): Partial<L2PConfig> {
  return {
    num_epochs: o.tuned_epoch,
    learning_rate: (o.init_lr * 256) / o.batch_size,
    per_device_batch_size: o.batch_size,
    num_devices: 1,
    optim: 'sgd',
    sgd_momentum: 0.9,
    weight_decay: 0.0005,
    learning_rate_schedule: 'cosine',
    warmup_epochs: 0,
    min_learning_rate: 0,
    grad_clip_max_norm: null, // no clipping in the official tuning
    grad_clip_scope: 'trained',
    vpt_type: 'deep',
    prompt_token_num: o.prompt_token_num,
  };
}

function aper(base: L2PConfig, numTasks: number, classesPerTask: number, order: Partial<L2PConfig['continual']>, o: Official): L2PConfig {
  return {
    ...onMethod(base, 'aper'),
    input_size: 224,
    resize_size: 256,
    eval_pad_last_batch: true, // its test loader keeps the last partial batch
    eval_every_steps: -1,
    eval_per_epochs: o.tuned_epoch, // once per task, after its prototypes are fitted
    ...tuning(o),
    continual: { ...base.continual, num_tasks: numTasks, num_classes_per_task: classesPerTask, ...order },
  };
}

/** exps/aper_vpt_deep.json: CIFAR-100 ("cifar224"), init_cls 10, increment 10. */
export const cifar100_aper: L2PConfig = aper(cifar100_l2p, 10, 10, { rand_seed: 1993, class_order: 'pycil' }, { tuned_epoch: 20, init_lr: 0.01, batch_size: 48, prompt_token_num: 5 });

/** exps/aper_vpt_deep_inr.json: ImageNet-R, init_cls 20, increment 20. */
export const imr_aper: L2PConfig = aper({ ...cifar100_l2p, dataset: 'imagenet_r' }, 10, 20, { rand_seed: -1 }, { tuned_epoch: 20, init_lr: 0.05, batch_size: 24, prompt_token_num: 30 });

/** The demo's Split MNIST stream and shipped backbone under APER (`l2p demo --method aper`): CIFAR-100's tuning, 2 epochs. */
export const split_mnist_aper: L2PConfig = {
  ...onMethod(split_mnist_l2p, 'aper'),
  ...tuning({ tuned_epoch: 2, init_lr: 0.01, batch_size: split_mnist_l2p.per_device_batch_size, prompt_token_num: 5 }),
  eval_per_epochs: 2,
};
