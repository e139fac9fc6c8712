// The backbone readers under seeded mutations (as fuzz.test.ts does for npz): a mutated safetensors
// file, PyTorch zip or data.pkl either parses or fails with a UserError, through the format
// sniffing and every tensor read.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpointFormat } from '../../src/io/checkpoint-format.ts';
import { unpickle } from '../../src/io/pickle.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import type { TensorArchive } from '../../src/io/tensor-archive.ts';
import { TorchZipFile } from '../../src/io/torch-zip.ts';
import { ZipFile } from '../../src/io/zip-reader.ts';
import { CASES, assertBothOutcomes, mutate, parsesOrUserError, prng } from './fuzz-helpers.ts';
import { tempDir } from './npz-helpers.ts';
import { SAMPLE, safetensorsBytes } from './safetensors-helpers.ts';

const TINY = join(import.meta.dirname, '..', 'fixtures', 'torch', 'tiny.pth');
const FLOATS = new Set(['F32', 'F16', 'BF16']);

/** Opens `path` as `open` does and reads every float tensor; true when all of it parsed. */
function readAll(what: string, path: string, open: (p: string) => TensorArchive): boolean {
  let whole = true;
  const opened = parsesOrUserError(what, () => {
    checkpointFormat(path);
    const f = open(path);
    try {
      for (const [k, t] of f.tensors) if (FLOATS.has(t.dtype)) whole = parsesOrUserError(`${what} read('${k}')`, () => f.read(k)) && whole;
    } finally {
      f.close();
    }
  });
  return opened && whole;
}

test('mutated safetensors files parse or throw UserError', { timeout: 30_000 }, () => {
  const base = safetensorsBytes(SAMPLE);
  const path = join(tempDir(), 'fuzz.safetensors');
  const rand = prng(22);
  let parsed = 0;
  for (let i = 0; i < CASES; i++) {
    fs.writeFileSync(path, mutate(base, rand));
    if (readAll(`case ${i}`, path, (p) => SafetensorsFile.open(p))) parsed++;
  }
  assertBothOutcomes(parsed, 'safetensors file');
});

test('mutated PyTorch zips parse or throw UserError', { timeout: 30_000 }, () => {
  const base = fs.readFileSync(TINY);
  const path = join(tempDir(), 'fuzz.pth');
  const rand = prng(2022);
  let parsed = 0;
  for (let i = 0; i < CASES; i++) {
    fs.writeFileSync(path, mutate(base, rand));
    if (readAll(`case ${i}`, path, (p) => TorchZipFile.open(p))) parsed++;
  }
  assertBothOutcomes(parsed, 'PyTorch zip');
});

test('mutated data.pkl pickles parse or throw UserError', { timeout: 30_000 }, () => {
  // The zip's CRC stops most mutations of the pickle before it is read: mutate the pickle itself.
  const zip = ZipFile.open(TINY);
  const pkl = zip.read(zip.entries.find((e) => e.name.endsWith('data.pkl'))!);
  zip.close();
  const storage = () => ({ kind: 'storage' as const, dtype: 'F32', key: '0', numel: 6 });
  const rand = prng(1306);
  let parsed = 0;
  for (let i = 0; i < CASES; i++) {
    const bytes = mutate(pkl, rand);
    if (parsesOrUserError(`case ${i}`, () => unpickle(bytes, 'fuzz', storage))) parsed++;
  }
  assertBothOutcomes(parsed, 'data.pkl');
});
