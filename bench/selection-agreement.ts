// Two trained runs of one config over every task's test split: how often they select the same
// prompts (as a set, and in the same order), how often they predict the same class, and each one's
// accuracy. The comparison behind bench/query-int8.ts (int8 query) and bench/gpu/fp16demo.ts (fp16).
import { Pipeline } from '../src/data/index.ts';
import type { OpenedRun } from '../src/train/open-run.ts';
import { streamFor } from '../src/train/stream.ts';

export interface Agreement {
  images: number;
  sameSet: number;
  sameOrder: number;
  samePrediction: number;
  correct: [number, number];
}

export async function selectionAgreement(a: OpenedRun, b: OpenedRun): Promise<Agreement> {
  const config = a.config;
  const stream = await streamFor(config);
  const k = a.learner.config.prompt_pool_param.top_k;
  const r: Agreement = { images: 0, sameSet: 0, sameOrder: 0, samePrediction: 0, correct: [0, 0] };
  for (const task of stream.tasks) {
    const pipe = new Pipeline(task.test, { batchSize: config.per_device_batch_size, train: false, epochs: 1, workers: 0, preprocess: { resizeSize: config.resize_size, inputSize: config.input_size } });
    for await (const batch of pipe) {
      const x = await a.learner.evalBatch(batch.images, batch.labels, null);
      const y = await b.learner.evalBatch(batch.images, batch.labels, null);
      r.correct[0] += x.correct;
      r.correct[1] += y.correct;
      for (let i = 0; i < batch.size; i++) {
        const p = Array.from(x.promptIds.subarray(i * k, (i + 1) * k));
        const q = Array.from(y.promptIds.subarray(i * k, (i + 1) * k));
        if (p.join() === q.join()) r.sameOrder++;
        if ([...p].sort((u, v) => u - v).join() === [...q].sort((u, v) => u - v).join()) r.sameSet++;
        if (x.predictions[i] === y.predictions[i]) r.samePrediction++;
      }
      r.images += batch.size;
    }
    await pipe.close();
  }
  return r;
}
