// The zip writer read back by Python's zipfile, with every header field unpacked by `struct` and
// compared with values worked out by hand from the PKWARE APPNOTE layout (local header 30 bytes + name
// + extra, central header 46 + name + extra, Zip64 extra id 1, Zip64 end record 56 bytes, locator 20,
// end of central directory 22).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type ZipWriteEntry, type ZipWriteOptions, zipChunks } from '../../src/io/zip-writer.ts';
import { tempDir } from './npz-helpers.ts';

const PYTHON = '/usr/bin/python3';
const dir = tempDir();
const U32_MAX = 0xffffffff;

// argv: zip file, the archive offset at which that file starts (0 for a whole archive), then local
// headers (hex) that lie before the file. Large archives print only their first and last two entries.
const DESCRIBE = String.raw`
import json, struct, sys, zipfile
path, base, extra_locals = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
raw = open(path, 'rb').read()

def local(b):
    f = struct.unpack('<IHHHHHIIIHH', b[:30])
    return {'sig': f[0], 'version': f[1], 'flags': f[2], 'method': f[3], 'time': f[4], 'date': f[5], 'crc': f[6],
            'csize': f[7], 'size': f[8], 'name': b[30:30 + f[9]].decode('utf-8'), 'extra': b[30 + f[9]:30 + f[9] + f[10]].hex()}

out = {}
with zipfile.ZipFile(path) as z:
    infos = z.infolist()
    out['count'] = len(infos)
    if base == 0 and len(infos) < 100: out['testzip'] = z.testzip()
    entries = []
    for i in (infos if len(infos) <= 4 else infos[:2] + infos[-2:]):
        e = {'name': i.filename, 'crc': i.CRC, 'size': i.file_size, 'csize': i.compress_size, 'method': i.compress_type,
             'offset': i.header_offset + base, 'flags': i.flag_bits, 'madeBy': [i.create_system, i.create_version],
             'extract': i.extract_version, 'attr': oct(i.external_attr >> 16), 'lowAttr': i.external_attr & 0xffff,
             'date': list(i.date_time), 'extra': i.extra.hex()}
        if i.header_offset >= 0:
            e['local'] = local(raw[i.header_offset:])
            e['data'] = z.read(i).hex()
        entries.append(e)
    out['entries'] = entries
out['locals'] = [local(bytes.fromhex(h)) for h in extra_locals]
out['eocd'] = list(struct.unpack('<IHHHHIIH', raw[-22:]))
if raw[-42:-38] == b'PK\x06\x07':
    out['locator'] = list(struct.unpack('<IIQI', raw[-42:-22]))
    out['zip64'] = list(struct.unpack('<IQHHIIQQQQ', raw[-98:-42]))
print(json.dumps(out))
`;

interface Local {
  sig: number;
  version: number;
  flags: number;
  method: number;
  time: number;
  date: number;
  crc: number;
  csize: number;
  size: number;
  name: string;
  extra: string;
}
interface Entry {
  name: string;
  crc: number;
  size: number;
  csize: number;
  method: number;
  offset: number;
  flags: number;
  madeBy: [number, number];
  extract: number;
  attr: string;
  lowAttr: number;
  date: number[];
  extra: string;
  local?: Local;
  data?: string;
}
interface Described {
  count: number;
  testzip?: string | null;
  entries: Entry[];
  locals: Local[];
  eocd: number[];
  locator?: number[];
  zip64?: number[];
}

function describe(bytes: Uint8Array, base = 0, locals: Uint8Array[] = []): Described {
  const p = join(dir, 'x.zip');
  fs.writeFileSync(p, bytes);
  const hex = locals.map((b) => Buffer.from(b).toString('hex'));
  return JSON.parse(execFileSync(PYTHON, ['-c', DESCRIBE, p, String(base), ...hex], { encoding: 'utf8', maxBuffer: 1 << 26 })) as Described;
}

const zip = (entries: ZipWriteEntry[], opts: ZipWriteOptions) => Buffer.concat([...zipChunks(entries, opts)]);
const enc = (s: string) => new TextEncoder().encode(s);
/** A little-endian u64 as hex, the way `bytes.hex()` prints it. */
const u64 = (n: number) => Buffer.from(new BigUint64Array([BigInt(n)]).buffer).toString('hex');

const SIG = { local: 0x04034b50, eocd: 0x06054b50, zip64: 0x06064b50, locator: 0x07064b50 };
/** Version made by: Unix (3) in the high byte, 2.0 or 4.5 (Zip64) in the low byte. */
const MADE_BY_45 = (3 << 8) | 45;
/** 1980-01-01 in DOS date bits: (year - 1980) << 9 | month << 5 | day. */
const DOS_1980 = (1 << 5) | 1;
const UTF8 = 0x800;

// 'dir/ünï.bin' is 13 bytes of UTF-8 (ü and ï take two each); 'a.txt' holds '123456789' in two parts.
const SMALL: ZipWriteEntry[] = [
  { name: 'a.txt', parts: [enc('1234'), enc('56789')] },
  { name: 'dir/ünï.bin', parts: [Uint8Array.of(0, 255, 7)] },
  { name: 'empty', parts: [] },
];
const SMALL_CRC = [0xcbf43926, 0xf201b1c3, 0]; // zlib.crc32 in Python
const SMALL_DATA = ['313233343536373839', '00ff07', ''];
const SMALL_FLAGS = [0, UTF8, 0];

