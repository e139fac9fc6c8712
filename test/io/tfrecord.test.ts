import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTFRecord, readTFRecords, readTFRecordAt } from '../../src/io/tfrecord.ts';
import { UserError } from '../../src/errors.ts';
import { openOn } from '../helpers/fds.ts';

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

async function refused(promise: Promise<unknown>, message: string) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

// Python: struct.pack('<Q', 5) + masked crc32c of it, b'hello', masked crc32c of b'hello' (crc32c
// written out bit by bit, checked against crc32c(b'123456789') = 0xe3069283).
const HELLO = '0500000000000000eab2043e68656c6c6fbb1f1c19';

test('a frame holds the bytes the format specifies', async () => {
  assert.equal(Buffer.from(encodeTFRecord(new TextEncoder().encode('hello'))).toString('hex'), HELLO);
  const p = join(dir, 'python.tfrecord');
  writeFileSync(p, Buffer.from(HELLO, 'hex'));
  assert.deepEqual(await collect(p), [{ offset: 0, data: new TextEncoder().encode('hello') }]);
});

test('a length above 2^53 − 1 is impossible; 2^53 − 1 itself runs past the end', async () => {
  // Headers from Python: struct.pack('<Q', n) and its masked crc32c, then four bytes of nothing.
  const cases: [string, string][] = [
    ['00000000000020001ed29445', 'corrupt TFRecord at byte 21: length 9007199254740992 is impossible'],
    ['ffffffffffff1f0063275631', 'truncated TFRecord at byte 21: the file ends at byte 37'],
  ];
  for (const [i, [header, why]] of cases.entries()) {
    const p = join(dir, `huge-${i}.tfrecord`);
    writeFileSync(p, Buffer.from(`${HELLO}${header}00000000`, 'hex'));
    await refused(collect(p), `'${p}': ${why}`);
    await refused(readTFRecordAt(p, 21), `'${p}': ${why}`);
  }
});

test('a missing file is refused with its error code', async () => {
  const p = join(dir, 'missing.tfrecord');
  await refused(collect(p), `'${p}': cannot open TFRecord file (ENOENT)`);
  await refused(readTFRecordAt(p, 0), `'${p}': cannot open TFRecord file (ENOENT)`);
});

const MiB = 1 << 20;
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i * 7 + seed + (i >>> 12);
  return out;
}

test('records across the 4 MiB read chunks, and one larger than two chunks, read back whole', async () => {
  // The 2 MiB record straddles the first chunk's end; the last is larger than twice the chunk and
  // ends the file.
  const recs = [pattern(100, 1), pattern(3 * MiB, 2), pattern(2 * MiB, 3), pattern(10, 4), pattern(9 * MiB, 5)];
  const p = writeFile('big.tfrecord', recs);
  const offsets = [0, 116, 116 + 3 * MiB + 16, 132 + 5 * MiB + 16, 132 + 5 * MiB + 42];
  const got: { offset: number; length: number; same: boolean }[] = [];
  for await (const r of readTFRecords(p)) {
    const want = recs[got.length];
    got.push({ offset: r.offset, length: r.length, same: Buffer.compare(r.data, want) === 0 });
  }
  assert.deepEqual(got, offsets.map((offset, k) => ({ offset, length: recs[k].length, same: true })));
  for (const k of [2, 4]) assert.equal(Buffer.compare(await readTFRecordAt(p, offsets[k]), recs[k]), 0);
});

const linux = existsSync('/proc/self/io') && existsSync('/proc/self/fd');

test('a file is read once: each record is not read again from the disk', { skip: !linux && 'needs /proc' }, async () => {
  // rchar: the bytes this process's read calls returned (reading /proc/self/io itself adds ~100).
  const rchar = () => Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  const recs = [...Array.from({ length: 200 }, (_, i) => pattern(50, i)), pattern(3 * MiB, 0)];
  const p = writeFile('once.tfrecord', recs);
  const size = statSync(p).size;
  await collect(p);
  const before = rchar();
  assert.equal((await collect(p)).length, recs.length);
  const read = rchar() - before;
  assert.ok(read >= size && read < size + 64 * 1024, `read ${read} bytes of a ${size}-byte file`);
});

test('no file descriptor stays open after reads, an early stop and refusals', { skip: !linux && 'needs /proc' }, async () => {
  const p = writeFile('fds.tfrecord', records());
  const bad = join(dir, 'fds-bad.tfrecord');
  writeFileSync(bad, readFileSync(p).subarray(0, 30));
  await collect(p);
  assert.equal(openOn(p), 0);
  for await (const r of readTFRecords(p)) if (r.offset === 16) break;
  assert.equal(openOn(p), 0);
  await readTFRecordAt(p, 16);
  assert.equal(openOn(p), 0);
  await assert.rejects(collect(bad));
  await assert.rejects(readTFRecordAt(bad, 16));
  assert.equal(openOn(bad), 0);
});
