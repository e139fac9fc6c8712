// The frozen queries of test sets, kept for the run. Evaluation preprocessing is deterministic (central
// crops in stored order) and the query backbone frozen, so an image's query is the same at every
// evaluation of a run: computed once (35 of the 75 GFLOP of a ViT-B/16 evaluation image), reused at
// every later evaluation. An entry is keyed by what makes the query (the backbone's variant and
// weights, the query precision, the preprocessing sizes): under another key it is dropped and computed
// again. The cache is bounded in bytes: a test set that would pass the bound is not kept. Node only
// (the page evaluates without it).
import { createHash } from 'node:crypto';
import type { Learner } from './learner.ts';

export interface QueryEntry {
  key: string;
  /** [length, D], the first `filled` rows computed. */
  features: Float32Array;
  filled: number;
  /** The queries of the zero images that pad the last device batch, as computed with it: [pad, D]. */
  padRows?: Float32Array;
}

/** Bytes the cache keeps by default: DomainNet's 176,743 test images at D = 768 take 543 MB. */
export const QUERY_CACHE_BYTES = 2 ** 30;

export class QueryCache {
  private readonly entries = new Map<object, QueryEntry>();
  private readonly digests = new WeakMap<Learner, string>();

  constructor(readonly maxBytes = QUERY_CACHE_BYTES) {}

  get bytes(): number {
    let b = 0;
    for (const e of this.entries.values()) b += e.features.byteLength + (e.padRows?.byteLength ?? 0);
    return b;
  }

  /**
   * What makes `learner`'s queries: the backbone's variant and its pretrained weights (a SHA-256 over
   * every backbone tensor's path, shape and bytes, computed once per learner), the query precision and
   * the image size. Cached queries under another key are not this learner's.
   */
  keyOf(learner: Learner): string {
    let digest = this.digests.get(learner);
    if (digest === undefined) {
      const h = createHash('sha256');
      for (const [k, t] of [...learner.pretrainedBackbone()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        h.update(`${k}:${t.shape.join('x')};`);
        h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      }
      digest = h.digest('hex');
      this.digests.set(learner, digest);
    }
    return JSON.stringify({ vit: learner.model.vit, precision: learner.config.query_precision ?? 'fp32', image: learner.imageSize, weights: digest });
  }

  /**
   * The entry of `source` made under `key`, holding `rows` queries of `d` values: a fresh one where
   * there is none or its key differs; none where it would pass the bound (the caller computes).
   */
  entry(source: object, key: string, rows: number, d: number): QueryEntry | undefined {
    const had = this.entries.get(source);
    if (had && had.key === key && had.features.length === rows * d) return had;
    this.entries.delete(source);
    if (this.bytes + rows * d * 4 > this.maxBytes) return undefined;
    const e: QueryEntry = { key, features: new Float32Array(rows * d), filled: 0 };
    this.entries.set(source, e);
    return e;
  }
}
