import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { EventWriter } from '../../src/report/events.ts';
import { readEventDir, readEvents, type EventEntry } from '../../src/report/event-reader.ts';
import { idHistogram } from '../../src/report/histogram.ts';
import { encodeFileVersionEvent, encodeSummaryEvent } from '../../src/report/event-proto.ts';
import { encodeTFRecord } from '../../src/io/tfrecord.ts';
import { UserError } from '../../src/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'l2p-events-'));
let dirs = 0;
const freshDir = () => join(root, `run${dirs++}`);

/** A clock that returns the given seconds in turn, then keeps returning the last one. */
function clock(...seconds: number[]): () => number {
  let i = 0;
  return () => seconds[Math.min(i++, seconds.length - 1)];
}

// ---- An independent decoder: bitwise CRC-32C, TFRecord framing and protobuf fields, written
// ---- here from the specs so the writer is not checked against its own reading code.

function crc32cBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
const masked = (bytes: Uint8Array) => {
  const c = crc32cBitwise(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
};

/** Splits a TFRecord file, asserting both masked CRCs of every record. */
function frames(file: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(file.buffer, file.byteOffset, file.length);
  for (let p = 0; p < file.length; ) {
    const len = Number(dv.getBigUint64(p, true));
    assert.equal(dv.getUint32(p + 8, true), masked(file.subarray(p, p + 8)), `length CRC at ${p}`);
    const data = file.subarray(p + 12, p + 12 + len);
    assert.equal(dv.getUint32(p + 12 + len, true), masked(data), `data CRC at ${p}`);
    out.push(data);
    p += 16 + len;
  }
  return out;
}

type Field = { n: number; wire: number; v: bigint; b: Uint8Array };
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let p = 0;
  const varint = () => {
    let r = 0n;
    for (let s = 0n; ; s += 7n) {
      const byte = buf[p++];
      r |= BigInt(byte & 0x7f) << s;
      if (byte < 0x80) return r;
    }
  };
  while (p < buf.length) {
    const key = Number(varint());
    const f: Field = { n: key >> 3, wire: key & 7, v: 0n, b: new Uint8Array(0) };
    if (f.wire === 0) f.v = varint();
    else {
      const len = f.wire === 1 ? 8 : f.wire === 5 ? 4 : Number(varint());
      f.b = buf.subarray(p, p + len);
      p += len;
    }
    out.push(f);
  }
  return out;
}
const one = (fs: Field[], n: number): Field => {
  const hits = fs.filter((f) => f.n === n);
  assert.equal(hits.length, 1, `field ${n} occurs ${hits.length} times`);
  return hits[0];
};
const f64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
const f32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
const f64s = (b: Uint8Array) => Array.from({ length: b.length / 8 }, (_, i) => f64(b.subarray(8 * i)));
const str = (b: Uint8Array) => new TextDecoder().decode(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Event -> {wall, step, values: Summary.Value field lists}. */
function event(data: Uint8Array) {
  const fs = fields(data);
  const step = fs.find((f) => f.n === 2);
  const summary = fs.find((f) => f.n === 5);
  return {
    wall: f64(one(fs, 1).b),
    step: step === undefined ? 0 : Number(step.v),
    values: summary === undefined ? [] : fields(summary.b).map((v) => (assert.equal(v.n, 1), fields(v.b))),
  };
}

// ---- The tests.

test('the header and a scalar event are the exact bytes computed independently', () => {
  const w = new EventWriter(freshDir(), { now: clock(1700000000.5, 1700000001.25), host: 'testhost' });
  w.scalar('loss', 0.5, 7);
  w.close();
  assert.equal(basename(w.path), 'events.out.tfevents.1700000000.testhost');
  // Expected bytes from a separate Python script (struct.pack and a bitwise CRC-32C):
  // record 1: Event{wall_time=1700000000.5, file_version="brain.Event:2"}
  // record 2: Event{wall_time=1700000001.25, step=7, summary{value{tag="loss", simple_value=0.5}}}
  const expected =
    '1800000000000000a37f4b22' + '0900002040fc54d9411a0d627261696e2e4576656e743a32' + '2b353110' +
    '1a00000000000000129bd82d' + '0900005040fc54d94110072a0d0a0b0a046c6f7373150000003f' + '02181607';
  assert.equal(hex(readFileSync(w.path)), expected);
});

test('scalars, histograms and text decode independently with the right fields', () => {
  const w = new EventWriter(freshDir(), { now: clock(100, 101, 102, 103, 104, 105), host: 'h' });
  w.scalars({ train_accuracy: 0.75, learning_rate: 0.03 }, 2);
  w.histogram('histogram_0', idHistogram([0, 2, 2, 4], 5), 3);
  w.histogram('weights', [-2, 0, 1, 1], 4);
  w.text('notes', '**bold** é', 5);
  w.close();
  const recs = frames(readFileSync(w.path)).map(event);
  assert.equal(recs.length, 5);

  const head = fields(frames(readFileSync(w.path))[0]);
  assert.equal(str(one(head, 3).b), 'brain.Event:2');
  assert.equal(recs[0].wall, 100);

  const [acc, lr] = recs[1].values;
  assert.deepEqual([recs[1].wall, recs[1].step], [101, 2]);
  assert.equal(str(one(acc, 1).b), 'train_accuracy');
  assert.equal(one(acc, 2).wire, 5);
  assert.equal(f32(one(acc, 2).b), 0.75);
  assert.equal(str(one(lr, 1).b), 'learning_rate');
  assert.equal(f32(one(lr, 2).b), Math.fround(0.03));

  // HistogramProto: min=1 max=2 num=3 sum=4 sum_squares=5, packed bucket_limit=6, bucket=7.
  const ids = recs[2].values[0];
  assert.equal(recs[2].step, 3);
  assert.equal(str(one(ids, 1).b), 'histogram_0');
  const h = fields(one(ids, 5).b);
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => f64(one(h, n).b)), [0, 4, 4, 8, 24]);
  assert.equal(one(h, 6).wire, 2);
  assert.deepEqual(f64s(one(h, 6).b), [0.5, 1.5, 2.5, 3.5, 4.5]);
  assert.deepEqual(f64s(one(h, 7).b), [1, 0, 2, 0, 1]);

  const raw = fields(one(recs[3].values[0], 5).b);
  const limits = f64s(one(raw, 6).b);
  const counts = f64s(one(raw, 7).b);
  assert.deepEqual([f64(one(raw, 1).b), f64(one(raw, 2).b), f64(one(raw, 3).b)], [-2, 1, 4]);
  assert.equal(counts.reduce((a, b) => a + b), 4);
  // Each value lies in [previous limit, its bucket's limit); 0 has a bucket of its own ending at 1e-12.
  const bucketOf = (x: number) => limits.findIndex((l) => l > x);
  assert.equal(counts[bucketOf(1)], 2);
  assert.equal(counts[bucketOf(-2)], 1);
  assert.equal(limits[bucketOf(0)], 1e-12);
  assert.equal(limits.at(-1), Number.MAX_VALUE);

  // Text: metadata(9).plugin_data(1).plugin_name(1) = "text"; tensor(8){dtype(1)=DT_STRING(7), tensor_shape(2)={}, string_val(8)}.
  const text = recs[4].values[0];
  assert.equal(str(one(text, 1).b), 'notes');
  assert.equal(str(one(fields(one(fields(one(text, 9).b), 1).b), 1).b), 'text');
  const tensor = fields(one(text, 8).b);
  assert.equal(one(tensor, 1).v, 7n);
  assert.equal(one(tensor, 2).b.length, 0);
  assert.equal(str(one(tensor, 8).b), '**bold** é');
});

