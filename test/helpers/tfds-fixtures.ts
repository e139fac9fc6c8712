// Small TFDS data directories for every dataset the presets read, written in the official format
// (dataset_info.json, features.json, TFRecord shards of PNG-encoded tf.train.Examples).
import { IMAGENET_R_CLASSES } from '../../src/data/imagenet-r.ts';
import { writeTfds } from '../fixtures/data/write.ts';

const cycle = (n: number, k: number, from = 0) => Array.from({ length: n }, (_, i) => from + (i % k));

/** Writes the datasets of `presets` under `dataDir` (a TFDS data dir). */
export async function writePresetData(dataDir: string): Promise<void> {
  const img: [number, number, number] = [32, 32, 3];
  // CIFAR-100: four training and two test images per class (the Gaussian schedule draws from all 100).
  await writeTfds(dataDir, { name: 'cifar100', version: '3.0.2', numClasses: 100, shape: img, splits: { train: { shards: [cycle(200, 100), cycle(200, 100)] }, test: { shards: [cycle(200, 100)] } } });
  // 5-datasets' first two members (the smoke run keeps two tasks).
  await writeTfds(dataDir, { name: 'cifar10', version: '3.0.2', numClasses: 10, shape: img, splits: { train: { shards: [cycle(40, 10)] }, test: { shards: [cycle(20, 10)] } } });
  await writeTfds(dataDir, { name: 'mnist', version: '3.0.1', numClasses: 10, shape: [28, 28, 1], splits: { train: { shards: [cycle(40, 10)] }, test: { shards: [cycle(20, 10)] } } });
  // CORe50: the builder directories of the official code, one per training session, and the test set.
  // Sessions of 60: the official step count reads train[:-1%], which is empty below 51 examples.
  for (const s of ['s1', 's2', 's4', 's5', 's6', 's8', 's9', 's11', 'test']) {
    await writeTfds(dataDir, { name: `core50_${s}`, version: '1.0.0', numClasses: 50, shape: img, splits: { train: { shards: [cycle(s === 'test' ? 12 : 60, 50)] } } });
  }
  // ImageNet-R: one split 'test' labelled with ImageNet's 1000 classes; the smoke split uses its first 4 classes.
  const imagenetR = cycle(40, 4).map((k) => IMAGENET_R_CLASSES[k]);
  await writeTfds(dataDir, { name: 'imagenet_r', version: '0.2.0', numClasses: 1000, shape: img, encoding: 'jpeg', splits: { test: { shards: [imagenetR] } } });
  // DomainNet: six domains of 345 classes; the class-incremental smoke split uses classes 0..3.
  for (const d of ['clipart', 'infograph', 'painting', 'quickdraw', 'real', 'sketch']) {
    await writeTfds(dataDir, { name: 'domainnet', path: `domainnet/${d}`, version: '1.0.0', numClasses: 345, shape: img, splits: { train: { shards: [cycle(16, 4)] }, test: { shards: [cycle(8, 4)] } } });
  }
}
