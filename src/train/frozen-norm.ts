// The summed squares of the mean frozen gradient (grad_clip_scope 'all' over several micro-batches),
// in one fixed order of operations, so that one process and any number of data-parallel workers
// (each reducing a slice: src/train/frozen-shm.ts) give the same float64 bit for bit.
//
// The frozen gradients are laid end to end in the graph's order of gradient paths. Each tensor is
// cut into chunks of CHUNK values (its last chunk shorter); per value, the micro-batches' gradients
// are added in float32 in their order and divided by their count in float32 (the host's pmean);
// per chunk, the squares of those means are added in float64 from its first value to its last; the
// chunks' sums are added in float64 in their order. The chunks do not depend on how many workers
// there are, so workers holding whole chunks give partial sums that the host adds in chunk order.

/** Values per chunk. */
export const CHUNK = 1 << 16;

/** The chunks' bounds over tensors of these lengths laid end to end: [0, …, total], every tensor boundary among them. */
export function chunkBounds(lengths: readonly number[]): number[] {
  const bounds = [0];
  let at = 0;
  for (const n of lengths) {
    for (let s = CHUNK; s < n; s += CHUNK) bounds.push(at + s);
    at += n;
    if (n > 0) bounds.push(at);
  }
  return bounds;
}

/**
 * Shares the chunks out among `n` workers as contiguous runs of about equal size (a chunk goes to the
 * worker whose equal share of the values holds its middle): for each worker, the index of its first
 * chunk and one past its last ([first, end) into `bounds`' chunks).
 */
export function shareChunks(bounds: readonly number[], n: number): [number, number][] {
  const chunks = bounds.length - 1;
  const total = bounds[chunks];
  const shares: [number, number][] = [];
  let c = 0;
  for (let k = 0; k < n; k++) {
    const target = (total * (k + 1)) / n;
    const first = c;
    // The last target is `total` exactly, so the last worker takes every chunk left.
    while (c < chunks && (bounds[c] + bounds[c + 1]) / 2 <= target) c++;
    shares.push([first, c]);
  }
  return shares;
}

/** acc[i] ← acc[i] / micro, in float32: the mean over the micro-batches of their float32 sum. */
export function meanInPlace(acc: Float32Array, micro: number): void {
  for (let i = 0; i < acc.length; i++) acc[i] /= micro;
}

/**
 * The float64 sum of squares of each chunk of `mean`, whose value 0 is the frozen vector's value
 * `base`; `bounds` are the absolute bounds of the chunks it holds, first and last included.
 */
export function chunkSquares(mean: Float32Array, base: number, bounds: readonly number[]): number[] {
  const out: number[] = [];
  for (let c = 0; c + 1 < bounds.length; c++) {
    let s = 0;
    for (let i = bounds[c] - base; i < bounds[c + 1] - base; i++) s += mean[i] * mean[i];
    out.push(s);
  }
  return out;
}

/** `start` plus each chunk's sum, in chunk order. */
export function addInOrder(start: number, sums: readonly number[]): number {
  let s = start;
  for (const x of sums) s += x;
  return s;
}
