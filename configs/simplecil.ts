// SimpleCIL as LAMDA-PILOT ships it (exps/simplecil.json, exps/simplecil_inr.json; models/simplecil.py):
// no training (tuned_epoch 0), prototypes from the training data through the test transform
// (Resize(256, bicubic), CenterCrop(224): resize_size 256, input_size 224) in batches of 128, a cosine
// classifier evaluated after each task over the classes seen, and on CIFAR-100 the class order PyCIL
// draws (shuffle with seed 1993: class_order 'pycil'; our ImageNet-R reader has no such order, so its
// classes keep their natural order). Its backbone is timm's vit_base_patch16_224; ours is the one
// init_checkpoint names. The optimiser keys are L2P's, unused: no step runs.
import { onMethod } from '../src/config/keys.ts';
import type { L2PConfig } from '../src/config/l2p.ts';
import { cifar100_l2p } from './cifar100_l2p.ts';
import { split_mnist_l2p } from './split_mnist_l2p.ts';

function simplecil(base: L2PConfig, numTasks: number, classesPerTask: number, order: Partial<L2PConfig['continual']>): L2PConfig {
  return onMethod(
    {
      ...base,
      input_size: 224,
      resize_size: 256,
      per_device_batch_size: 128, // simplecil.py's batch_size for its loaders
      num_devices: 1,
      eval_pad_last_batch: true, // its test loader keeps the last partial batch
      continual: { ...base.continual, num_tasks: numTasks, num_classes_per_task: classesPerTask, ...order },
    },
    'simplecil',
  );
}

/** exps/simplecil.json: CIFAR-100 ("cifar224"), init_cls 10, increment 10. */
export const cifar100_simplecil: L2PConfig = simplecil(cifar100_l2p, 10, 10, { rand_seed: 1993, class_order: 'pycil' });

/** exps/simplecil_inr.json: ImageNet-R, init_cls 20, increment 20. */
export const imr_simplecil: L2PConfig = simplecil({ ...cifar100_l2p, dataset: 'imagenet_r' }, 10, 20, { rand_seed: -1 });

/** The demo's Split MNIST stream and shipped backbone under SimpleCIL (`l2p demo --method simplecil`). */
export const split_mnist_simplecil: L2PConfig = onMethod(split_mnist_l2p, 'simplecil');
