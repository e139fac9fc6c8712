// JAX's default PRNG (threefry2x32, in the non-partitionable layout that JAX used before 0.5 and
// that the official code ran on), enough to replay the official gaussian_schedule:
// PRNGKey(seed), split(key) into two, and bernoulli(key, p) for a scalar float32 p.

export type Key = readonly [number, number];

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/** Threefry-2x32 with 20 rounds on one counter pair. */
export function threefry2x32(key: Key, x0: number, x1: number): [number, number] {
  const ks = [key[0] >>> 0, key[1] >>> 0, (key[0] ^ key[1] ^ 0x1bd11bda) >>> 0];
  const rot = [
    [13, 15, 26, 6],
    [17, 29, 16, 24],
  ];
  let a = (x0 + ks[0]) >>> 0;
  let b = (x1 + ks[1]) >>> 0;
  for (let g = 0; g < 5; g++) {
    for (const r of rot[g % 2]) {
      a = (a + b) >>> 0;
      b = rotl(b, r) ^ a;
    }
    a = (a + ks[(g + 1) % 3]) >>> 0;
    b = (b + ks[(g + 2) % 3] + g + 1) >>> 0;
  }
  return [a, b];
}

/** jax.random.PRNGKey(seed) for 0 <= seed < 2^32: [0, seed]. */
export function prngKey(seed: number): Key {
  return [0, seed >>> 0];
}

/** jax.random.split(key): counters 0..3 hashed as the pairs (0, 2) and (1, 3). */
export function split(key: Key): [Key, Key] {
  const [a0, b0] = threefry2x32(key, 0, 2);
  const [a1, b1] = threefry2x32(key, 1, 3);
  return [
    [a0, a1],
    [b0, b1],
  ];
}

/** jax.random.uniform(key) for a float32 scalar: 23 mantissa bits of the first draw, in [0, 1). */
export function uniform(key: Key): number {
  const [bits] = threefry2x32(key, 0, 0);
  return (bits >>> 9) / 8388608;
}

/** jax.random.bernoulli(key, p) for a float32 scalar p. */
export function bernoulli(key: Key, p: number): boolean {
  return uniform(key) < Math.fround(p);
}
