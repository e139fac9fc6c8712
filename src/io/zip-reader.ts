// A zip reader for npz archives that works through a file descriptor: it reads the end of central
// directory record (and the Zip64 locator and record when present), then the central directory,
// and reads an entry's bytes only when asked, so a 330 MB checkpoint is never held twice.
// Every length field is checked against the file size before anything is allocated from it.
// Layout: APPNOTE.TXT sections 4.3.7 (local header), 4.3.12 (central), 4.3.14–16 (end records).

import * as fs from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import * as zlib from 'node:zlib';
import { UserError, where } from '../errors.ts';
import { crc32 } from './crc32.ts';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_BYTES = 22;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
const ZIP64_EXTRA_ID = 0x0001;
/** Deflate cannot expand data by more than about 1032:1; a larger claim is a corrupt size field. */
const MAX_DEFLATE_RATIO = 1032;

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export class ZipFile {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    /** Entry data must end before the central directory starts. */
    private readonly dataLimit: number,
    readonly entries: ZipEntry[],
    private readonly kind: string,
  ) {
    this.fd = fd;
  }

  /**
   * Opens `path` and reads its central directory; throws UserError naming the file if invalid.
   * `kind` is what the file was expected to be, for those errors ('npz file', 'PyTorch checkpoint').
   */
  static open(path: string, kind = 'npz file'): ZipFile {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (e) {
      throw fileError(path, e);
    }
    try {
      const stat = fs.fstatSync(fd);
      // Linux opens a directory for reading without complaint; only reading it fails.
      if (stat.isDirectory()) throw new UserError(`${where(path)} is a directory, not a file`);
      const { entries, cdOffset } = readDirectory(path, fd, stat.size, kind);
      return new ZipFile(path, fd, cdOffset, entries, kind);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** The entry's uncompressed bytes, with its size and CRC-32 verified. */
  read(entry: ZipEntry): Uint8Array {
    const start = this.dataStart(entry);
    let data: Uint8Array;
    if (entry.method === 0) {
      data = readAt(this.path, this.kind, this.handle(), start, entry.size);
    } else {
      const compressed = readAt(this.path, this.kind, this.handle(), start, entry.compressedSize);
      data = this.inflate(entry, compressed, zlib.constants.Z_FINISH);
      if (data.length !== entry.size) {
        throw entryError(this.path, entry, `inflates to ${data.length} bytes, the directory says ${entry.size}`);
      }
    }
    if (crc32(data) !== entry.crc) throw entryError(this.path, entry, 'CRC-32 mismatch (the entry is corrupt)');
    return data;
  }

  /**
   * The first `wanted` uncompressed bytes of the entry (or all of them when it is shorter), reading
   * no more of a deflated entry than needed. Not CRC-checked: use it to peek at headers.
   */
  readPrefix(entry: ZipEntry, wanted: number): Uint8Array {
    const start = this.dataStart(entry);
    if (entry.method === 0) return readAt(this.path, this.kind, this.handle(), start, Math.min(wanted, entry.size));
    // Inflate a growing prefix of the compressed stream until it yields enough bytes.
    for (let n = Math.min(1024, entry.compressedSize); ; n = Math.min(2 * n, entry.compressedSize)) {
      const compressed = readAt(this.path, this.kind, this.handle(), start, n);
      const out = this.inflate(entry, compressed, zlib.constants.Z_SYNC_FLUSH);
      if (out.length >= wanted || n === entry.compressedSize) return out.subarray(0, Math.min(wanted, out.length));
    }
  }

  private handle(): number {
    if (this.fd === undefined) throw new Error(`${where(this.path)} is closed`);
    return this.fd;
  }

  private inflate(entry: ZipEntry, compressed: Uint8Array, finishFlush: number): Uint8Array {
    try {
      return zlib.inflateRawSync(compressed, { finishFlush, maxOutputLength: Math.max(1, entry.size) });
    } catch (e) {
      // zlib throws RangeError when the output would pass maxOutputLength.
      if (e instanceof RangeError) throw entryError(this.path, entry, 'inflates to more bytes than the directory says');
      throw entryError(this.path, entry, `deflate data is corrupt (${(e as Error).message})`);
    }
  }

  /** Reads the entry's local header and returns where its data starts. */
  private dataStart(entry: ZipEntry): number {
    const header = readAt(this.path, this.kind, this.handle(), entry.localHeaderOffset, LOCAL_BYTES);
    const v = view(header);
    if (v.getUint32(0, true) !== SIG_LOCAL) throw entryError(this.path, entry, 'local header signature not found');
    const nameLength = v.getUint16(26, true);
    const start = entry.localHeaderOffset + LOCAL_BYTES + nameLength + v.getUint16(28, true);
    if (start + entry.compressedSize > this.dataLimit) {
      throw entryError(this.path, entry, 'data runs past the start of the central directory');
    }
    const name = readAt(this.path, this.kind, this.handle(), entry.localHeaderOffset + LOCAL_BYTES, nameLength);
    if (decodeName(name) !== entry.name) throw entryError(this.path, entry, 'local header names a different entry');
    return start;
  }
}

function invalid(path: string, kind: string, problem: string): UserError {
  return new UserError(`${where(path)} is not a valid ${kind}: ${problem}`);
}

function entryError(path: string, entry: ZipEntry, problem: string): UserError {
  return new UserError(`${where(path)} entry '${entry.name}': ${problem}`);
}

/** Turns the errors of opening a file into a sentence about the file. */
export function fileError(path: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`${where(path)} does not exist`);
  if (code === 'EISDIR') return new UserError(`${where(path)} is a directory, not a file`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${where(path)} cannot be read (permission denied)`);
  return e;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeName(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/**
 * Reads exactly `length` bytes at `position`. Callers have already checked the range: the end
 * records lie in the file, the directory before them, and every entry's header and data before
 * the directory (checkEntry, dataStart), so only a file that shrank since it was opened reads short.
 */
function readAt(path: string, kind: string, fd: number, position: number, length: number): Uint8Array {
  // An unpooled buffer starts at byte offset 0, so typed-array views of its contents are aligned.
  const out = Buffer.allocUnsafeSlow(length);
  for (let done = 0; done < length; ) {
    const n = fs.readSync(fd, out, done, Math.min(length - done, 1 << 30), position + done);
    if (n === 0) throw invalid(path, kind, 'truncated while reading (did the file change?)');
    done += n;
  }
  return out;
}

function readDirectory(path: string, fd: number, fileSize: number, kind: string): { entries: ZipEntry[]; cdOffset: number } {
  if (fileSize === 0) throw invalid(path, kind, 'the file is empty');
  const tailStart = Math.max(0, fileSize - (EOCD_BYTES + 0xffff));
  const tail = readAt(path, kind, fd, tailStart, fileSize - tailStart);
  const tv = view(tail);
  // The record ends the file, followed only by its comment; scan back for the signature whose
  // comment length reaches exactly the end, so a signature inside the comment is not taken.
  let eocd = -1;
  for (let i = tail.length - EOCD_BYTES; i >= 0 && eocd < 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD && i + EOCD_BYTES + tv.getUint16(i + 20, true) === tail.length) eocd = i;
  }
  if (eocd < 0) throw invalid(path, kind, 'truncated (end of central directory not found)');
  if (tv.getUint16(eocd + 4, true) !== 0 || tv.getUint16(eocd + 6, true) !== 0) {
    throw invalid(path, kind, 'multi-volume archives are not supported');
  }
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  let cdLimit = tailStart + eocd;
  if (eocd >= 20 && tv.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR) {
    const recordOffset = safe(path, kind, tv.getBigUint64(eocd - 12, true));
    if (recordOffset + 56 > tailStart + eocd - 20) throw invalid(path, kind, 'the Zip64 end record lies past its locator');
    const record = view(readAt(path, kind, fd, recordOffset, 56));
    if (record.getUint32(0, true) !== SIG_ZIP64_EOCD) throw invalid(path, kind, 'the Zip64 end record is missing');
    count = safe(path, kind, record.getBigUint64(32, true));
    cdSize = safe(path, kind, record.getBigUint64(40, true));
    cdOffset = safe(path, kind, record.getBigUint64(48, true));
    cdLimit = recordOffset;
  }
  if (cdOffset + cdSize > cdLimit) throw invalid(path, kind, 'the central directory lies past its end record');
  if (count * CENTRAL_BYTES > cdSize) throw invalid(path, kind, `the directory is too small for ${count} entries`);
  const cd = readAt(path, kind, fd, cdOffset, cdSize);
  const entries = parseCentralDirectory(path, kind, cd, count, cdOffset);
  return { entries, cdOffset };
}

function safe(path: string, kind: string, value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(path, kind, 'a Zip64 field is out of range');
  return Number(value);
}

function parseCentralDirectory(path: string, kind: string, cd: Uint8Array, count: number, cdOffset: number): ZipEntry[] {
  const v = view(cd);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_BYTES > cd.length || v.getUint32(p, true) !== SIG_CENTRAL) {
      throw invalid(path, kind, `central directory entry ${i} is corrupt`);
    }
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const end = p + CENTRAL_BYTES + nameLength + extraLength + v.getUint16(p + 32, true);
    if (end > cd.length) throw invalid(path, kind, `central directory entry ${i} is corrupt`);
    const entry: ZipEntry = {
      name: decodeName(cd.subarray(p + CENTRAL_BYTES, p + CENTRAL_BYTES + nameLength)),
      method,
      crc: v.getUint32(p + 16, true),
      compressedSize: v.getUint32(p + 20, true),
      size: v.getUint32(p + 24, true),
      localHeaderOffset: v.getUint32(p + 42, true),
    };
    const extra = cd.subarray(p + CENTRAL_BYTES + nameLength, p + CENTRAL_BYTES + nameLength + extraLength);
    applyZip64Extra(path, kind, entry, extra);
    checkEntry(path, entry, flags, cdOffset);
    if (names.has(entry.name)) throw invalid(path, kind, `entry '${entry.name}' appears twice`);
    names.add(entry.name);
    entries.push(entry);
    p = end;
  }
  return entries;
}

/** Replaces the 0xFFFFFFFF placeholders with the 64-bit values of the Zip64 extra field. */
function applyZip64Extra(path: string, kind: string, entry: ZipEntry, extra: Uint8Array): void {
  const fields = (['size', 'compressedSize', 'localHeaderOffset'] as const).filter((f) => entry[f] === 0xffffffff);
  if (fields.length === 0) return;
  const v = view(extra);
  for (let p = 0; p + 4 <= extra.length; p += 4 + v.getUint16(p + 2, true)) {
    if (v.getUint16(p, true) !== ZIP64_EXTRA_ID) continue;
    if (p + 4 + 8 * fields.length > extra.length) break;
    fields.forEach((f, k) => (entry[f] = safe(path, kind, v.getBigUint64(p + 4 + 8 * k, true))));
    return;
  }
  throw invalid(path, kind, `entry '${entry.name}' lacks the Zip64 field its sizes need`);
}

function checkEntry(path: string, entry: ZipEntry, flags: number, cdOffset: number): void {
  if (flags & 1) throw entryError(path, entry, 'encrypted entries are not supported');
  if (entry.method !== 0 && entry.method !== 8) {
    throw entryError(path, entry, `compression method ${entry.method} is not supported (only stored and deflate)`);
  }
  if (entry.method === 0 && entry.compressedSize !== entry.size) {
    throw entryError(path, entry, `stored entry has compressed size ${entry.compressedSize} but size ${entry.size}`);
  }
  if (entry.localHeaderOffset + LOCAL_BYTES + entry.compressedSize > cdOffset) {
    throw entryError(path, entry, 'data runs past the start of the central directory');
  }
  if (entry.size > bufferConstants.MAX_LENGTH || entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
    throw entryError(path, entry, `size ${entry.size} is impossible for ${entry.compressedSize} compressed bytes`);
  }
}
