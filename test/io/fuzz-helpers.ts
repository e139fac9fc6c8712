// Shared by the fuzz tests: seeded byte mutations and the rule that a mutated input either parses
// or fails with a UserError (never another exception, never a hang).
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.ts';
import { mulberry32 } from '../../src/random.ts';

export const CASES = 2000;

/** mulberry32: a seeded PRNG, so a failing case can be replayed from its seed. */
export const prng = mulberry32;

/** Applies 1–4 random edits: byte flips, 0x00/0xFF runs over length fields, cuts and insertions. */
export function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  let b: Uint8Array = Uint8Array.from(src);
  const at = () => Math.floor(rand() * Math.max(1, b.length));
  for (let edits = 1 + Math.floor(rand() * 4); edits > 0; edits--) {
    const kind = Math.floor(rand() * 5);
    if (kind === 0 && b.length > 0) b[at()] ^= 1 << Math.floor(rand() * 8);
    else if (kind === 1) b = fillRun(b, at(), rand);
    else if (kind === 2) b = b.slice(0, at());
    else if (kind === 3) {
      const i = at();
      const extra = Uint8Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * 256));
      b = Uint8Array.from([...b.subarray(0, i), ...extra, ...b.subarray(i)]);
    } else if (b.length > 0) b[at()] = Math.floor(rand() * 256);
  }
  return b;
}

/** Overwrites 1–8 bytes at `i` with 0xFF or 0x00, the values that most often break length checks. */
function fillRun(b: Uint8Array, i: number, rand: () => number): Uint8Array {
  b.fill(rand() < 0.5 ? 0xff : 0x00, i, i + 1 + Math.floor(rand() * 8));
  return b;
}

/** True when `fn` parsed, false when it threw a UserError; any other exception fails the test. */
export function parsesOrUserError(what: string, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof UserError)) assert.fail(`${what}: expected success or a UserError, got ${(e as Error).stack ?? String(e)}`);
    return false;
  }
}

export function assertBothOutcomes(parsed: number, what: string): void {
  assert.ok(parsed > 0, `no mutated ${what} parsed: the mutations never reach the data`);
  assert.ok(parsed < CASES, `every mutated ${what} parsed: the checks were never reached`);
}
