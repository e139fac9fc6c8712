// Batches for training and evaluation. The stream is a sequence of examples: epoch e visits the
// source in a shuffled order drawn from (seed, e) (training) or in stored order (evaluation), and
// epochs follow each other without a break, so a batch may straddle two epochs, as with the
// official repeat-then-batch. Example number p of the stream is augmented with a generator seeded
// by hash(seed, p): the position `p` is therefore all the state needed to resume exactly.
import { UserError } from '../errors.ts';
import { defaultWorkers, ImagePool } from './pool.ts';
import { OFFICIAL_PREPROCESS, positionSeed, type PreprocessConfig } from './preprocess.ts';
import type { BatchItem } from './process.ts';
import { epochOrder } from './rng.ts';
import type { Source } from './types.ts';

export interface PipelineOptions {
  batchSize: number;
  /** Shuffle and augment (true), or central crops in stored order (false). */
  train: boolean;
  /** With `train`: augment (random resized crop and flip, the default) or take central crops. */
  augment?: boolean;
  seed?: number;
  /**
   * With `train`: the official shuffle_buffer_size, a TF-style buffer over the stored order each
   * epoch (bufferShuffle); unset, each epoch is a uniform permutation.
   */
  shuffleBuffer?: number;
  /** resize_size, input_size and the crop parameters; the official values by default. */
  preprocess?: Partial<PreprocessConfig>;
  /**
   * Worker threads that read, decode, augment and batch, each making whole batches; 0 runs that work
   * on the main thread.
   */
  workers?: number;
  /** Batches prepared ahead of the consumer; at least one per worker. */
  prefetch?: number;
  /** Passes over the source; unbounded for training unless given, 1 for evaluation. */
  epochs?: number;
  /** Drop a final partial batch; true for training, false for evaluation unless given. */
  dropRemainder?: boolean;
}

export interface Batch {
  images: Float32Array; // [size, height, width, 3] in [0, 1]
  labels: Int32Array; // [size]
  size: number;
  height: number;
  width: number;
}

/** Where the stream stands: the seed and how many examples have been delivered. */
export interface PipelineState {
  seed: number;
  position: number;
}

export class Pipeline implements AsyncIterable<Batch> {
  private readonly cfg: PreprocessConfig;
  private readonly pool: ImagePool;
  private readonly prefetch: number;
  private readonly end: number;
  private readonly batchSize: number;
  private seed: number;
  private delivered = 0;
  private requested = 0;
  private queue: Promise<Batch>[] = [];
  private orders = new Map<number, Int32Array>();

  constructor(
    readonly source: Source,
    private readonly opts: PipelineOptions,
  ) {
    if (!(opts.batchSize >= 1)) throw new UserError(`batch size must be at least 1, got ${opts.batchSize}`);
    if (source.length === 0) throw new UserError(`${source.description}: no examples to batch`);
    this.cfg = { ...OFFICIAL_PREPROCESS, ...opts.preprocess };
    if (this.cfg.inputSize > this.cfg.resizeSize) {
      throw new UserError(`input_size ${this.cfg.inputSize} is larger than resize_size ${this.cfg.resizeSize}`);
    }
    this.batchSize = opts.batchSize;
    this.seed = (opts.seed ?? 0) >>> 0;
    this.pool = new ImagePool(opts.workers ?? defaultWorkers());
    // Each batch is one worker's: as many in flight as workers keeps them all busy.
    this.prefetch = Math.max(1, opts.prefetch ?? 2, this.pool.size);
    const epochs = opts.epochs ?? (opts.train ? Infinity : 1);
    const total = epochs * source.length;
    const drop = opts.dropRemainder ?? opts.train;
    this.end = drop ? Math.floor(total / this.batchSize) * this.batchSize : total;
  }

  get epoch(): number {
    return Math.floor(this.delivered / this.source.length);
  }

  state(): PipelineState {
    return { seed: this.seed, position: this.delivered };
  }

  /** Continues from a saved state: the next batch is the one that followed it. */
  restore(s: PipelineState): void {
    if (!Number.isInteger(s.position) || s.position < 0) throw new UserError(`data position ${s.position} is not a count of examples`);
    this.queue.forEach((p) => p.catch(() => {}));
    this.queue = [];
    this.seed = s.seed >>> 0;
    this.orders.clear();
    this.delivered = this.requested = s.position;
  }

  /** The index in the source of stream position `p`. */
  private indexAt(p: number): number {
    const n = this.source.length;
    if (!this.opts.train) return p % n;
    const e = Math.floor(p / n);
    let order = this.orders.get(e);
    if (!order) {
      order = epochOrder(n, this.seed, e, this.opts.shuffleBuffer);
      this.orders.set(e, order);
      for (const k of this.orders.keys()) if (k < e - 1) this.orders.delete(k);
    }
    return order[p % n];
  }

  /**
   * The batch of `size` examples at stream position `start`: its labels taken here from the index,
   * its images made whole by a worker, which reads each example itself when the source can say where
   * it lies. A record that cannot be got fails the batch after the ones before it are made.
   */
  private async makeBatch(start: number, size: number): Promise<Batch> {
    const seedAt = (p: number) => (this.opts.train && (this.opts.augment ?? true) ? positionSeed(this.seed, p) : null);
    const labels = new Int32Array(size);
    const items: BatchItem[] = [];
    let failure: { reason: unknown } | null = null;
    if (this.source.locate) {
      for (let k = 0; k < size; k++) {
        const i = this.indexAt(start + k);
        labels[k] = this.source.label(i);
        items.push({ ref: this.source.locate(i), seed: seedAt(start + k) });
      }
    } else {
      const got = await Promise.allSettled(Array.from({ length: size }, (_, k) => this.source.get(this.indexAt(start + k))));
      for (let k = 0; k < size && !failure; k++) {
        const r = got[k];
        if (r.status === 'rejected') failure = { reason: r.reason };
        else {
          labels[k] = r.value.label;
          items.push({ image: r.value.image, origin: r.value.origin, seed: seedAt(start + k) });
        }
      }
    }
    const s = this.cfg.inputSize;
    const images = await this.pool.run({ items, cfg: this.cfg }); // [size, s, s, 3]
    if (failure) throw failure.reason;
    return { images, labels, size, height: s, width: s };
  }

  private fill(): void {
    while (this.queue.length < this.prefetch && this.requested < this.end) {
      const size = Math.min(this.batchSize, this.end - this.requested);
      const batch = this.makeBatch(this.requested, size);
      batch.catch(() => {});
      this.queue.push(batch);
      this.requested += size;
    }
  }

  /** The next batch, or null when the stream is exhausted. */
  async next(): Promise<Batch | null> {
    this.fill();
    const head = this.queue.shift();
    if (!head) return null;
    const batch = await head;
    this.delivered += batch.size;
    this.fill();
    return batch;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    for (let b = await this.next(); b; b = await this.next()) yield b;
  }

  async close(): Promise<void> {
    this.queue.forEach((p) => p.catch(() => {}));
    this.queue = [];
    await this.pool.close();
  }
}
