// RanPAC as its official code runs the 'ncm' rows with use_RP True (RanPAC's args/cifar224_publish.csv
// rows 3 and 4, args/imagenetr_publish.csv rows 3 and 4): no training (tuned_epoch 0), the ridge head
// fitted after each task on the training data through the test transform in batches of 128, M =
// 10,000 (row 4) or 0 (row 3: the ridge head on the features themselves), classes shuffled with seed
// 1993 (PyCIL's order on CIFAR-100; our ImageNet-R reader has none, so its classes keep their natural
// order). Test transform: CIFAR Resize(224) (isCifar), ImageNet-R Resize(256) and CenterCrop(224).
// Its backbones are timm's ViT-B/16 (in21k for CIFAR); ours is the one init_checkpoint names. The
// optimiser keys are L2P's, unused: no step runs.
import { onMethod } from '../src/config/keys.ts';
import type { L2PConfig } from '../src/config/l2p.ts';
import { tuning } from './aper.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';
import { core50_l2p } from './core50_l2p.ts';
import { domainnet_l2p } from './domainnet_l2p.ts';
import { split_mnist_l2p } from './split_mnist_l2p.ts';

function ranpac(base: L2PConfig, M: number, numTasks: number, classesPerTask: number, resize: number, order: Partial<L2PConfig['continual']>): L2PConfig {
  return {
    ...onMethod(
      {
        ...base,
        input_size: 224,
        resize_size: resize,
        per_device_batch_size: 128, // the csv's batch_size
        num_devices: 1,
        eval_pad_last_batch: true, // its test loader keeps the last partial batch
        seed: 1993,
        continual: { ...base.continual, num_tasks: numTasks, num_classes_per_task: classesPerTask, ...order },
      },
      'ranpac',
    ),
    use_RP: true,
    M,
  };
}

const cifar = (M: number) => ranpac(cifar100_l2p, M, 10, 10, 224, { rand_seed: 1993, class_order: 'pycil' });
const imr = (M: number) => ranpac({ ...cifar100_l2p, dataset: 'imagenet_r' }, M, 10, 20, 256, { rand_seed: -1 });

/** cifar224_publish.csv row 4: CIFAR-100, init_cls 10, increment 10, M 10000. */
export const cifar100_ranpac: L2PConfig = cifar(10000);
/** cifar224_publish.csv row 3: M 0. */
export const cifar100_ranpac_m0: L2PConfig = cifar(0);
/** imagenetr_publish.csv row 4: ImageNet-R, init_cls 20, increment 20, M 10000. */
export const imr_ranpac: L2PConfig = imr(10000);
/** imagenetr_publish.csv row 3: M 0. */
export const imr_ranpac_m0: L2PConfig = imr(0);

/**
 * Domain-incremental, as RanPAC's trainer.py runs core50 and domainnet (`is_dil`): one task per domain,
 * each with every class, one head over all of them (init_cls = increment = the class count), the test
 * transform Resize(256) + CenterCrop(224) for the statistics passes and evaluation. CORe50: sessions
 * s1, s2, s4, s5, s6, s8, s9, s11 in that order, tested on s3, s7, s10 (our core50 stream's, as L2P's).
 * DomainNet: RanPAC's domain order. Its DataManager shuffles the class order with seed 1993 in every
 * domain alike: a relabelling that every task shares, which changes no prediction, so the natural order
 * is kept. Metrics: the official logs the accuracy on the pooled test set of every domain after each
 * task; our accuracy matrix holds each domain's accuracy (its last row is every domain's, after the
 * last task).
 */
const dil = (base: L2PConfig, M: number, numTasks: number, numClasses: number): L2PConfig => {
  const c = ranpac({ ...base, eval_augment: false }, M, numTasks, numClasses, 256, {});
  // train_mask at its default (RanPAC takes no step, so it reads no mask)
  return { ...c, continual: { ...c.continual, train_mask: true, scenario: 'domain_incremental' } };
};
/** RanPAC's domain order (trainer.py's dil_tasks for domainnet). */
export const RANPAC_DOMAINNET_DOMAINS = ['real', 'quickdraw', 'painting', 'sketch', 'infograph', 'clipart'];
const domainnet = (M: number): L2PConfig => ({ ...dil(domainnet_l2p, M, 6, 345), dataset_list: [...RANPAC_DOMAINNET_DOMAINS] });

/** core50_publish.csv row 4: CORe50, 8 sessions of 50 classes, M 10000. */
export const core50_ranpac: L2PConfig = dil(core50_l2p, 10000, 8, 50);
/** core50_publish.csv row 3: M 0. */
export const core50_ranpac_m0: L2PConfig = dil(core50_l2p, 0, 8, 50);
/** domainnet_publish.csv row 4: DomainNet, 6 domains of 345 classes, M 10000. */
export const domainnet_ranpac: L2PConfig = domainnet(10000);
/** domainnet_publish.csv row 3: M 0. */
export const domainnet_ranpac_m0: L2PConfig = domainnet(0);

/**
 * The demo's Split MNIST stream and shipped backbone (D = 128) under RanPAC (`l2p demo --method
 * ranpac`). M = 1000: the official M = 10,000 is about 13 D for ViT-B's 768; ~8 D here keeps the
 * projection expanding while each task's G (8 MB) and its 17 λ solves stay a few seconds on a CPU.
 */
export const split_mnist_ranpac: L2PConfig = { ...onMethod(split_mnist_l2p, 'ranpac'), use_RP: true, M: 1000 };

/**
 * The first session as RanPAC's 'vpt' rows run it (args/cars_publish.csv and omnibenchmark_publish.csv
 * row 7: model_name vpt, deep VPT of 5 tokens (petl/vpt.py as inc_net.py builds it), batch_size 48,
 * tuned_epoch 20, body_lr 0.01, weight_decay 5e-4, min_lr 0, SGD momentum 0.9, cosine annealing,
 * use_RP, M 10000), on the CIFAR-100 and ImageNet-R streams of rows 3 and 4. Those two datasets'
 * own first-session rows are 'adapter' (cifar224) and 'ssf' (imagenetr), which we refuse: these
 * presets are the VPT rows' recipe on our benchmarks, not an official row. Cars and OmniBenchmark
 * have no reader here.
 */
const firstSession = (base: L2PConfig): L2PConfig => ({
  ...base,
  ...tuning({ tuned_epoch: 20, init_lr: 0.01, batch_size: 48, prompt_token_num: 5 }),
  eval_every_steps: -1,
  eval_per_epochs: 20, // once per task, after its head is fitted
  petl: 'vpt',
});

/** CIFAR-100 as cifar100_ranpac, with the 'vpt' rows' first session. */
export const cifar100_ranpac_vpt: L2PConfig = firstSession(cifar100_ranpac);
/** ImageNet-R as imr_ranpac, with the 'vpt' rows' first session. */
export const imr_ranpac_vpt: L2PConfig = firstSession(imr_ranpac);

/**
 * The demo's stream under RanPAC with the first session (`l2p demo --method ranpac --set petl=vpt`
 * runs split_mnist_ranpac's optimiser instead): APER's demo tuning, 2 epochs of deep VPT on task 0.
 */
export const split_mnist_ranpac_vpt: L2PConfig = {
  ...split_mnist_ranpac,
  ...tuning({ tuned_epoch: 2, init_lr: 0.01, batch_size: split_mnist_l2p.per_device_batch_size, prompt_token_num: 5 }),
  eval_per_epochs: 2,
  petl: 'vpt',
};
