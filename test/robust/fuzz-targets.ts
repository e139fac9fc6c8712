// The parsers the fuzz test mutates input for, each driven the way the readers drive it, and the
// worker loop that runs a fixed number of one target's cases. It runs in a worker thread so that
// the test's main thread can stop a case that hangs (a synchronous loop would block it otherwise).
// Each case must end in success or a UserError; the first other exception ends the run.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { encodeJpeg, encodePng } from '../../src/data/image.ts';
import { openCifarBinary } from '../../src/data/native/cifar.ts';
import { openIdxDataset } from '../../src/data/native/idx.ts';
import { openDataset } from '../../src/data/open.ts';
import { Pipeline } from '../../src/data/pipeline.ts';
import { UserError } from '../../src/errors.ts';
import { maskedCrc32c } from '../../src/io/crc32c.ts';
import { bytesFeature, decodeExample, encodeExample, int64Feature } from '../../src/io/example.ts';
import { openIdx, readIdxDims } from '../../src/io/idx.ts';
import { ProtoWriter } from '../../src/io/protobuf.ts';
import type { NpyArray } from '../../src/io/npy.ts';
import { readNpz, writeNpz } from '../../src/io/npz.ts';
import { encodeTFRecord, readTFRecordAt, readTFRecords } from '../../src/io/tfrecord.ts';
import { loadViT, saveViT } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { pattern, tempDir, writeCifarBin, writeIdx, writeTfds } from '../fixtures/data/write.ts';
import { caseRand, concatBytes, lieAbout, mutateBytes, pick, type Rand } from './mutate.ts';

interface Target {
  /** Writes the valid files the cases start from; returns what `run` needs. */
  setup(dir: string): Promise<unknown>;
  run(ctx: unknown, rand: Rand): Promise<void>;
}

// --- TFRecord framing and tf.train.Example ---------------------------------------------------

/** Examples with every feature kind, packed and unpacked numeric lists, and an unknown field. */
async function examplePayloads(): Promise<Uint8Array[]> {
  const png = await encodePng(pattern(1, 4, 4, 3));
  const unpacked = new ProtoWriter()
    .message(1, (fs) => {
      fs.message(1, (e) => e.string(1, 'label').message(2, (f) => f.message(3, (l) => l.varint(1, 7).varint(1, -3))));
      fs.message(1, (e) => e.string(1, 'score').message(2, (f) => f.message(2, (l) => l.float(1, 0.5).float(1, 2))));
      fs.message(1, (e) => e.string(1, 'image').message(2, (f) => f.message(1, (l) => l.bytes(1, png))));
    })
    .varint(9, 1)
    .finish();
  return [
    encodeExample({ image: { kind: 'bytes', values: [png] }, label: { kind: 'int64', values: [3n] } }),
    encodeExample({ label: { kind: 'int64', values: [1n, 2n ** 40n] }, x: { kind: 'float', values: [1, -2, 3.5] }, empty: { kind: 'bytes', values: [] } }),
    unpacked,
  ];
}

/** Rewrites the length of the record at `offset` and its header checksum, so the lie is believed. */
function lieInRecordLength(file: Uint8Array, offset: number, rand: Rand): Uint8Array {
  const out = file.slice();
  const dv = new DataView(out.buffer);
  dv.setBigUint64(offset, BigInt.asUintN(64, lieAbout(Number(dv.getBigUint64(offset, true)), rand)), true);
  dv.setUint32(offset + 8, maskedCrc32c(out.subarray(offset, offset + 8)), true);
  return out;
}