test('the reader returns the same values, one entry per summary value', async () => {
  const dir = freshDir();
  const w = new EventWriter(dir, { now: clock(10, 11, 12, 13), host: 'h' });
  w.scalars({ accuracy_0: 0.5, eval_loss_0: 1.25 }, 1);
  w.histogram('histogram_0', idHistogram([1, 1, 3], 4), 1);
  w.hparams({ prompt_pool: { pool_size: 10, length: 5 }, optim: 'adam' });
  w.close();
  const got: EventEntry[] = [];
  for await (const e of readEventDir(dir)) got.push(e);
  assert.deepEqual(
    got.map((e) => [e.kind, e.tag, e.step, e.wallTime]),
    [
      ['scalar', 'accuracy_0', 1, 11],
      ['scalar', 'eval_loss_0', 1, 11],
      ['histogram', 'histogram_0', 1, 12],
      ['text', 'hparams', 0, 13],
    ],
  );
  assert.equal(got[1].kind === 'scalar' && got[1].value, 1.25);
  assert.deepEqual(got[2].kind === 'histogram' && got[2].histogram.bucket, [0, 2, 0, 1]);
  assert.equal(
    got[3].kind === 'text' && got[3].text,
    '| key | value |\n| --- | --- |\n| prompt_pool.pool_size | 10 |\n| prompt_pool.length | 5 |\n| optim | "adam" |',
  );
  assert.equal(got[0].offset, 40); // after the header record: 16 bytes of framing + a 24-byte Event
});

