// How often the opt-in int8 query picks the same prompts as the fp32 query, on a trained run's real
// test data (every task's test split), and what it does to accuracy.
//
//   npx l2p demo --workdir runs/l2p && npx tsx bench/query-int8.ts --workdir runs/l2p
import { parseArgs } from 'node:util';
import { disposeAll } from '../src/runtime/ort.ts';
import { openRun } from '../src/train/open-run.ts';
import { selectionAgreement } from './selection-agreement.ts';

const { values } = parseArgs({ options: { workdir: { type: 'string', default: 'l2p-demo' } } });
const runs = {
  fp32: openRun(values.workdir!, {}, { query_precision: 'fp32', test_time_selection: 'per_instance' }),
  int8: openRun(values.workdir!, {}, { query_precision: 'int8', test_time_selection: 'per_instance' }),
};
const { images, sameSet, sameOrder, samePrediction, correct } = await selectionAgreement(runs.fp32, runs.int8);
const pct = (n: number) => `${((100 * n) / images).toFixed(1)}%`;
console.log(`${images} test images of ${values.workdir}: same prompt set ${pct(sameSet)}, same prompts in the same order ${pct(sameOrder)}, same prediction ${pct(samePrediction)}`);
console.log(`accuracy fp32 ${pct(correct[0])}, int8 ${pct(correct[1])}`);
await disposeAll();