const tfrecord: Target = {
  async setup(dir) {
    return { path: join(dir, 'fuzz.tfrecord'), payloads: await examplePayloads() };
  },
  async run(ctx, rand) {
    const { path, payloads } = ctx as { path: string; payloads: Uint8Array[] };
    const mode = Math.floor(rand() * 3);
    let file: Uint8Array;
    if (mode === 0) {
      // a mutated Example, framed with valid checksums so that it reaches the decoder
      file = concatBytes(payloads.map((p) => encodeTFRecord(rand() < 0.5 ? mutateBytes(p, rand) : p)));
    } else {
      const frames = payloads.map((p) => encodeTFRecord(p));
      file = concatBytes(frames);
      const offsets = frames.map((_, k) => frames.slice(0, k).reduce((a, f) => a + f.length, 0));
      file = mode === 1 ? lieInRecordLength(file, pick(rand, offsets), rand) : mutateBytes(file, rand);
    }
    writeFileSync(path, file);
    try {
      // what a source does with an offset found by an earlier scan, here of a file since corrupted
      await readTFRecordAt(path, 0);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
    }
    for await (const r of readTFRecords(path)) {
      const what = `'${path}' record at byte ${r.offset}`;
      const features = decodeExample(r.data.slice(), what);
      for (const k of features.keys()) {
        try {
          int64Feature(features, k, what);
          bytesFeature(features, k, what);
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
        }
      }
    }
  },
};

// --- IDX, raw and gzipped --------------------------------------------------------------------

/** Lies about one of the dimensions in an IDX header (big-endian uint32 from byte 4). */
function lieInIdxDims(file: Uint8Array, rand: Rand): Uint8Array {
  const out = file.slice();
  const ndims = out[3];
  if (ndims === 0 || out.length < 4 + 4 * ndims) return out;
  const k = Math.floor(rand() * ndims);
  const dv = new DataView(out.buffer);
  dv.setUint32(4 + 4 * k, Number(BigInt.asUintN(32, lieAbout(dv.getUint32(4 + 4 * k, false), rand))), false);
  return out;
}

const idx: Target = {
  async setup(dir) {
    const raw = join(dir, 'raw');
    const gz = join(dir, 'gz');
    for (const [d, zip] of [[raw, false], [gz, true]] as const) {
      writeIdx(d, 't10k', [1, 2, 3], 6, 5, zip);
      writeIdx(d, 'train', [0, 1, 2, 3, 9], 6, 5, zip);
    }
    const names = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'];
    const bases = names.map((n) => new Uint8Array(readFileSync(join(raw, n))));
    return { raw, gz, names, bases };
  },
  async run(ctx, rand) {
    const { raw, gz, names, bases } = ctx as { raw: string; gz: string; names: string[]; bases: Uint8Array[] };
    const which = Math.floor(rand() * 2);
    const zipped = rand() < 0.4;
    const dir = zipped ? gz : raw;
    let bytes = rand() < 0.4 ? lieInIdxDims(bases[which], rand) : mutateBytes(bases[which], rand);
    if (zipped) bytes = rand() < 0.5 ? gzipSync(bytes) : mutateBytes(gzipSync(bases[which]), rand);
    const path = join(dir, zipped ? `${names[which]}.gz` : names[which]);
    writeFileSync(path, bytes);
    try {
      await readIdxDims(path);
      const f = await openIdx(path);
      await f.item(0);
      await f.item(Math.max(0, (f.dims[0] ?? 1) - 1));
      await f.all();
      const ds = await openIdxDataset(dir, 'mnist');
      const s = await ds.source('train');
      if (s.length > 0) await s.get(s.length - 1);
    } finally {
      // the next case starts from the valid pair again
      writeFileSync(path, zipped ? gzipSync(bases[which]) : bases[which]);
    }
  },
};

// --- CIFAR binary ----------------------------------------------------------------------------

const cifar: Target = {
  async setup(dir) {
    const bin = join(dir, 'cifar-10-batches-bin');
    mkdirSync(bin, { recursive: true });
    for (let k = 1; k <= 5; k++) writeCifarBin(join(bin, `data_batch_${k}.bin`), [k, 9], false);
    writeCifarBin(join(bin, 'test_batch.bin'), [0, 5, 9], false);
    return { dir, bin, base: new Uint8Array(readFileSync(join(bin, 'test_batch.bin'))) };
  },
  async run(ctx, rand) {
    const { dir, bin, base } = ctx as { dir: string; bin: string; base: Uint8Array };
    const path = join(bin, rand() < 0.7 ? 'test_batch.bin' : 'data_batch_3.bin');
    writeFileSync(path, mutateBytes(base, rand));
    try {
      const ds = openCifarBinary(dir, 'cifar10');
      for (const split of ['test', 'train']) {
        const s = await ds.source(split);
        for (let i = 0; i < Math.min(3, s.length); i++) await s.get(i);
      }
    } finally {
      writeFileSync(path, base);
    }
  },
};

