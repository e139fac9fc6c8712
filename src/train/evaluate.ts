// Evaluation after (part of) a task: accuracy, loss and prompt usage on the test split of every task
// seen so far, class-incremental (no mask) unless task-incremental evaluation is asked for.
import { Pipeline, type Source } from '../data/index.ts';
import { faultPoint } from '../fault.ts';
import type { Learner } from './learner.ts';

export interface TaskEval {
  /** Top-1 accuracy in percent. */
  accuracy: number;
  loss: number;
  count: number;
  /** How often each prompt id was selected, [pool_size] (empty without prompts). */
  promptCounts: number[];
}

/**
 * Queries of test sets, per source, in stored order. Evaluation preprocessing is deterministic and
 * the query backbone frozen, so an image's query is the same at every evaluation of a run.
 */
export type QueryCache = Map<Source, { features: Float32Array; filled: number }>;

export interface EvalOptions {
  batchSize: number;
  resizeSize: number;
  inputSize: number;
  /** Batches per evaluation; -1 for the whole split. */
  maxBatches: number;
  poolSize: number;
  workers?: number;
  onBatch?: (done: number) => void;
  /** Reuse (and fill) cached queries instead of recomputing them. */
  queryCache?: QueryCache;
}

export async function evaluateSource(learner: Learner, source: Source, taskMask: readonly number[] | null, o: EvalOptions): Promise<TaskEval> {
  const pipe = new Pipeline(source, {
    batchSize: o.batchSize,
    train: false,
    epochs: 1,
    preprocess: { resizeSize: o.resizeSize, inputSize: o.inputSize },
    workers: o.workers,
  });
  let correct = 0;
  let count = 0;
  let lossSum = 0;
  const counts = new Array<number>(o.poolSize).fill(0);
  try {
    let batches = 0;
    let at = 0;
    const d = learner.model.vit.hidden;
    const cache = o.queryCache && learner.usesQuery ? o.queryCache : undefined;
    let entry = cache?.get(source);
    if (cache && !entry) cache.set(source, (entry = { features: new Float32Array(source.length * d), filled: 0 }));
    for await (const batch of pipe) {
      let query: Float32Array | undefined;
      if (entry) {
        if (entry.filled < at + batch.size) {
          entry.features.set(await learner.query(batch.images, batch.size), at * d);
          entry.filled = at + batch.size;
        }
        query = entry.features.subarray(at * d, (at + batch.size) * d);
      }
      at += batch.size;
      const r = await learner.evalBatch(batch.images, batch.labels, taskMask, query);
      correct += r.correct;
      count += r.count;
      lossSum += r.lossSum;
      for (const id of r.promptIds) counts[id]++;
      o.onBatch?.(count);
      faultPoint('eval-batch');
      if (o.maxBatches > 0 && ++batches >= o.maxBatches) break;
    }
  } finally {
    await pipe.close();
  }
  return { accuracy: (100 * correct) / Math.max(1, count), loss: lossSum / Math.max(1, count), count, promptCounts: counts };
}
