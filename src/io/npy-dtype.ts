// The numpy dtypes we read and write, the typed array that holds each, and float16 bits ↔ float32.
// Typed arrays use the host byte order; every platform Node supports in practice is little-endian,
// which is also the order numpy writes ('<f4') on those platforms.

export type NpyDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'bool';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array;

/** An n-d array as numpy stores it: row-major data; float16 as raw Uint16 bits, bool as Uint8 0/1. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

interface DtypeSpec {
  /** numpy's type character and size without the byte-order prefix, e.g. 'f4'. */
  code: string;
  itemsize: number;
  /** Builds the typed array over `length` items of `buffer` starting at `byteOffset` (which is aligned). */
  view(buffer: ArrayBufferLike, byteOffset: number, length: number): NpyData;
  /** Whether `data` is the typed array this dtype is stored in. */
  holds(data: NpyData): boolean;
}

export const DTYPES: Record<NpyDtype, DtypeSpec> = {
  float32: { code: 'f4', itemsize: 4, view: (b, o, n) => new Float32Array(b, o, n), holds: (d) => d instanceof Float32Array },
  float64: { code: 'f8', itemsize: 8, view: (b, o, n) => new Float64Array(b, o, n), holds: (d) => d instanceof Float64Array },
  float16: { code: 'f2', itemsize: 2, view: (b, o, n) => new Uint16Array(b, o, n), holds: (d) => d instanceof Uint16Array },
  int8: { code: 'i1', itemsize: 1, view: (b, o, n) => new Int8Array(b, o, n), holds: (d) => d instanceof Int8Array },
  uint8: { code: 'u1', itemsize: 1, view: (b, o, n) => new Uint8Array(b, o, n), holds: (d) => d instanceof Uint8Array },
  int16: { code: 'i2', itemsize: 2, view: (b, o, n) => new Int16Array(b, o, n), holds: (d) => d instanceof Int16Array },
  uint16: { code: 'u2', itemsize: 2, view: (b, o, n) => new Uint16Array(b, o, n), holds: (d) => d instanceof Uint16Array },
  int32: { code: 'i4', itemsize: 4, view: (b, o, n) => new Int32Array(b, o, n), holds: (d) => d instanceof Int32Array },
  uint32: { code: 'u4', itemsize: 4, view: (b, o, n) => new Uint32Array(b, o, n), holds: (d) => d instanceof Uint32Array },
  int64: { code: 'i8', itemsize: 8, view: (b, o, n) => new BigInt64Array(b, o, n), holds: (d) => d instanceof BigInt64Array },
  bool: { code: 'b1', itemsize: 1, view: (b, o, n) => new Uint8Array(b, o, n), holds: (d) => d instanceof Uint8Array },
};

const BY_CODE = new Map<string, NpyDtype>(
  (Object.keys(DTYPES) as NpyDtype[]).map((dtype) => [DTYPES[dtype].code, dtype]),
);

/** A parsed numpy `descr` such as '<f4' or '|b1'. */
export interface Descr {
  dtype: NpyDtype;
  /** True when the items are stored most-significant byte first and must be swapped. */
  bigEndian: boolean;
}

/** Parses a descr string; returns undefined for anything we do not support. */
export function parseDescr(descr: string): Descr | undefined {
  // Every code is two characters, so only a three-character descr finds a dtype.
  const order = descr[0];
  const dtype = BY_CODE.get(descr.slice(1));
  if (dtype === undefined || !'<>|='.includes(order)) return undefined;
  // '|' means "byte order not applicable", which numpy only writes for 1-byte types.
  if (order === '|' && DTYPES[dtype].itemsize !== 1) return undefined;
  return { dtype, bigEndian: order === '>' && DTYPES[dtype].itemsize > 1 };
}

/** The descr numpy writes for `dtype` on a little-endian machine. */
export function descrOf(dtype: NpyDtype): string {
  const spec = DTYPES[dtype];
  return (spec.itemsize === 1 ? '|' : '<') + spec.code;
}

/** IEEE half-precision bits → the float32 (exact: every float16 is a float32). */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