// --- TFDS dataset_info.json and features.json ------------------------------------------------

const ODD_VALUES: unknown[] = [null, -1, 0, 1.5, 1e12, 2 ** 53, '', 'x', '-3', '1e9', '../../../etc/passwd', '/etc/passwd', '__proto__', [], {}, true, 'z'.repeat(300)];

/** Every place in a JSON value: a parent and a key (or index) into it. */
function places(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), places(x, out)));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) out.push([v as Record<string, unknown>, k]), places(x, out);
  return out;
}

/** A structural edit of parsed JSON (replace, delete, duplicate, wrap) or a byte edit of its text. */
function mutateJson(text: string, rand: Rand): string {
  if (rand() < 0.2) return new TextDecoder().decode(mutateBytes(new TextEncoder().encode(text), rand));
  const root = JSON.parse(text);
  for (let edits = 1 + Math.floor(rand() * 3); edits > 0; edits--) {
    const all = places(root);
    if (all.length === 0) break;
    const [parent, key] = pick(rand, all);
    const kind = Math.floor(rand() * 4);
    const p = parent as Record<string | number, unknown>;
    if (kind === 0) p[key] = pick(rand, ODD_VALUES);
    else if (kind === 1) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete p[key];
    } else if (kind === 2 && Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
    else p[key] = [p[key]];
  }
  return JSON.stringify(root);
}

const tfdsJson: Target = {
  async setup(dir) {
    const builder = await writeTfds(dir, { name: 'cifar10', numClasses: 10, splits: { train: { shards: [[0, 1], [2]] }, test: { shards: [[3]] } } });
    const files = ['dataset_info.json', 'features.json'].map((n) => join(builder, n));
    return { dir, files, texts: files.map((f) => readFileSync(f, 'utf8')) };
  },
  async run(ctx, rand) {
    const { dir, files, texts } = ctx as { dir: string; files: string[]; texts: string[] };
    const k = rand() < 0.65 ? 0 : 1;
    writeFileSync(files[k], mutateJson(texts[k], rand));
    try {
      const ds = await openDataset('cifar10', { dataDir: dir, format: 'tfds' });
      for (const split of Object.keys(ds.splits)) {
        for await (const _ of ds.read(`${split}[:1]`)) break;
      }
    } finally {
      writeFileSync(files[k], texts[k]);
    }
  },
};

// --- PNG and JPEG records through the pipeline -----------------------------------------------

const image: Target = {
  async setup(dir) {
    const builder = await writeTfds(dir, { name: 'toy', numClasses: 10, splits: { train: { shards: [[0, 1, 2, 3]] } } });
    const bases = [
      await encodePng(pattern(1, 8, 8, 3)),
      await encodePng(pattern(2, 9, 7, 1)),
      await encodePng(pattern(3, 6, 6, 4)),
      await encodeJpeg(pattern(4, 12, 10, 3), 90),
      await encodeJpeg(pattern(5, 8, 8, 1), 90),
    ];
    return { dir, shard: join(builder, 'toy-train.tfrecord-00000-of-00001'), bases };
  },
  async run(ctx, rand) {
    const { dir, shard, bases } = ctx as { dir: string; shard: string; bases: Uint8Array[] };
    const records = [0, 1, 2, 3].map((label) => {
      const img = pick(rand, bases);
      const encoded = rand() < 0.4 ? mutateBytes(img, rand) : img;
      return encodeTFRecord(encodeExample({ image: { kind: 'bytes', values: [encoded] }, label: { kind: 'int64', values: [BigInt(label)] } }));
    });
    writeFileSync(shard, concatBytes(records));
    const ds = await openDataset('toy', { dataDir: dir });
    const pipe = new Pipeline(await ds.source('train'), {
      batchSize: 4,
      train: rand() < 0.5,
      epochs: 1,
      workers: 0,
      preprocess: { resizeSize: 20, inputSize: 16 },
    });
    try {
      await pipe.next();
    } finally {
      await pipe.close();
    }
  },
};

