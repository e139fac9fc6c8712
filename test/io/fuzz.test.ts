// Mutated archives must either parse or fail with a UserError: never another exception, never a
// hang, never an allocation sized by a corrupt length field. Both outcomes must occur: a run where
// every mutation parses never reached the checks, one where none parses never reached the data.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeNpy, parseNpy } from '../../src/io/npy.ts';
import { NpzReader, writeNpz } from '../../src/io/npz.ts';
import { EVERY_DTYPE, tempDir } from './npz-helpers.ts';
import { CASES, assertBothOutcomes, mutate, parsesOrUserError, prng } from './fuzz-helpers.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'npz');

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
