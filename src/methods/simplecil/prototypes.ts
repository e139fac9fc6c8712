// SimpleCIL's statistics and fit (LAMDA-PILOT SimpleCIL.replace_fc): the mean of each class's
// features over the task's training data, in float64, written as that class's column of the head.
// A class seen again in a later task (domain-incremental) gets the later task's mean, as replace_fc
// overwrites its row.
import { UserError } from '../../errors.ts';
import type { Params } from '../../vit/params.ts';
import type { StatisticsPass } from '../method.ts';

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
