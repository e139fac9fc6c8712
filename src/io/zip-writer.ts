// Writes a zip archive as a stream of chunks, so an entry's data is passed through without being
// copied into one archive-sized buffer. Sizes and CRCs go in the local headers (no data
// descriptors), which every reader accepts. Zip64 fields are written only for the sizes, offsets
// and counts that overflow the classic 16/32-bit fields.

import * as zlib from 'node:zlib';
import { crc32 } from './crc32.ts';

export interface ZipWriteEntry {
  name: string;
  /** The entry's bytes, in pieces that are concatenated. */
  parts: Uint8Array[];
}

export interface ZipWriteOptions {
  /** Deflate each entry (method 8) instead of storing it (method 0). */
  compress: boolean;
  /** Write Zip64 fields and end records even when nothing overflows; lets tests cover that path. */
  forceZip64?: boolean;
}

const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
/** 1980-01-01 00:00, the earliest DOS date: a fixed timestamp keeps identical arrays byte-identical. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
/** Made by Unix (3) so that extractors apply the permission bits in the external attributes. */
const MADE_BY_UNIX = 3 << 8;
const REGULAR_FILE_644 = (0o100644 << 16) >>> 0;
const FLAG_UTF8 = 1 << 11;

/** Yields the bytes of a zip archive holding `entries`, in order. */
export function* zipChunks(entries: ZipWriteEntry[], opts: ZipWriteOptions): Generator<Uint8Array> {
  const force = opts.forceZip64 ?? false;
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = new TextEncoder().encode(entry.name);
    if (name.length > U16_MAX) throw new Error(`zip: entry name '${entry.name.slice(0, 40)}...' is too long`);
    const size = entry.parts.reduce((n, p) => n + p.length, 0);
    const crc = entry.parts.reduce((c, p) => crc32(p, c), 0);
    const body = opts.compress ? [zlib.deflateRawSync(concat(entry.parts, size))] : entry.parts;
    const compressedSize = body.reduce((n, p) => n + p.length, 0);
    const fields: Fields = {
      method: opts.compress ? 8 : 0,
      flags: /^[\x20-\x7e]*$/.test(entry.name) ? 0 : FLAG_UTF8,
      crc,
      size,
      compressedSize,
      offset,
      zip64: force || size >= U32_MAX || compressedSize >= U32_MAX,
    };
    const local = localHeader(name, fields);
    yield local;
    yield* body;
    central.push(centralHeader(name, fields, force));
    offset += local.length + compressedSize;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  yield* central;
  const count = entries.length;
  if (force || count >= U16_MAX || cdSize >= U32_MAX || offset >= U32_MAX) {
    yield zip64End(count, cdSize, offset);
  }
  const eocd = new Uint8Array(22);
  const v = new DataView(eocd.buffer);
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, Math.min(count, U16_MAX), true);
  v.setUint16(10, Math.min(count, U16_MAX), true);
  v.setUint32(12, Math.min(cdSize, U32_MAX), true);
  v.setUint32(16, Math.min(offset, U32_MAX), true);
  yield eocd;
}

interface Fields {
  method: number;
  flags: number;
  crc: number;
  size: number;
  compressedSize: number;
  offset: number;
  /** Whether the local header carries its sizes in a Zip64 extra field. */
  zip64: boolean;
}

function localHeader(name: Uint8Array, f: Fields): Uint8Array {
  const extra = f.zip64 ? zip64Extra([f.size, f.compressedSize]) : new Uint8Array(0);
  const out = new Uint8Array(30 + name.length + extra.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, f.zip64 ? 45 : 20, true);
  v.setUint16(6, f.flags, true);
  v.setUint16(8, f.method, true);
  v.setUint16(10, DOS_TIME, true);
  v.setUint16(12, DOS_DATE, true);
  v.setUint32(14, f.crc, true);
  v.setUint32(18, f.zip64 ? U32_MAX : f.compressedSize, true);
  v.setUint32(22, f.zip64 ? U32_MAX : f.size, true);
  v.setUint16(26, name.length, true);
  v.setUint16(28, extra.length, true);
  out.set(name, 30);
  out.set(extra, 30 + name.length);
  return out;
}

function centralHeader(name: Uint8Array, f: Fields, force: boolean): Uint8Array {
  // The Zip64 extra holds, in this order, exactly the fields whose 32-bit slot says 0xFFFFFFFF.
  const big = (n: number) => force || n >= U32_MAX;
  const wide = [f.size, f.compressedSize, f.offset].filter(big);
  const extra = wide.length > 0 ? zip64Extra(wide) : new Uint8Array(0);
  const version = f.zip64 || wide.length > 0 ? 45 : 20;
  const out = new Uint8Array(46 + name.length + extra.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(4, MADE_BY_UNIX | version, true);
  v.setUint16(6, version, true);
  v.setUint16(8, f.flags, true);
  v.setUint16(10, f.method, true);
  v.setUint16(12, DOS_TIME, true);
  v.setUint16(14, DOS_DATE, true);
  v.setUint32(16, f.crc, true);
  v.setUint32(20, big(f.compressedSize) ? U32_MAX : f.compressedSize, true);
  v.setUint32(24, big(f.size) ? U32_MAX : f.size, true);
  v.setUint16(28, name.length, true);
  v.setUint16(30, extra.length, true);
  v.setUint32(38, REGULAR_FILE_644, true);
  v.setUint32(42, big(f.offset) ? U32_MAX : f.offset, true);
  out.set(name, 46);
  out.set(extra, 46 + name.length);
  return out;
}

function zip64Extra(values: number[]): Uint8Array {
  const out = new Uint8Array(4 + 8 * values.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0x0001, true);
  v.setUint16(2, 8 * values.length, true);
  values.forEach((x, i) => v.setBigUint64(4 + 8 * i, BigInt(x), true));
  return out;
}

/** The Zip64 end of central directory record followed by its locator. */
function zip64End(count: number, cdSize: number, cdOffset: number): Uint8Array {
  const out = new Uint8Array(56 + 20);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x06064b50, true);
  v.setBigUint64(4, 44n, true); // size of the rest of the record
  v.setUint16(12, MADE_BY_UNIX | 45, true);
  v.setUint16(14, 45, true);
  v.setBigUint64(24, BigInt(count), true);
  v.setBigUint64(32, BigInt(count), true);
  v.setBigUint64(40, BigInt(cdSize), true);
  v.setBigUint64(48, BigInt(cdOffset), true);
  v.setUint32(56, 0x07064b50, true);
  v.setBigUint64(64, BigInt(cdOffset + cdSize), true);
  v.setUint32(72, 1, true); // total number of disks
  return out;
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
