// TFRecord framing: each record is
//   uint64 length (LE) | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)
// Both checksums are verified on every read; a bad or short record is a UserError naming the file
// and the byte offset where the record starts.
import { open, type FileHandle } from 'node:fs/promises';
import { UserError, where } from '../errors.ts';
import { maskedCrc32c } from './crc32c.ts';

const HEADER = 12;
const FOOTER = 4;
const CHUNK = 1 << 22;

/** Frames one record (used to write test data and any TFRecord we emit). */
export function encodeTFRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + data.length + FOOTER);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, HEADER);
  dv.setUint32(HEADER + data.length, maskedCrc32c(data), true);
  return out;
}

/** Checks one framed record whose header starts at `header[0]` (the view may run on past it); returns the data length. */
function checkHeader(path: string, offset: number, header: Uint8Array): number {
  const dv = new DataView(header.buffer, header.byteOffset, HEADER);
  const length = dv.getBigUint64(0, true);
  if (dv.getUint32(8, true) !== maskedCrc32c(header.subarray(0, 8))) {
    throw new UserError(`${where(path)}: corrupt TFRecord at byte ${offset}: the length checksum does not match`);
  }
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UserError(`${where(path)}: corrupt TFRecord at byte ${offset}: length ${length} is impossible`);
  }
  return Number(length);
}

function checkData(path: string, offset: number, data: Uint8Array, footer: Uint8Array): void {
  // Over the footer view's own bytes, so a view cut short throws instead of reading past its end.
  const crc = new DataView(footer.buffer, footer.byteOffset, footer.byteLength).getUint32(0, true);
  if (crc !== maskedCrc32c(data)) {
    throw new UserError(`${where(path)}: corrupt TFRecord at byte ${offset}: the data checksum does not match`);
  }
}

function truncated(path: string, offset: number, fileSize: number): UserError {
  return new UserError(`${where(path)}: truncated TFRecord at byte ${offset}: the file ends at byte ${fileSize}`);
}

/** Opens a TFRecord file with its size; a missing file, a directory or a device is a UserError. */
async function openRecords(path: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new UserError(`${where(path)}: cannot open TFRecord file (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const stat = await fh.stat();
  if (!stat.isFile()) {
    await fh.close();
    throw new UserError(`${where(path)}: not a TFRecord file (not a regular file)`);
  }
  return { fh, size: stat.size };
}

/** Where a record sits in its file: `offset` is the start of its header, `length` its data size. */
export interface RecordLocation {
  offset: number;
  length: number;
}

/**
 * Reads every record of a file in order, in large sequential chunks, checking both CRCs.
 * `data` is a view into a reused buffer: copy it if it must outlive the iteration step.
 */
export async function* readTFRecords(path: string): AsyncGenerator<RecordLocation & { data: Uint8Array }> {
  const { fh, size } = await openRecords(path);
  try {
    let buf = new Uint8Array(CHUNK);
    let bufStart = 0; // file offset of buf[0]
    let bufEnd = 0; // file offset one past the last valid byte in buf
    // Makes [pos, pos + n) resident in buf; false when the file is shorter. `pos` never goes back
    // (it is this record's start, and buf was filled from this record's or an earlier one's).
    const ensure = async (pos: number, n: number): Promise<boolean> => {
      if (pos + n > size) return false;
      if (pos + n <= bufEnd) return true;
      if (n > buf.length) buf = new Uint8Array(Math.max(n, buf.length * 2));
      const want = Math.min(buf.length, size - pos);
      let got = 0;
      while (got < want) {
        const r = await fh.read(buf, got, want - got, pos + got);
        if (r.bytesRead === 0) break;
        got += r.bytesRead;
      }
      bufStart = pos;
      bufEnd = pos + got;
      return got >= n;
    };
    let pos = 0;
    while (pos < size) {
      if (!(await ensure(pos, HEADER))) throw truncated(path, pos, size);
      const length = checkHeader(path, pos, buf.subarray(pos - bufStart));
      if (!(await ensure(pos, HEADER + length + FOOTER))) throw truncated(path, pos, size);
      const start = pos - bufStart + HEADER;
      const data = buf.subarray(start, start + length);
      checkData(path, pos, data, buf.subarray(start + length, start + length + FOOTER));
      yield { offset: pos, length, data };
      pos += HEADER + length + FOOTER;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Reads and checks the record whose header starts at `offset` (a location found by `readTFRecords`).
 * The file is opened for this read only, so sources built on it hold no descriptors between reads.
 */
export async function readTFRecordAt(path: string, offset: number): Promise<Uint8Array> {
  const { fh, size } = await openRecords(path);
  try {
    const header = new Uint8Array(HEADER);
    if ((await fh.read(header, 0, HEADER, offset)).bytesRead < HEADER) throw truncated(path, offset, size);
    const length = checkHeader(path, offset, header);
    // The length is checked against the file before it sizes an allocation.
    if (offset + HEADER + length + FOOTER > size) throw truncated(path, offset, size);
    const body = new Uint8Array(length + FOOTER);
    if ((await fh.read(body, 0, body.length, offset + HEADER)).bytesRead < body.length) {
      throw truncated(path, offset, size);
    }
    const data = body.subarray(0, length);
    checkData(path, offset, data, body.subarray(length));
    return data;
  } finally {
    await fh.close();
  }
}
