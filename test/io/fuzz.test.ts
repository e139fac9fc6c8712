// Mutated archives must either parse or fail with a UserError: never another exception, never a
// hang, never an allocation sized by a corrupt length field. Both outcomes must occur: a run where
// every mutation parses never reached the checks, one where none parses never reached the data.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { encodeNpy, parseNpy } from '../../src/io/npy.ts';
import { NpzReader, writeNpz } from '../../src/io/npz.ts';
import { EVERY_DTYPE, tempDir } from './npz-helpers.ts';
import { mulberry32 } from '../../src/random.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'npz');
const CASES = 2000;

/** mulberry32: a seeded PRNG, so a failing case can be replayed from its seed. */
const prng = mulberry32;

/** Applies 1–4 random edits: byte flips, 0x00/0xFF runs over length fields, cuts and insertions. */
function mutate(src: Uint8Array, rand: () => number): Uint8Array {
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
function parsesOrUserError(what: string, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof UserError)) assert.fail(`${what}: expected success or a UserError, got ${(e as Error).stack ?? String(e)}`);
    return false;
  }
}

function assertBothOutcomes(parsed: number, what: string): void {
  assert.ok(parsed > 0, `no mutated ${what} parsed: the mutations never reach the data`);
  assert.ok(parsed < CASES, `every mutated ${what} parsed: the checks were never reached`);
}

test('mutated npz archives parse or throw UserError', { timeout: 15_000 }, () => {
  const dir = tempDir();
  const ours = join(dir, 'base.npz');
  writeNpz(ours, EVERY_DTYPE);
  const oursCompressed = join(dir, 'base-z.npz');
  writeNpz(oursCompressed, EVERY_DTYPE, { compress: true });
  const bases = [ours, oursCompressed, join(FIXTURES, 'mixed_compressed.npz'), join(FIXTURES, 'zip64.npz')].map((p) => fs.readFileSync(p));
  const path = join(dir, 'fuzz.npz');
  const rand = prng(20240601);
  let parsed = 0;
  for (let i = 0; i < CASES; i++) {
    fs.writeFileSync(path, mutate(bases[i % bases.length], rand));
    let whole = true;
    const opened = parsesOrUserError(`case ${i}`, () => {
      const r = NpzReader.open(path);
      try {
        for (const k of r.keys()) {
          whole = parsesOrUserError(`case ${i} info('${k}')`, () => r.info(k)) && whole;
          whole = parsesOrUserError(`case ${i} read('${k}')`, () => r.read(k)) && whole;
        }
      } finally {
        r.close();
      }
    });
    if (opened && whole) parsed++;
  }
  assertBothOutcomes(parsed, 'npz archive');
});

test('mutated .npy bytes parse or throw UserError', { timeout: 15_000 }, () => {
  const bases = Object.values(EVERY_DTYPE).map(encodeNpy);
  const rand = prng(7);
  let parsed = 0;
  for (let i = 0; i < CASES; i++) {
    const bytes = mutate(bases[i % bases.length], rand);
    if (parsesOrUserError(`case ${i}`, () => parseNpy(bytes, 'fuzz'))) parsed++;
  }
  assertBothOutcomes(parsed, '.npy');
});