/** The fields every entry of ours has, whatever its sizes. */
function common(e: Entry, i: number): void {
  assert.equal(e.name, SMALL[i].name);
  assert.equal(e.crc, SMALL_CRC[i]);
  assert.equal(e.flags, SMALL_FLAGS[i], `${e.name}: general purpose flags`);
  assert.equal(e.attr, '0o100644');
  assert.equal(e.lowAttr, 0);
  assert.deepEqual(e.date, [1980, 1, 1, 0, 0, 0]);
  assert.equal(e.data, SMALL_DATA[i]);
  assert.ok(e.local);
  assert.deepEqual([e.local.sig, e.local.flags, e.local.method, e.local.time, e.local.date, e.local.crc, e.local.name], [SIG.local, SMALL_FLAGS[i], e.method, 0, DOS_1980, SMALL_CRC[i], SMALL[i].name]);
}

test('zip writer: stored entries, classic headers only, as Python reads them', () => {
  const d = describe(zip(SMALL, { compress: false }));
  assert.equal(d.testzip, null);
  // Local headers at 0, 30+5+9 = 44 and 44+30+13+3 = 90; the directory at 90+30+5 = 125, 3·46+5+13+5 = 161 long.
  const offsets = [0, 44, 90];
  d.entries.forEach((e, i) => {
    common(e, i);
    const size = [9, 3, 0][i];
    assert.deepEqual([e.size, e.csize, e.method, e.offset, e.extra, e.madeBy, e.extract], [size, size, 0, offsets[i], '', [3, 20], 20]);
    assert.deepEqual([e.local?.version, e.local?.csize, e.local?.size, e.local?.extra], [20, size, size, '']);
  });
  assert.deepEqual(d.eocd, [SIG.eocd, 0, 0, 3, 3, 161, 125, 0]);
  assert.equal(d.zip64, undefined);
});

test('zip writer: deflated entries carry method 8 and their compressed sizes', () => {
  const zeros = { name: 'zeros', parts: [new Uint8Array(1000)] };
  const d = describe(zip([...SMALL, zeros], { compress: true }));
  assert.equal(d.testzip, null);
  let next = 0;
  d.entries.forEach((e, i) => {
    if (i < 3) common(e, i);
    assert.deepEqual([e.method, e.local?.method, e.local?.version, e.extract, e.extra, e.local?.extra], [8, 8, 20, 20, '', '']);
    assert.deepEqual([e.local?.size, e.local?.csize], [e.size, e.csize]);
    assert.equal(e.offset, next);
    next += 30 + enc(e.name).length + e.csize;
  });
  assert.equal(d.entries[3].data, '00'.repeat(1000));
  assert.ok(d.entries[3].csize < 20, `1000 zeros deflate to ${d.entries[3].csize} bytes`);
  assert.deepEqual(d.eocd.slice(3, 7), [4, 4, 3 * 46 + 5 + 13 + 5 + 46 + 5, next]);
});

test('zip writer: forced Zip64 puts every size and offset in the extra fields and writes the Zip64 end records', () => {
  const d = describe(zip(SMALL, { compress: false, forceZip64: true }));
  assert.equal(d.testzip, null);
  // Local headers grow by a 20-byte extra (sizes), central ones by a 28-byte extra (sizes, offset):
  // locals at 0, 30+5+20+9 = 64, 64+30+13+20+3 = 130; the directory at 130+30+5+20 = 185, 3·(46+28)+23 = 245 long.
  const offsets = [0, 64, 130];
  d.entries.forEach((e, i) => {
    common(e, i);
    const size = [9, 3, 0][i];
    assert.deepEqual([e.size, e.csize, e.offset, e.madeBy, e.extract], [size, size, offsets[i], [3, 45], 45]);
    assert.equal(e.extra, `01001800${u64(size)}${u64(size)}${u64(offsets[i])}`);
    assert.deepEqual([e.local?.version, e.local?.csize, e.local?.size], [45, U32_MAX, U32_MAX]);
    assert.equal(e.local?.extra, `01001000${u64(size)}${u64(size)}`);
  });
  assert.deepEqual(d.zip64, [SIG.zip64, 44, MADE_BY_45, 45, 0, 0, 3, 3, 245, 185]);
  assert.deepEqual(d.locator, [SIG.locator, 0, 185 + 245, 1]);
  assert.deepEqual(d.eocd, [SIG.eocd, 0, 0, 3, 3, 245, 185, 0]);
});

test('zip writer: a name over 65535 bytes of UTF-8 is refused, one of exactly 65535 is written', () => {
  // 32768 two-byte characters: short in characters, too long in bytes.
  assert.throws(() => zip([{ name: 'é'.repeat(32768), parts: [] }], { compress: false }), {
    message: `zip: entry name '${'é'.repeat(40)}...' is too long`,
  });
  const name = `${'é'.repeat(32767)}a`;
  const d = describe(zip([{ name, parts: [enc('x')] }], { compress: false }));
  assert.deepEqual([d.testzip, d.entries[0].name, d.entries[0].local?.name], [null, name, name]);
});

