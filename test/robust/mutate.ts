// Seeded mutations of valid files for the fuzz tests: byte flips, 0x00/0xFF runs, cuts, insertions,
// and format-aware lies in length fields (with any checksum over the field recomputed, so the lie
// reaches the code that trusts it). Every case draws from its own generator, seeded by (seed, case),
// so a failing case replays from the two numbers in its message.
import { rng } from '../helpers/rng.ts';

export type Rand = () => number;

/** The generator of case `i` under `seed`. */
export function caseRand(seed: number, i: number): Rand {
  return rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35));
}

export const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

/** Values a corrupt length field tends to hold: off by one, zero, all ones, past every limit. */
export function lieAbout(n: number, rand: Rand): bigint {
  const lies = [0n, 1n, BigInt(Math.max(0, n - 1)), BigInt(n + 1), BigInt(n * 2 + 7), 0x7fffffffn, 0xffffffffn, 2n ** 40n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
  return rand() < 0.8 ? pick(rand, lies) : BigInt(Math.floor(rand() * 2 ** 32));
}

/** 1–4 generic edits anywhere in `src`. */
export function mutateBytes(src: Uint8Array, rand: Rand): Uint8Array {
  let b: Uint8Array = Uint8Array.from(src);
  const at = () => Math.floor(rand() * Math.max(1, b.length));
  for (let edits = 1 + Math.floor(rand() * 4); edits > 0; edits--) {
    const kind = Math.floor(rand() * 6);
    if (kind === 0 && b.length > 0) b[at()] ^= 1 << Math.floor(rand() * 8);
    else if (kind === 1) {
      const i = at();
      b.fill(rand() < 0.5 ? 0xff : 0x00, i, i + 1 + Math.floor(rand() * 8));
    } else if (kind === 2) b = b.slice(0, at());
    else if (kind === 3) {
      const i = at();
      const extra = Uint8Array.from({ length: 1 + Math.floor(rand() * 16) }, () => Math.floor(rand() * 256));
      b = concatBytes([b.subarray(0, i), extra, b.subarray(i)]);
    } else if (kind === 4 && b.length > 1) {
      // a chunk cut out of the middle: records shift against their length fields
      const i = at();
      b = concatBytes([b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + Math.floor(rand() * 32)))]);
    } else if (b.length > 0) b[at()] = Math.floor(rand() * 256);
  }
  return b;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
