// Deterministic randomness for the input pipeline. Every draw derives from (seed, purpose, epoch,
// position) through a hash, never from shared state, so results do not depend on which worker
// ran first and a saved position resumes the exact stream.
import { fmix32 } from '../random.ts';

/** A 32-bit hash of a sequence of integers (each taken mod 2^32). */
export function hash32(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) h = fmix32((h ^ fmix32((x >>> 0) + 0x7f4a7c15)) + 0x6a09e667);
  return h;
}

/** xoshiro128** seeded by splitmix32: small, fast, and good enough for augmentation. */
export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let k = 0; k < 4; k++) {
      x = (x + 0x9e3779b9) >>> 0;
      this.s[k] = fmix32(x);
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float32 in [0, 1), as TensorFlow's RandFloat: 23 random mantissa bits. */
  float(): number {
    return (this.nextU32() >>> 9) / 8388608;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * The order a TF-style shuffle buffer of `buffer` elements gives a stream 0..n−1: the buffer is
 * filled with the first elements; each output is a uniformly chosen buffered element, whose slot
 * takes the next input; once the input is spent the buffer drains in random order. A buffer of n or
 * more is a uniform permutation; a smaller one keeps each element within about `buffer` places of
 * where it was stored.
 */
export function bufferShuffle(n: number, buffer: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  const buf: number[] = [];
  let next = 0;
  while (next < Math.min(buffer, n)) buf.push(next++);
  for (let i = 0; i < n; i++) {
    const j = rng.int(buf.length);
    out[i] = buf[j];
    if (next < n) buf[j] = next++;
    else {
      buf[j] = buf[buf.length - 1];
      buf.pop();
    }
  }
  return out;
}

/**
 * The order in which epoch `epoch` of a training stream visits its n examples: a shuffle buffer of
 * `shuffleBuffer` (the official shuffle_buffer_size) over the stored order, or a uniform
 * permutation when unset, drawn from (seed, epoch). The Node pipeline and the page both take it.
 */
export function epochOrder(n: number, seed: number, epoch: number, shuffleBuffer?: number): Int32Array {
  const rng = new Rng(hash32(seed >>> 0, 0x0e9c, epoch));
  return shuffleBuffer === undefined ? permutation(n, rng) : bufferShuffle(n, shuffleBuffer, rng);
}
