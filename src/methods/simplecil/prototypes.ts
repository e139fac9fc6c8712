// SimpleCIL's statistics and fit (LAMDA-PILOT SimpleCIL.replace_fc): the mean of each class's
// features over the task's training data, in float64, written as that class's column of the head.
// A class seen again in a later task (domain-incremental) gets the later task's mean, as replace_fc
// overwrites its row.
import { UserError } from '../../errors.ts';
import type { Params } from '../../vit/params.ts';
import type { MethodKept, StatisticsPass } from '../method.ts';

export function prototypePass(t: number, hidden: number, numClasses: number): StatisticsPass {
  const sums = new Float64Array(numClasses * hidden); // [C, D]
  const counts = new Float64Array(numClasses);
  return {
    add(features, labels) {
      const d = hidden;
      labels.forEach((y, i) => {
        const row = features.subarray(i * d, (i + 1) * d);
        if (!row.every(Number.isFinite)) throw new UserError(`task ${t}: a training example of class ${y} has a non-finite feature; its prototype cannot be formed`);
        for (let k = 0; k < d; k++) sums[y * d + k] += row[k];
        counts[y]++;
      });
    },
    async finish(params: Params) {
      const kernel = params.get('head/kernel')!; // [D, C]
      for (let c = 0; c < numClasses; c++) {
        if (counts[c] === 0) continue;
        for (let k = 0; k < hidden; k++) kernel.data[k * numClasses + c] = sums[c * hidden + k] / counts[c];
      }
    },
  };
}

/** What a prototype head keeps, read off its kernel [D, C]: the classes with a prototype (a non-zero column). */
export function prototypesKept(params: Params, name: string): MethodKept {
  const kernel = params.get('head/kernel')!;
  const [d, numClasses] = kernel.shape;
  const classes: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    for (let k = 0; k < d; k++) {
      if (kernel.data[k * numClasses + c] !== 0) {
        classes.push(c);
        break;
      }
    }
  }
  const kib = (4 * d * classes.length) / 1024;
  return {
    values: { prototypes: classes.length, width: d, classes },
    text: `${name} keeps ${classes.length} class prototypes of width ${d} (float32, ${kib.toFixed(1)} KiB), the class means of the features its cosine head ranks`,
  };
}
