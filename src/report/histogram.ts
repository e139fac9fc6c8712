// Histograms in the form TensorBoard's HistogramProto carries them: parallel arrays of bucket upper
// limits and counts, where bucket i covers [bucketLimit[i-1], bucketLimit[i]) and bucket 0 starts
// at -DBL_MAX. TensorBoard draws the first non-empty bucket from `min` and the last one to `max`.

export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Upper edge of each bucket, strictly increasing. */
  bucketLimit: number[];
  /** Count of each bucket, parallel to `bucketLimit`. */
  bucket: number[];
}

/**
 * TensorFlow's default bucket limits (core/lib/histogram/histogram.cc): edges growing by 10% from
 * 1e-12 to 1e20, mirrored for negatives, with 0 between and ±DBL_MAX at the ends. Computed with the
 * same repeated multiplication, so the doubles equal TensorFlow's.
 */
export const DEFAULT_BUCKET_LIMITS: readonly number[] = (() => {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  pos.push(Number.MAX_VALUE);
  return [...pos.map((v) => -v).reverse(), 0, ...pos];
})();

/** Index of the first limit strictly greater than `x` (the bucket `x` falls in). */
function upperBound(limits: readonly number[], x: number): number {
  let lo = 0;
  let hi = limits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (limits[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function moments(values: ArrayLike<number>, what: string): Pick<Histogram, 'min' | 'max' | 'num' | 'sum' | 'sumSquares'> {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new RangeError(`${what}: value ${i} is ${v}; histograms take finite numbers`);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSquares += v * v;
  }
  // An empty histogram reports 0 for both ends rather than ±Infinity, which protobuf readers mishandle.
  return values.length === 0 ? { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0 } : { min, max, num: values.length, sum, sumSquares };
}

/**
 * Histogram of arbitrary values over TensorFlow's default buckets. As TensorFlow's encoder does,
 * each run of empty buckets is merged into one that ends at the run's last limit, so a record holds
 * only as many buckets as the data touches (plus the gaps between).
 */
export function histogramOf(values: ArrayLike<number>): Histogram {
  const m = moments(values, 'histogramOf');
  const counts = new Float64Array(DEFAULT_BUCKET_LIMITS.length);
  for (let i = 0; i < values.length; i++) counts[upperBound(DEFAULT_BUCKET_LIMITS, values[i])] += 1;
  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    const empty = counts[i] === 0;
    if (empty && bucket.length > 0 && bucket[bucket.length - 1] === 0) bucketLimit[bucketLimit.length - 1] = DEFAULT_BUCKET_LIMITS[i];
    else {
      bucketLimit.push(DEFAULT_BUCKET_LIMITS[i]);
      bucket.push(counts[i]);
    }
  }
  return { ...m, bucketLimit, bucket };
}

/**
 * Histogram of integer ids 0..numIds-1 (the prompts a pool selected) with one bucket per id:
 * bucket k covers [k-0.5, k+0.5), so limits are 0.5, 1.5, ..., numIds-0.5. Empty buckets are kept,
 * so every id has its own count, as the official `write_histograms(..., pool_size)` intends.
 */
export function idHistogram(ids: ArrayLike<number>, numIds: number): Histogram {
  if (!Number.isInteger(numIds) || numIds < 1) throw new RangeError(`idHistogram: numIds must be a positive integer, got ${numIds}`);
  const bucket = new Array<number>(numIds).fill(0);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= numIds) {
      throw new RangeError(`idHistogram: ids[${i}] = ${id} is not an integer id in 0..${numIds - 1}`);
    }
    bucket[id] += 1;
  }
  const bucketLimit = Array.from({ length: numIds }, (_, k) => k + 0.5);
  return { ...moments(ids, 'idHistogram'), bucketLimit, bucket };
}