// --- ViT checkpoints (npz in the official layout) --------------------------------------------

/** Key-level edits of a checkpoint: entries dropped, added, renamed, reshaped or stored in another dtype. */
function mutateArrays(base: Map<string, NpyArray>, rand: Rand): Map<string, NpyArray> {
  const out = new Map(base);
  for (let edits = 1 + Math.floor(rand() * 2); edits > 0; edits--) {
    const keys = [...out.keys()];
    const k = pick(rand, keys);
    const a = out.get(k)!;
    const kind = Math.floor(rand() * 5);
    if (kind === 0) out.delete(k);
    else if (kind === 1) out.set(pick(rand, ['head/kernel', 'pre_logits/bias', 'Transformer/extra', `${k}/x`, 'Transformer/encoderblock_9/LayerNorm_0/scale']), a);
    else if (kind === 2) (out.delete(k), out.set(`opt/target/${k}`, a));
    else if (kind === 3) out.set(k, { ...a, shape: rand() < 0.5 ? [...a.shape].reverse() : [a.data.length] });
    else out.set(k, { dtype: 'float64', shape: a.shape, data: Float64Array.from(a.data as Float32Array) });
  }
  return out;
}

const checkpoint: Target = {
  async setup(dir) {
    const file = join(dir, 'vit.npz');
    saveViT(file, randomViT(decodeVariant('ViT-mu_8'), 4, 1));
    return { file, bytes: new Uint8Array(readFileSync(file)), arrays: readNpz(file) };
  },
  async run(ctx, rand) {
    const { file, bytes, arrays } = ctx as { file: string; bytes: Uint8Array; arrays: Map<string, NpyArray> };
    // byte edits mostly meet the entries' CRCs; key edits reach the strict loader behind them
    if (rand() < 0.5) writeFileSync(file, mutateBytes(bytes, rand));
    else writeNpz(file, mutateArrays(arrays, rand));
    loadViT(file, rand() < 0.5 ? decodeVariant('ViT-mu_8') : undefined);
  },
};

export const TARGETS: Record<string, Target> = { tfrecord, idx, cifar, 'tfds-json': tfdsJson, image, checkpoint };

export type FuzzMessage =
  | { kind: 'ready' }
  | { kind: 'case'; i: number }
  | { kind: 'fail'; i: number; error: string }
  | { kind: 'done'; cases: number; userErrors: number; peakRss: number };

export interface FuzzJob {
  target: string;
  seed: number;
  /** Cases to run: case i draws from caseRand(seed, i). */
  cases: number;
}

/** The worker's side: runs the cases of one target, reporting each start. */
export async function serve(): Promise<void> {
  const job = workerData as FuzzJob;
  const post = (m: FuzzMessage) => parentPort!.postMessage(m);
  const target = TARGETS[job.target];
  const dir = tempDir(`fuzz-${job.target}`);
  let outcome: FuzzMessage;
  try {
    outcome = await cases(job, target, await target.setup(dir), post);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // posted last: the watcher ends the worker when it arrives
  post(outcome);
}

async function cases(job: FuzzJob, target: Target, ctx: unknown, post: (m: FuzzMessage) => void): Promise<FuzzMessage> {
  post({ kind: 'ready' });
  let userErrors = 0;
  let peakRss = 0;
  let i = 0;
  for (; i < job.cases; i++) {
    post({ kind: 'case', i });
    try {
      await target.run(ctx, caseRand(job.seed, i));
    } catch (e) {
      if (!(e instanceof UserError)) return { kind: 'fail', i, error: (e as Error).stack ?? String(e) };
      userErrors++;
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  return { kind: 'done', cases: i, userErrors, peakRss };
}
