// The page's input streams over examples held in memory, drawn as the Node pipeline draws them
// (src/data/pipeline.ts) with the same shared pieces: the epoch order under the shuffle buffer
// (epochOrder), the per-position augmentation seed (positionSeed) and the preprocessing
// (preprocessExample), under the run's seeds (src/train/seeds.ts). So a page run and a Node run of
// the same stream and seed train and evaluate on the same pixels, augmented or not.
import { globalBatchSize, type L2PConfig } from '../../config/l2p.ts';
import { OFFICIAL_PREPROCESS, positionSeed, preprocessExample, type PreprocessConfig } from '../../data/preprocess.ts';
import { epochOrder } from '../../data/rng.ts';
import type { Pixels } from '../../data/types.ts';
import { evalAugmentSeed, trainSeed } from '../../train/seeds.ts';

export interface Example {
  pixels: Pixels;
  label: number;
}

export const preprocessOf = (c: L2PConfig): PreprocessConfig => ({ ...OFFICIAL_PREPROCESS, resizeSize: c.resize_size, inputSize: c.input_size });

/** Model input of one example: [size, size, 3] in [0, 1], the central crop of the Node pipeline. */
export function toInput(e: Pixels, c: L2PConfig): Float32Array {
  return preprocessExample(e, preprocessOf(c), null);
}

/** A shuffled stream over `examples`: epoch e visits epochOrder(seed, e); batches straddle epochs. */
class Shuffled {
  private readonly orders = new Map<number, Int32Array>();

  constructor(
    private readonly n: number,
    readonly seed: number,
    private readonly shuffleBuffer: number,
  ) {}

  indexAt(p: number): number {
    const e = Math.floor(p / this.n);
    let order = this.orders.get(e);
    if (!order) this.orders.set(e, (order = epochOrder(this.n, this.seed, e, this.shuffleBuffer)));
    return order[p % this.n];
  }
}

/** Task t's training stream: the Node loop's trainPipeline (augmented unless train_augment is false). */
export class TrainStream {
  private readonly order: Shuffled;
  private readonly augment: boolean;
  readonly batchSize: number;

  constructor(
    private readonly examples: Example[],
    private readonly c: L2PConfig,
    t: number,
  ) {
    this.order = new Shuffled(examples.length, trainSeed(c, t) >>> 0, c.shuffle_buffer_size);
    this.augment = c.train_augment ?? true;
    this.batchSize = globalBatchSize(c);
  }

  /** Batch `step` (from 0) of the stream: images [b, size, size, 3] and labels. */
  batch(step: number): { images: Float32Array; labels: Int32Array } {
    const b = this.batchSize;
    const cfg = preprocessOf(this.c);
    const px = cfg.inputSize * cfg.inputSize * 3;
    const images = new Float32Array(b * px);
    const labels = new Int32Array(b);
    for (let k = 0; k < b; k++) {
      const p = step * b + k;
      const ex = this.examples[this.order.indexAt(p)];
      images.set(preprocessExample(ex.pixels, cfg, this.augment ? positionSeed(this.order.seed, p) : null), k * px);
      labels[k] = ex.label;
    }
    return { images, labels };
  }
}

/**
 * Test examples in the order evaluation visits them, with their model inputs: stored order and
 * central crops; or, under eval_augment, as src/train/evaluate.ts runs it, through the training
 * pipeline under the evaluation seed (shuffled, augmented, one epoch, the remainder dropped).
 */
export function evalStream(test: Example[], c: L2PConfig): { examples: Example[]; input(k: number): Float32Array } {
  const cfg = preprocessOf(c);
  if (!c.eval_augment) return { examples: test, input: (k) => preprocessExample(test[k].pixels, cfg, null) };
  const order = new Shuffled(test.length, evalAugmentSeed(c) >>> 0, c.shuffle_buffer_size);
  const end = Math.floor(test.length / globalBatchSize(c)) * globalBatchSize(c);
  const examples = Array.from({ length: end }, (_, p) => test[order.indexAt(p)]);
  return { examples, input: (p) => preprocessExample(examples[p].pixels, cfg, positionSeed(order.seed, p)) };
}
