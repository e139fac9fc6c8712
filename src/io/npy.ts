// The .npy format (numpy/lib/format.py): magic '\x93NUMPY', a version, a little-endian header length
// (2 bytes in 1.0, 4 bytes in 2.0 and 3.0), a Python dict literal padded with spaces to a multiple
// of 64 bytes, then the raw items. We read versions 1–3, convert big-endian items to host order,
// and refuse Fortran-order arrays rather than transpose them.

import { UserError } from '../errors.ts';
import { DTYPES, descrOf, float16ToFloat32, parseDescr } from './npy-dtype.ts';
import type { NpyArray, NpyData, NpyDtype } from './npy-dtype.ts';
import { PyLiteralError, parsePyLiteral } from './py-literal.ts';

export type { NpyArray, NpyData, NpyDtype } from './npy-dtype.ts';
export { float16ToFloat32 } from './npy-dtype.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // '\x93NUMPY'
/** Bytes before the header text in version 2.0 and 3.0 (1.0 needs only 10). */
export const NPY_PREFIX_BYTES = 12;

export interface NpyHeader {
  dtype: NpyDtype;
  bigEndian: boolean;
  shape: number[];
  /** Where the items start: the length of magic, version, length field and header text. */
  dataOffset: number;
}

/**
 * Reads the magic, version and header length from the first bytes of a .npy (at least
 * NPY_PREFIX_BYTES, or all of them when shorter) and returns the header's total length.
 * `source` names the bytes in errors, e.g. `'/x/a.npy'` or `'/x/vit.npz' entry 'cls.npy'`.
 */
export function npyHeaderLength(prefix: Uint8Array, source: string): number {
  // A prefix shorter than the magic fails here too: its missing bytes read as undefined.
  if (MAGIC.some((b, i) => prefix[i] !== b)) {
    throw new UserError(`${source} is not a .npy array: the magic string '\\x93NUMPY' is missing`);
  }
  if (prefix.length < 10) throw new UserError(`${source}: the .npy header is truncated`);
  const [major, minor] = [prefix[6], prefix[7]];
  if (major === 1 && minor === 0) return 10 + (prefix[8] | (prefix[9] << 8));
  if ((major === 2 || major === 3) && minor === 0) {
    if (prefix.length < 12) throw new UserError(`${source}: the .npy header is truncated`);
    return 12 + new DataView(prefix.buffer, prefix.byteOffset, 12).getUint32(8, true);
  }
  throw new UserError(`${source}: unsupported .npy format version ${major}.${minor}`);
}

/** Parses the header of a .npy; `bytes` must hold at least npyHeaderLength(bytes) bytes. */
export function parseNpyHeader(bytes: Uint8Array, source: string): NpyHeader {
  const dataOffset = npyHeaderLength(bytes, source);
  if (dataOffset > bytes.length) {
    throw new UserError(`${source}: the .npy header is truncated (${bytes.length} bytes, the header needs ${dataOffset})`);
  }
  const start = bytes[6] === 1 ? 10 : 12;
  const text = new TextDecoder(bytes[6] === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataOffset));
  let dict;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    if (e instanceof PyLiteralError) throw new UserError(`${source}: the .npy header is not a Python literal (${e.message})`);
    throw e;
  }
  if (dict.kind !== 'dict') throw new UserError(`${source}: the .npy header is not a dict`);
  const keys = [...dict.entries.keys()].sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') {
    throw new UserError(`${source}: the .npy header has keys {${keys}}, expected descr, fortran_order and shape`);
  }
  const descr = dict.entries.get('descr')!;
  const fortran = dict.entries.get('fortran_order')!;
  const shapeValue = dict.entries.get('shape')!;
  const parsed = descr.kind === 'str' ? parseDescr(descr.value) : undefined;
  if (parsed === undefined) {
    const shown = descr.kind === 'str' ? `'${descr.value}'` : 'a structured dtype';
    throw new UserError(`${source}: unsupported dtype ${shown} (supported: float16/32/64, int8/16/32/64, uint8/16/32, bool)`);
  }
  if (fortran.kind !== 'bool') throw new UserError(`${source}: fortran_order in the .npy header is not True or False`);
  if (fortran.value) {
    throw new UserError(`${source}: Fortran-order arrays are not supported (save it with np.ascontiguousarray first)`);
  }
  if (shapeValue.kind !== 'tuple' || shapeValue.items.some((d) => d.kind !== 'int' || d.value < 0)) {
    throw new UserError(`${source}: shape in the .npy header is not a tuple of non-negative integers`);
  }
  const shape = shapeValue.items.map((d) => (d.kind === 'int' ? d.value : 0));
  return { ...parsed, shape, dataOffset };
}

