// CIFAR-10/100 "binary version", as distributed:
//   cifar-10-batches-bin/data_batch_{1..5}.bin, test_batch.bin   records of <label> <3072 pixels>
//   cifar-100-binary/train.bin, test.bin                          records of <coarse> <fine> <3072 pixels>
// Pixels are planar (1024 red, 1024 green, 1024 blue, rows top to bottom). The fine label is the
// class, as in TFDS's cifar100 `label`.
import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fsReason, UserError, where } from '../../errors.ts';
import { makeDataset } from '../dataset.ts';
import { concat } from '../source.ts';
import type { Dataset, Source } from '../types.ts';

const PIXELS = 32 * 32 * 3;

interface Layout {
  sub: string;
  labelBytes: number;
  numClasses: number;
  splits: Record<string, string[]>;
}

const LAYOUTS: Record<'cifar10' | 'cifar100', Layout> = {
  cifar10: {
    sub: 'cifar-10-batches-bin',
    labelBytes: 1,
    numClasses: 10,
    splits: { train: [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`), test: ['test_batch.bin'] },
  },
  cifar100: { sub: 'cifar-100-binary', labelBytes: 2, numClasses: 100, splits: { train: ['train.bin'], test: ['test.bin'] } },
};

/** The directory holding the .bin files: `dataDir` itself or its cifar-*-bin(ary) child. */
function locate(dataDir: string, layout: Layout): string | null {
  for (const d of [dataDir, join(dataDir, layout.sub)]) if (existsSync(join(d, layout.splits.test[0]))) return d;
  return null;
}

export function hasCifarBinary(dataDir: string, name: 'cifar10' | 'cifar100'): boolean {
  return locate(dataDir, LAYOUTS[name]) !== null;
}

async function fileSource(path: string, layout: Layout, numRecords: number): Promise<Source> {
  const recordSize = layout.labelBytes + PIXELS;
  const labels = new Uint8Array(numRecords);
  const fh = await open(path, 'r');
  try {
    const chunk = new Uint8Array(recordSize * 1024);
    for (let r = 0; r < numRecords; r += 1024) {
      const n = Math.min(1024, numRecords - r);
      await fh.read(chunk, 0, n * recordSize, r * recordSize);
      for (let k = 0; k < n; k++) labels[r + k] = chunk[k * recordSize + layout.labelBytes - 1];
    }
  } finally {
    await fh.close();
  }
  for (let r = 0; r < numRecords; r++) {
    if (labels[r] >= layout.numClasses) {
      throw new UserError(`${where(path)}: record ${r} has label ${labels[r]}, beyond the ${layout.numClasses} classes`);
    }
  }
  return {
    description: path,
    length: numRecords,
    label: (i) => labels[i],
    get: async (i) => {
      const planar = new Uint8Array(PIXELS);
      const f = await open(path, 'r');
      try {
        await f.read(planar, 0, PIXELS, i * recordSize + layout.labelBytes);
      } finally {
        await f.close();
      }
      const hwc = new Uint8Array(PIXELS);
      for (let p = 0; p < 1024; p++) {
        hwc[3 * p] = planar[p];
        hwc[3 * p + 1] = planar[1024 + p];
        hwc[3 * p + 2] = planar[2048 + p];
      }
      return { image: { pixels: { data: hwc, height: 32, width: 32, channels: 3 } }, label: labels[i], origin: `${where(path)} record ${i}` };
    },
  };
}

export function openCifarBinary(dataDir: string, name: 'cifar10' | 'cifar100'): Dataset {
  const layout = LAYOUTS[name];
  const dir = locate(dataDir, layout);
  if (!dir) throw new UserError(`${where(dataDir)}: no ${layout.splits.test[0]} here or in ${layout.sub}/ (CIFAR binary version)`);
  const recordSize = layout.labelBytes + PIXELS;
  const files: string[] = [];
  const splits: Parameters<typeof makeDataset>[0]['splits'] = {};
  for (const [split, names] of Object.entries(layout.splits)) {
    const counts = names.map((n) => {
      const p = join(dir, n);
      let size: number;
      try {
        size = statSync(p).size;
      } catch (e) {
        throw new UserError(`${where(p)}: CIFAR file ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read: ${fsReason(e)}`}`);
      }
      if (size % recordSize !== 0) throw new UserError(`${where(p)}: size ${size} is not a whole number of ${recordSize}-byte CIFAR records`);
      files.push(p);
      return size / recordSize;
    });
    splits[split] = {
      numExamples: counts.reduce((a, b) => a + b, 0),
      open: async () => concat(await Promise.all(names.map((n, k) => fileSource(join(dir, n), layout, counts[k]))), `${name} ${split}`),
    };
  }
  return makeDataset({ name, numClasses: layout.numClasses, imageShape: [32, 32, 3], files, where: where(dir), splits });
}
