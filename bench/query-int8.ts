// How often the opt-in int8 query picks the same prompts as the fp32 query, on a trained run's real
// test data (every task's test split), and what it does to accuracy.
//
//   npx l2p demo --workdir runs/l2p && npx tsx bench/query-int8.ts --workdir runs/l2p
import { parseArgs } from 'node:util';
import { Pipeline } from '../src/data/index.ts';
import { disposeAll } from '../src/runtime/ort.ts';
import { openRun } from '../src/train/open-run.ts';
import { streamFor } from '../src/train/stream.ts';

const { values } = parseArgs({ options: { workdir: { type: 'string', default: 'l2p-demo' } } });
const runs = {
  fp32: openRun(values.workdir!, {}, { query_precision: 'fp32', test_time_selection: 'per_instance' }),
  int8: openRun(values.workdir!, {}, { query_precision: 'int8', test_time_selection: 'per_instance' }),
};
const config = runs.fp32.config;
const stream = await streamFor(config);
const k = runs.fp32.learner.config.prompt_pool_param.top_k;
let images = 0;
let sameSet = 0;
let sameOrder = 0;
let samePrediction = 0;
const correct = { fp32: 0, int8: 0 };
for (const task of stream.tasks) {
  const pipe = new Pipeline(task.test, { batchSize: config.per_device_batch_size, train: false, epochs: 1, preprocess: { resizeSize: config.resize_size, inputSize: config.input_size } });
  for await (const b of pipe) {
    const a = await runs.fp32.learner.evalBatch(b.images, b.labels, null);
    const q = await runs.int8.learner.evalBatch(b.images, b.labels, null);
    correct.fp32 += a.correct;
    correct.int8 += q.correct;
    for (let i = 0; i < b.size; i++) {
      const x = Array.from(a.promptIds.subarray(i * k, (i + 1) * k));
      const y = Array.from(q.promptIds.subarray(i * k, (i + 1) * k));
      if (x.join() === y.join()) sameOrder++;
      if ([...x].sort().join() === [...y].sort().join()) sameSet++;
      if (a.predictions[i] === q.predictions[i]) samePrediction++;
    }
    images += b.size;
  }
  await pipe.close();
}
const pct = (n: number) => `${((100 * n) / images).toFixed(1)}%`;
console.log(`${images} test images of ${values.workdir}: same prompt set ${pct(sameSet)}, same prompts in the same order ${pct(sameOrder)}, same prediction ${pct(samePrediction)}`);
console.log(`accuracy fp32 ${pct(correct.fp32)}, int8 ${pct(correct.int8)}`);
await disposeAll();
