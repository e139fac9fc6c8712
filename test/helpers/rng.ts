// Seeded randomness for tests, so every random case is reproducible.
import { mulberry32 } from '../../src/random.ts';

export const rng = mulberry32;

export function uniform(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}
