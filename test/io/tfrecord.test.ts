import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTFRecord, readTFRecords, readTFRecordAt } from '../../src/io/tfrecord.ts';
import { UserError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'l2p-tfrecord-'));

function records(): Uint8Array[] {
  return [new Uint8Array(0), new TextEncoder().encode('hello'), Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff)];
}

function writeFile(name: string, recs: Uint8Array[]): string {
  const p = join(dir, name);
  writeFileSync(p, Buffer.concat(recs.map((r) => encodeTFRecord(r))));
  return p;
}

async function collect(path: string) {
  const out: { offset: number; data: Uint8Array }[] = [];
  for await (const r of readTFRecords(path)) out.push({ offset: r.offset, data: r.data.slice() });
  return out;
}

test('framing round-trips and offsets point at each header', async () => {
  const p = writeFile('ok.tfrecord', records());
  const got = await collect(p);
  assert.deepEqual(got.map((r) => r.data), records());
  assert.deepEqual(got.map((r) => r.offset), [0, 16, 16 + 21]);
  assert.deepEqual(await readTFRecordAt(p, 16), new TextEncoder().encode('hello'));
});

test('a known frame: the header of an empty record', () => {
  const frame = encodeTFRecord(new Uint8Array(0));
  assert.equal(frame.length, 16);
  // masked CRC of an empty payload is the mask constant
  assert.equal(new DataView(frame.buffer).getUint32(12, true), 0xa282ead8);
});

async function expectError(path: string, pattern: RegExp) {
  await assert.rejects(collect(path), (e: unknown) => e instanceof UserError && pattern.test(e.message));
}

test('a flipped data byte is reported with the file and record offset', async () => {
  const p = writeFile('bad-data.tfrecord', records());
  const bytes = readFileSync(p);
  bytes[16 + 12 + 2] ^= 1;
  writeFileSync(p, bytes);
  await expectError(p, /bad-data\.tfrecord.*corrupt TFRecord at byte 16: the data checksum/);
  await assert.rejects(readTFRecordAt(p, 16), /at byte 16: the data checksum/);
});

test('a damaged length is caught by the length checksum', async () => {
  const p = writeFile('bad-len.tfrecord', records());
  const bytes = readFileSync(p);
  bytes[37] ^= 0x40;
  writeFileSync(p, bytes);
  await expectError(p, /corrupt TFRecord at byte 37: the length checksum/);
});

test('a truncated file names the offset of the cut record', async () => {
  const p = writeFile('short.tfrecord', records());
  const bytes = readFileSync(p);
  writeFileSync(p, bytes.subarray(0, bytes.length - 3));
  await expectError(p, /truncated TFRecord at byte 37: the file ends at byte/);
  writeFileSync(p, bytes.subarray(0, 16 + 5));
  await expectError(p, /truncated TFRecord at byte 16/);
});

test('a missing file is a UserError', async () => {
  await expectError(join(dir, 'nope.tfrecord'), /nope\.tfrecord.*cannot open/);
});
