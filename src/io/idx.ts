// IDX, the MNIST file format: magic 0x00 0x00 <type> <ndims>, ndims big-endian uint32 sizes, then
// the items row-major. Only type 0x08 (unsigned byte) occurs in MNIST and Fashion-MNIST.
// Plain files are read item by item at their offsets; gzipped files (as distributed, and as
// Debian ships them) cannot be seeked into, so they are inflated once into memory (47 MB for
// the largest MNIST-family file).
import { open, readFile } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import { UserError, where } from '../errors.ts';

export interface IdxFile {
  path: string;
  /** Sizes of every dimension; dims[0] is the number of items. */
  dims: number[];
  /** Bytes of item `i` (one image, or one label). */
  item(i: number): Promise<Uint8Array>;
  /** All items, for label files. */
  all(): Promise<Uint8Array>;
}

/** The dimensions from the header at `head[0]`, which may hold more bytes than the header. */
function parseDims(path: string, head: Uint8Array): { dims: number[]; headerSize: number } {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0) throw new UserError(`${where(path)}: not an IDX file (bad magic number)`);
  if (head[2] !== 0x08) throw new UserError(`${where(path)}: IDX element type 0x${head[2].toString(16)} is not unsigned byte`);
  const ndims = head[3];
  const headerSize = 4 + 4 * ndims;
  if (ndims === 0 || head.length < headerSize) throw new UserError(`${where(path)}: truncated IDX header`);
  const dv = new DataView(head.buffer, head.byteOffset, headerSize);
  const dims = Array.from({ length: ndims }, (_, k) => dv.getUint32(4 + 4 * k, false));
  return { dims, headerSize };
}

/** As parseDims, and the file's `total` bytes must be what the dimensions promise. */
function parseHeader(path: string, head: Uint8Array, total: number): { dims: number[]; headerSize: number } {
  const { dims, headerSize } = parseDims(path, head);
  const expected = headerSize + dims.reduce((a, b) => a * b, 1);
  if (total !== expected) {
    throw new UserError(`${where(path)}: IDX header promises ${expected} bytes (${dims.join('×')}) but the data holds ${total}`);
  }
  return { dims, headerSize };
}

export async function openIdx(path: string): Promise<IdxFile> {
  let raw: Uint8Array;
  const gz = path.endsWith('.gz');
  try {
    if (gz) {
      const inflated = gunzipSync(await readFile(path));
      raw = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length);
    } else {
      const fh = await open(path, 'r');
      try {
        const size = (await fh.stat()).size;
        const head = new Uint8Array(Math.min(size, 4 + 4 * 255));
        await fh.read(head, 0, head.length, 0);
        const { dims, headerSize } = parseHeader(path, head, size);
        return plainIdx(path, dims, headerSize);
      } finally {
        await fh.close();
      }
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${where(path)}: cannot read IDX file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const { dims, headerSize } = parseHeader(path, raw, raw.length);
  const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const body = raw.subarray(headerSize);
  return {
    path,
    dims,
    item: async (i) => body.subarray(i * itemSize, (i + 1) * itemSize),
    all: async () => body,
  };
}

function plainIdx(path: string, dims: number[], headerSize: number): IdxFile {
  const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const readAt = async (offset: number, n: number) => {
    const fh = await open(path, 'r');
    try {
      const out = new Uint8Array(n);
      await fh.read(out, 0, n, offset);
      return out;
    } finally {
      await fh.close();
    }
  };
  return {
    path,
    dims,
    item: (i) => readAt(headerSize + i * itemSize, itemSize),
    all: () => readAt(headerSize, dims[0] * itemSize),
  };
}

/** Only the dimensions, from the header: the first kilobyte, inflated as far as it goes when gzipped. */
export async function readIdxDims(path: string): Promise<number[]> {
  let head: Uint8Array;
  try {
    const fh = await open(path, 'r');
    try {
      const buf = new Uint8Array(1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = path.endsWith('.gz') ? gunzipSync(buf.subarray(0, bytesRead), { finishFlush: constants.Z_SYNC_FLUSH }) : buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new UserError(`${where(path)}: cannot read IDX file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseDims(path, head).dims;
}
