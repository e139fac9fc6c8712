// Small datasets for the robustness tests, each just large enough for a smoke run (two tasks of
// two classes, or 5-datasets' first two members), in TFDS form or in the native layouts, with
// helpers to put one fault into them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../../src/data/image.ts';
import { encodeExample } from '../../src/io/example.ts';
import { encodeTFRecord } from '../../src/io/tfrecord.ts';
import { pattern, writeCifarBin, writeIdx, writeTfds } from '../fixtures/data/write.ts';

const cycle = (n: number, k: number) => Array.from({ length: n }, (_, i) => i % k);

/** TFDS cifar100 holding classes 0..3 (all the smoke run trains on); returns the builder directory. */
export function tfdsCifar100(dataDir: string): Promise<string> {
  return writeTfds(dataDir, { name: 'cifar100', version: '3.0.2', numClasses: 100, splits: { train: { shards: [cycle(16, 4)] }, test: { shards: [cycle(8, 4)] } } });
}

/** TFDS cifar10 and mnist, 5-datasets' first two members; returns their builder directories. */
export async function tfdsFive(dataDir: string): Promise<{ cifar10: string; mnist: string }> {
  const splits = { train: { shards: [cycle(20, 10)] }, test: { shards: [cycle(10, 10)] } };
  return {
    cifar10: await writeTfds(dataDir, { name: 'cifar10', version: '3.0.2', numClasses: 10, splits }),
    mnist: await writeTfds(dataDir, { name: 'mnist', version: '3.0.1', numClasses: 10, shape: [8, 8, 1], splits }),
  };
}

/** The one shard of `split` in a builder directory written by writeTfds. */
export const shardOf = (builder: string, name: string, split: string) => join(builder, `${name}-${split}.tfrecord-00000-of-00001`);

/** Rewrites a shard with records of (image bytes, label), framed and checksummed as TFDS does. */
export function writeShard(file: string, records: { image: Uint8Array; label: number }[]): void {
  const frames = records.map((r) => encodeTFRecord(encodeExample({ image: { kind: 'bytes', values: [r.image] }, label: { kind: 'int64', values: [BigInt(r.label)] } })));
  writeFileSync(file, Buffer.concat(frames));
}

/** `labels` as records of valid 8×8 PNGs, with `bad` (record index → image bytes) swapped in. */
export async function pngRecords(labels: number[], channels = 3, bad: Record<number, Uint8Array> = {}): Promise<{ image: Uint8Array; label: number }[]> {
  return Promise.all(labels.map(async (label, k) => ({ image: bad[k] ?? (await encodePng(pattern(k, 8, 8, channels))), label })));
}

/** 5-datasets' first two members in their native layouts: CIFAR-10 binary and MNIST IDX files. */
export function nativeFive(dir: string): void {
  const bin = join(dir, 'cifar-10-batches-bin');
  mkdirSync(bin, { recursive: true });
  for (let k = 1; k <= 5; k++) writeCifarBin(join(bin, `data_batch_${k}.bin`), cycle(4, 10).map((l) => (l + 4 * k) % 10), false);
  writeCifarBin(join(bin, 'test_batch.bin'), cycle(10, 10), false);
  writeIdx(dir, 'train', cycle(20, 10), 8, 8);
  writeIdx(dir, 't10k', cycle(10, 10), 8, 8);
}

/** CIFAR-100's binary version holding classes 0..3. */
export function nativeCifar100(dir: string, trainLabels = cycle(16, 4)): string {
  const bin = join(dir, 'cifar-100-binary');
  mkdirSync(bin, { recursive: true });
  writeCifarBin(join(bin, 'train.bin'), trainLabels, true);
  writeCifarBin(join(bin, 'test.bin'), cycle(8, 4), true);
  return bin;
}

/** Flips one byte of a file. */
export function flipByte(file: string, at: number): void {
  const b = readFileSync(file);
  b[at < 0 ? b.length + at : at] ^= 0x40;
  writeFileSync(file, b);
}

/** Cuts `n` bytes off the end of a file. */
export function truncate(file: string, n: number): void {
  const b = readFileSync(file);
  writeFileSync(file, b.subarray(0, b.length - n));
}

/** Edits a JSON file in place. */
export function editJson(file: string, edit: (j: any) => void): void {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  edit(j);
  writeFileSync(file, JSON.stringify(j));
}