/** Parses a whole .npy. The result may be a view into `bytes` (when aligned), so do not reuse them. */
export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  const header = parseNpyHeader(bytes, source);
  const { dtype, shape, dataOffset } = header;
  const { itemsize, view } = DTYPES[dtype];
  const count = shape.reduce((a, b) => a * b, 1);
  const have = bytes.length - dataOffset;
  if (!Number.isSafeInteger(count * itemsize) || count * itemsize !== have) {
    const need = Number.isSafeInteger(count * itemsize) ? String(count * itemsize) : 'more than 2^53';
    throw new UserError(`${source}: data is ${have} bytes, shape [${shape.join(',')}] ${dtype} needs ${need}`);
  }
  const offset = bytes.byteOffset + dataOffset;
  let data: NpyData;
  if (header.bigEndian) {
    data = view(byteSwapped(bytes.subarray(dataOffset), itemsize).buffer, 0, count);
  } else if (offset % itemsize === 0) {
    data = view(bytes.buffer, offset, count);
  } else {
    // Typed arrays need aligned offsets, so an unaligned payload is copied to a fresh buffer.
    data = view(bytes.slice(dataOffset).buffer, 0, count);
  }
  return { dtype, shape, data };
}

function byteSwapped(src: Uint8Array, itemsize: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += itemsize) {
    for (let j = 0; j < itemsize; j++) out[i + j] = src[i + itemsize - 1 - j];
  }
  return out;
}

/**
 * The two parts of a .npy without copying the data: the header and a byte view of the items.
 * Throws a plain Error when `arr` is inconsistent, which is a bug in the caller, not bad input.
 */
export function npyParts(arr: NpyArray): [header: Uint8Array, data: Uint8Array] {
  const { dtype, shape, data } = arr;
  const spec = DTYPES[dtype];
  if (spec === undefined) throw new Error(`encodeNpy: unknown dtype '${String(dtype)}'`);
  if (!spec.holds(data)) throw new Error(`encodeNpy: ${dtype} data cannot be a ${data.constructor.name}`);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`encodeNpy: bad shape [${shape.join(',')}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpy: shape [${shape.join(',')}] needs ${count} items, data has ${data.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '${descrOf(dtype)}', 'fortran_order': False, 'shape': (${dims}), }`;
  // numpy pads with spaces and a final newline so that the items start on a 64-byte boundary,
  // and uses version 1.0 unless the padded header's length does not fit its 2-byte field.
  const padded = (prefix: number) => Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const v1 = padded(10) - 10 <= 0xffff;
  const prefix = v1 ? 10 : 12;
  const total = padded(prefix);
  const header = new Uint8Array(total);
  header.set(MAGIC);
  header[6] = v1 ? 1 : 2;
  const view = new DataView(header.buffer);
  if (v1) view.setUint16(8, total - prefix, true);
  else view.setUint32(8, total - prefix, true);
  header.set(new TextEncoder().encode(dict.padEnd(total - prefix - 1, ' ') + '\n'), prefix);
  return [header, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}

/** Serialises `arr` as a .npy (version 1.0 unless the header is too long for it). */
export function encodeNpy(arr: NpyArray): Uint8Array {
  const [header, data] = npyParts(arr);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** float32 integers are exact up to 2^24; beyond that a conversion would silently change values. */
const FLOAT32_EXACT_INT = 2 ** 24;

/**
 * The array's values as float32, for use as a tensor. Returns `arr.data` itself for float32;
 * float64 is rounded; integer and bool arrays must hold values float32 represents exactly.
 */
export function toFloat32(arr: NpyArray, source: string): Float32Array {
  const { dtype, data } = arr;
  if (dtype === 'float32') return data as Float32Array;
  const out = new Float32Array(data.length);
  if (dtype === 'float16') {
    for (let i = 0; i < data.length; i++) out[i] = float16ToFloat32(data[i] as number);
    return out;
  }
  const checked = dtype === 'int32' || dtype === 'uint32' || dtype === 'int64';
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (checked && Math.abs(v) > FLOAT32_EXACT_INT) {
      throw new UserError(`${source}: ${dtype} value ${data[i]} at index ${i} is not exactly representable as float32`);
    }
    out[i] = v;
  }
  return out;
}
