// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes
// of JSON ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}), then the raw
// little-endian tensors, offsets counted from the end of the header. Every length and offset is
// checked against the file before anything is read or allocated from it.
import * as fs from 'node:fs';
import { UserError, where } from '../errors.ts';
import { FLOAT_ITEMSIZE, isFloatDtype, numel, widen, type StoredTensor, type TensorArchive } from './tensor-archive.ts';
import { fileError } from './zip-reader.ts';

/** safetensors' own limit on the header (100 MB); a larger claim is a corrupt length field. */
const MAX_HEADER = 100_000_000;
const ITEMSIZE: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1 };

interface Located extends StoredTensor {
  begin: number;
  end: number;
}

/** True when the first bytes look like a safetensors header: a plausible length, then '{'. */
export function looksLikeSafetensors(head: Uint8Array, fileSize: number): boolean {
  // A head shorter than 9 bytes fails here too: its missing byte reads as undefined.
  if (head[8] !== 0x7b) return false;
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return n >= 2n && n <= BigInt(fileSize);
}

export class SafetensorsFile implements TensorArchive {
  private fd: number | undefined;
  readonly tensors: Map<string, StoredTensor>;

  private constructor(readonly path: string, fd: number, private readonly dataStart: number, private readonly located: Map<string, Located>) {
    this.fd = fd;
    this.tensors = new Map([...located].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]));
  }

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (e) {
      throw fileError(path, e);
    }
    try {
      const size = fs.fstatSync(fd).size;
      const bad = (problem: string) => new UserError(`${where(path)} is not a valid safetensors file: ${problem}`);
      if (size < 8) throw bad(`truncated (${size} bytes, the header length alone needs 8)`);
      const n = new DataView(readAt(fd, 0, 8, path).buffer).getBigUint64(0, true);
      if (n > BigInt(size - 8)) throw bad(`the header claims ${n} bytes, the file has ${size - 8} after the length`);
      if (n > BigInt(MAX_HEADER)) throw bad(`the header claims ${n} bytes, more than safetensors allows`);
      const headerBytes = Number(n);
      let header: unknown;
      try {
        header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(readAt(fd, 8, headerBytes, path)));
      } catch (e) {
        throw bad(`the header is not JSON (${(e as Error).message})`);
      }
      const located = parseHeader(header, size - 8 - headerBytes, bad);
      return new SafetensorsFile(path, fd, 8 + headerBytes, located);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  read(name: string): Float32Array {
    const t = this.located.get(name);
    if (!t) throw new UserError(`${where(this.path)} has no tensor '${name}'`);
    const source = `${where(this.path)} tensor '${name}'`;
    if (!isFloatDtype(t.dtype)) widen(new Uint8Array(0), t.dtype, 0, source);
    if (this.fd === undefined) throw new Error(`${where(this.path)} is closed`);
    return widen(readAt(this.fd, this.dataStart + t.begin, t.end - t.begin, this.path), t.dtype, numel(t.shape), source);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function parseHeader(header: unknown, dataBytes: number, bad: (p: string) => UserError): Map<string, Located> {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('the header is not a JSON object');
  const out = new Map<string, Located>();
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) throw bad(`tensor '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = t;
    if (typeof dtype !== 'string' || !Object.hasOwn(ITEMSIZE, dtype)) throw bad(`tensor '${name}' has an unknown dtype ${JSON.stringify(dtype)}`);
    const count = Array.isArray(shape) ? numel(shape) : -1;
    if (count < 0) throw bad(`tensor '${name}' has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || numel(offsets) < 0 || offsets[0] > offsets[1]) {
      throw bad(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataBytes) throw bad(`tensor '${name}' ends at byte ${end} of the data, which has ${dataBytes}`);
    const itemsize = isFloatDtype(dtype) ? FLOAT_ITEMSIZE[dtype] : ITEMSIZE[dtype];
    if (end - begin !== count * itemsize) {
      throw bad(`tensor '${name}' holds ${end - begin} bytes, shape [${(shape as number[]).join(', ')}] ${dtype} needs ${count * itemsize}`);
    }
    out.set(name, { dtype, shape: shape as number[], begin, end });
  }
  return out;
}

function readAt(fd: number, position: number, length: number, path: string): Uint8Array {
  const out = Buffer.allocUnsafeSlow(length);
  for (let done = 0; done < length; ) {
    const n = fs.readSync(fd, out, done, Math.min(length - done, 1 << 30), position + done);
    if (n === 0) throw new UserError(`${where(path)} was truncated while reading (did the file change?)`);
    done += n;
  }
  return out;
}
