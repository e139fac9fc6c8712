// MNIST and Fashion-MNIST in their IDX files, gzipped or not:
//   train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]
// Debian's dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, where } from '../../errors.ts';
import { openIdx, readIdxDims } from '../../io/idx.ts';
import { makeDataset } from '../dataset.ts';
import type { Dataset, Source } from '../types.ts';

export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

const PREFIX = { train: 'train', test: 't10k' } as const;

function find(dir: string, stem: string): string | null {
  for (const name of [stem, `${stem}.gz`]) if (existsSync(join(dir, name))) return join(dir, name);
  return null;
}

export function hasIdx(dataDir: string): boolean {
  return find(dataDir, 't10k-labels-idx1-ubyte') !== null;
}

async function splitSource(images: string, labels: string, split: string): Promise<Source> {
  const [img, lab] = await Promise.all([openIdx(images), openIdx(labels)]);
  if (img.dims.length !== 3) throw new UserError(`${where(images)}: IDX images must have 3 dimensions, found ${img.dims.length}`);
  if (lab.dims.length !== 1) throw new UserError(`${where(labels)}: IDX labels must have 1 dimension, found ${lab.dims.length}`);
  if (img.dims[0] !== lab.dims[0]) {
    throw new UserError(`${where(labels)}: holds ${lab.dims[0]} labels for the ${img.dims[0]} images of ${where(images)}`);
  }
  const all = (await lab.all()).slice();
  const bad = all.findIndex((l) => l > 9);
  if (bad >= 0) throw new UserError(`${where(labels)}: label ${bad} is ${all[bad]}, beyond the 10 classes`);
  const [, h, w] = img.dims;
  return {
    description: `${images} (${split})`,
    length: img.dims[0],
    label: (i) => all[i],
    get: async (i) => ({
      image: { pixels: { data: await img.item(i), height: h, width: w, channels: 1 } },
      label: all[i],
      origin: `${where(images)} image ${i}`,
    }),
  };
}

/** Opens MNIST-family IDX files in `dataDir`; split sizes come from the label files' headers. */
export async function openIdxDataset(dataDir: string, name: string): Promise<Dataset> {
  const files: string[] = [];
  let shape: [number, number, number] | null = null;
  const splits: Parameters<typeof makeDataset>[0]['splits'] = {};
  for (const [split, prefix] of Object.entries(PREFIX)) {
    const images = find(dataDir, `${prefix}-images-idx3-ubyte`);
    const labels = find(dataDir, `${prefix}-labels-idx1-ubyte`);
    if (!images || !labels) {
      throw new UserError(`${where(dataDir)}: no ${prefix}-${images ? 'labels-idx1' : 'images-idx3'}-ubyte[.gz] for ${name} here (IDX layout)`);
    }
    files.push(images, labels);
    const count = (await readIdxDims(labels))[0];
    const dims = await readIdxDims(images);
    if (dims.length === 3) shape = [dims[1], dims[2], 1];
    splits[split] = { numExamples: count, open: () => splitSource(images, labels, split) };
  }
  return makeDataset({ name, numClasses: 10, imageShape: shape, files, where: where(dataDir), splits });
}