test('zip writer: 65535 entries overflow the 16-bit counts, so the Zip64 end record holds them', () => {
  const entries = Array.from({ length: 0xffff }, (_, i) => ({ name: String(i), parts: [] }));
  const d = describe(zip(entries, { compress: false }));
  // Names 0..65534 take 10·1 + 90·2 + 900·3 + 9000·4 + 55535·5 = 316565 bytes in all.
  const cdOffset = 30 * 0xffff + 316565;
  const cdSize = 46 * 0xffff + 316565;
  assert.equal(d.count, 0xffff);
  assert.deepEqual(d.entries.map((e) => [e.name, e.extra, e.extract]), [['0', '', 20], ['1', '', 20], ['65533', '', 20], ['65534', '', 20]]);
  assert.deepEqual(d.zip64, [SIG.zip64, 44, MADE_BY_45, 45, 0, 0, 0xffff, 0xffff, cdSize, cdOffset]);
  assert.deepEqual(d.locator, [SIG.locator, 0, cdOffset + cdSize, 1]);
  assert.deepEqual(d.eocd, [SIG.eocd, 0, 0, 0xffff, 0xffff, cdSize, cdOffset, 0]);
});

// 'a' holds 2^32 - 32 zero bytes, passed as one 16 MiB buffer repeated, so that its local header (31
// bytes) and data end exactly at 0xFFFFFFFF. Nothing that large is stored: Python reads the archive
// from 0xFFFFFFFF on (zipfile locates it from the end records) and unpacks the local header of 'a' alone.
const A_SIZE = U32_MAX - 31;
const A_CRC = 0x34502a03; // zlib.crc32 of 2^32 - 32 zero bytes, in Python

function describeAfterA(more: ZipWriteEntry[]): Described {
  const z = new Uint8Array(1 << 24);
  const aParts = [...Array<Uint8Array>(255).fill(z), z.subarray(32)];
  assert.equal(aParts.reduce((n, p) => n + p.length, 0), A_SIZE);
  const before: Uint8Array[] = [];
  const after: Uint8Array[] = [];
  let at = 0;
  for (const chunk of zipChunks([{ name: 'a', parts: aParts }, ...more], { compress: false })) {
    if (!aParts.includes(chunk)) (at < U32_MAX ? before : after).push(chunk);
    at += chunk.length;
  }
  assert.equal(before.length, 1);
  const d = describe(Buffer.concat(after), U32_MAX, before);
  assert.deepEqual(d.locals, [{ sig: SIG.local, version: 20, flags: 0, method: 0, time: 0, date: DOS_1980, crc: A_CRC, csize: A_SIZE, size: A_SIZE, name: 'a', extra: '' }]);
  const a = d.entries[0];
  assert.deepEqual([a.name, a.crc, a.size, a.csize, a.offset, a.extra, a.madeBy, a.extract], ['a', A_CRC, A_SIZE, A_SIZE, 0, '', [3, 20], 20]);
  return d;
}

test('zip writer: a directory that starts at 0xFFFFFFFF is placed by a Zip64 end record', () => {
  const d = describeAfterA([]);
  assert.deepEqual(d.zip64, [SIG.zip64, 44, MADE_BY_45, 45, 0, 0, 1, 1, 47, U32_MAX]);
  assert.deepEqual(d.locator, [SIG.locator, 0, U32_MAX + 47, 1]);
  assert.deepEqual(d.eocd, [SIG.eocd, 0, 0, 1, 1, 47, U32_MAX, 0]);
});

test('zip writer: an entry at offset 0xFFFFFFFF gets a Zip64 offset, and only that', () => {
  const d = describeAfterA([{ name: 'b', parts: [enc('xyz')] }]);
  // 'b' is small, so only its offset is wide: the extra holds that one value (id 1, 8 bytes).
  const b = d.entries[1];
  assert.deepEqual([b.name, b.crc, b.size, b.csize, b.offset, b.madeBy, b.extract, b.data], ['b', 0xeb8eba67, 3, 3, U32_MAX, [3, 45], 45, '78797a']);
  assert.equal(b.extra, `01000800${u64(U32_MAX)}`);
  assert.deepEqual([b.local?.version, b.local?.size, b.local?.csize, b.local?.extra], [20, 3, 3, '']);
  // The directory starts at 0xFFFFFFFF + 30+1+3 and holds 47 + 59 bytes.
  const cdOffset = U32_MAX + 34;
  assert.deepEqual(d.zip64, [SIG.zip64, 44, MADE_BY_45, 45, 0, 0, 2, 2, 106, cdOffset]);
  assert.deepEqual(d.locator, [SIG.locator, 0, cdOffset + 106, 1]);
  assert.deepEqual(d.eocd, [SIG.eocd, 0, 0, 2, 2, 106, U32_MAX, 0]);
});
