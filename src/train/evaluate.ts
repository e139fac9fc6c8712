// Evaluation after (part of) a task: accuracy, loss and prompt usage on the test split of every task
// seen so far, class-incremental (no mask) unless task-incremental evaluation is asked for.
import type { L2PConfig } from '../config/l2p.ts';
import { Pipeline, type Source } from '../data/index.ts';
import { UserError } from '../errors.ts';
import { faultPoint } from '../fault.ts';
import type { Learner } from './learner.ts';
import type { QueryCache } from './query-cache.ts';
import { evalAugmentSeed } from './seeds.ts';

export interface TaskEval {
  /** Top-1 accuracy in percent. */
  accuracy: number;
  loss: number;
  count: number;
  /** How often each prompt id was selected, [pool_size] (empty without prompts). */
  promptCounts: number[];
}


export interface EvalOptions {
  /** The per-device batch: the official vote group of batch-wise selection. */
  batchSize: number;
  /**
   * Devices of the official data-parallel evaluation (default 1): test sets are read in global
   * batches of batchSize × devices.
   */
  devices?: number;
  /**
   * The official eval_pad_last_batch: pad the last global batch with zero images and leave them out
   * of the metrics (true, the default here), or drop it (false: at 8 × 16 a test set of 1,000
   * images scores 896).
   */
  padLastBatch?: boolean;
  /**
   * Read the test set through the training pipeline instead (the official CORe50 run): shuffled
   * with this seed and shuffle buffer, random resized crop and flip, the remainder dropped. The
   * seed is fixed, so every evaluation sees the same crops in the same order.
   */
  augment?: { seed: number; shuffleBuffer: number };
  resizeSize: number;
  inputSize: number;
  /** Global batches per evaluation; -1 for the whole split. */
  maxBatches: number;
  poolSize: number;
  workers?: number;
  onBatch?: (done: number) => void;
  /** Reuse (and fill) cached queries (src/train/query-cache.ts) instead of recomputing them. */
  queryCache?: QueryCache;
}

/** The evaluation options a config sets: batches, devices, padding, preprocessing, pool size. */
export function evalOptionsOf(c: L2PConfig): Omit<EvalOptions, 'maxBatches'> {
  return {
    batchSize: c.per_device_batch_size,
    devices: c.num_devices,
    padLastBatch: c.eval_pad_last_batch,
    augment: c.eval_augment ? { seed: evalAugmentSeed(c), shuffleBuffer: c.shuffle_buffer_size } : undefined,
    resizeSize: c.resize_size,
    inputSize: c.input_size,
    poolSize: c.prompt_pool_param.pool_size,
  };
}

/** The batches an evaluation visits: stored order and central crops, or (augment) the training pipeline's, one epoch. */
export function evalPipeline(source: Source, o: EvalOptions): Pipeline {
  const pad = (o.padLastBatch ?? true) && !o.augment;
  return new Pipeline(source, {
    batchSize: o.batchSize * (o.devices ?? 1),
    train: o.augment !== undefined,
    seed: o.augment?.seed,
    shuffleBuffer: o.augment?.shuffleBuffer,
    epochs: 1,
    dropRemainder: !pad,
    preprocess: { resizeSize: o.resizeSize, inputSize: o.inputSize },
    workers: o.workers,
  });
}

export async function evaluateSource(learner: Learner, source: Source, taskMask: readonly number[] | null, o: EvalOptions): Promise<TaskEval> {
  const per = o.batchSize;
  const global = per * (o.devices ?? 1);
  const pad = (o.padLastBatch ?? true) && !o.augment;
  if (!pad && source.length < global) {
    const why = o.augment ? 'evaluation through the training pipeline (eval_augment) drops the remainder' : 'eval_pad_last_batch false drops the remainder as the official pipeline does; set eval_pad_last_batch=true to pad instead';
    throw new UserError(`${source.description}: its ${source.length} test images make no whole global batch of ${global}, and ${why}`);
  }
  const pipe = evalPipeline(source, o);
  let correct = 0;
  let count = 0;
  let lossSum = 0;
  const counts = new Array<number>(o.poolSize).fill(0);
  try {
    let batches = 0;
    let at = 0;
    const d = learner.model.vit.hidden;
    // A method that selects with the frozen query gets it computed apart from the rest of the
    // evaluation graph, batch by device batch, whether or not it is cached: a cached query is then
    // the very number a recomputation gives (the central crops in stored order are the same at
    // every evaluation; the augmented ones are not cached).
    const feedQuery = learner.usesQuery && !o.augment;
    const key = feedQuery && o.queryCache ? `${o.queryCache.keyOf(learner)} resize=${o.resizeSize} input=${o.inputSize}` : '';
    const entry = key ? o.queryCache!.entry(source, key, source.length, d) : undefined;
    for await (const batch of pipe) {
      const px = batch.height * batch.width * 3;
      // One device batch at a time: each is one vote group, as on the official devices.
      for (let s = 0; s < batch.size; s += per) {
        const real = Math.min(per, batch.size - s);
        let images = batch.images.subarray(s * px, (s + real) * px);
        let labels = batch.labels.subarray(s, s + real);
        if (real < per) {
          // The padded device batch: zero images fill it, and vote with the real ones.
          const padded = new Float32Array(per * px);
          padded.set(images);
          images = padded;
          const l = new Int32Array(per);
          l.set(labels);
          labels = l;
        }
        let query: Float32Array | undefined;
        if (entry && entry.filled >= at + real && (real === per || entry.padRows)) {
          query = new Float32Array(per * d);
          query.set(entry.features.subarray(at * d, (at + real) * d));
          if (real < per) query.set(entry.padRows!, real * d);
        } else if (feedQuery) {
          query = (await learner.query(images, per)).slice();
          if (entry && entry.filled === at) {
            entry.features.set(query.subarray(0, real * d), at * d);
            entry.filled = at + real;
            if (real < per) entry.padRows = query.slice(real * d);
          }
        }
        at += real;
        const r = await learner.evalBatch(images, labels, taskMask, query);
        const k = r.promptIds.length / labels.length; // prompts per image: top_k, or 0
        for (let i = 0; i < real; i++) {
          if (r.predictions[i] === labels[i]) correct++;
          lossSum += r.losses[i];
          for (let j = 0; j < k; j++) counts[r.promptIds[i * k + j]]++;
        }
        count += real;
      }
      o.onBatch?.(count);
      faultPoint('eval-batch');
      if (o.maxBatches > 0 && ++batches >= o.maxBatches) break;
    }
    if (entry) o.queryCache!.keep(source, entry);
  } finally {
    await pipe.close();
  }
  return { accuracy: (100 * correct) / Math.max(1, count), loss: lossSum / Math.max(1, count), count, promptCounts: counts };
}