test('a second writer in the same directory starts a new file, read after the first', async () => {
  const dir = freshDir();
  const a = new EventWriter(dir, { now: () => 500, host: 'h' });
  a.scalar('loss', 1, 1);
  a.close();
  const b = new EventWriter(dir, { now: () => 500, host: 'h' });
  b.scalar('loss', 2, 2);
  b.close();
  assert.deepEqual(readdirSync(dir).sort(), ['events.out.tfevents.0000000500.h', 'events.out.tfevents.0000000500.h.1']);
  const steps: number[] = [];
  for await (const e of readEventDir(dir)) steps.push(e.step);
  assert.deepEqual(steps, [1, 2]);
});

test('a truncated last record is reported with the file and its offset; earlier records survive', async () => {
  const w = new EventWriter(freshDir(), { now: () => 1, host: 'h' });
  w.scalar('loss', 1, 1);
  w.scalar('loss', 2, 2);
  w.flush();
  const size = readFileSync(w.path).length;
  const lastStart = size - (16 + 26); // framing + the 26-byte event {wall_time, step, summary{value{tag "loss", simple_value}}}
  truncateSync(w.path, size - 3);
  const seen: number[] = [];
  await assert.rejects(
    async () => {
      for await (const e of readEvents(w.path)) seen.push(e.step);
    },
    (e: unknown) =>
      e instanceof UserError && e.message.includes(w.path) && e.message.includes(`truncated TFRecord at byte ${lastStart}`),
  );
  assert.deepEqual(seen, [1]);
  w.close();
});

test('a file that does not start with the event header, or holds a non-Event record, is rejected', async () => {
  const dir = freshDir();
  mkdirSync(dir);
  const scalar = encodeSummaryEvent(1, 1, [{ kind: 'scalar', tag: 'x', value: 1 }]);
  const noHeader = join(dir, 'events.out.tfevents.noheader');
  writeFileSync(noHeader, encodeTFRecord(scalar));
  await assert.rejects(readEvents(noHeader).next(), /noheader.*first record is a summary event, expected file_version "brain\.Event:2"/);

  // CRCs intact but the payload is not protobuf: field 1 claims 100 bytes that are not there.
  const garbled = join(dir, 'events.out.tfevents.garbled');
  writeFileSync(garbled, Buffer.concat([encodeTFRecord(encodeFileVersionEvent(1)), encodeTFRecord(Uint8Array.of(0x0a, 100))]));
  await assert.rejects(readEvents(garbled).next(), /garbled.*record at byte 40 is not a valid Event/);
});

test('bad arguments and writes after close fail loudly', () => {
  const w = new EventWriter(freshDir(), { now: () => 1, host: 'h' });
  assert.throws(() => w.scalar('loss', 1, -1), /non-negative integer/);
  assert.throws(() => w.scalar('loss', 1, 1.5), /non-negative integer/);
  assert.throws(() => w.scalar('', 1, 1), /tag must not be empty/);
  assert.throws(() => w.histogram('h', [1, NaN], 1), /value 1 is NaN/);
  w.close();
  w.close();
  assert.throws(() => w.scalar('loss', 1, 1), /is closed/);
});
