// A task's statistics pass: its training data once, through the evaluation transform (central crops
// in stored order, no augmentation: LAMDA-PILOT's train_loader_for_CPs, mode="test"), each device
// batch's features from the method's evaluation graph given to the method's accumulator.
import { Pipeline, type Source } from '../data/index.ts';
import { faultPoint } from '../fault.ts';
import type { StatisticsPass } from '../methods/index.ts';
import type { Learner } from './learner.ts';

export interface StatisticsOptions {
  /** Images per device batch (the last batch may be smaller: every example counts once). */
  batchSize: number;
  resizeSize: number;
  inputSize: number;
  workers?: number;
  /** Called after each device batch with the examples done; it may throw to stop the pass. */
  onBatch?: (done: number) => void;
  /** The StatisticsPhase whose features the evaluation graph gives (unset: the task's one pass). */
  phase?: string;
}

export async function runStatistics(learner: Learner, source: Source, pass: StatisticsPass, o: StatisticsOptions): Promise<void> {
  const pipe = new Pipeline(source, {
    batchSize: o.batchSize,
    train: false,
    epochs: 1,
    dropRemainder: false,
    preprocess: { resizeSize: o.resizeSize, inputSize: o.inputSize },
    workers: o.workers,
  });
  let done = 0;
  try {
    for await (const batch of pipe) {
      pass.add(await learner.features(batch.images, batch.labels, o.phase), batch.labels);
      done += batch.size;
      faultPoint('stats-batch');
      o.onBatch?.(done);
    }
  } finally {
    await pipe.close();
  }
}
