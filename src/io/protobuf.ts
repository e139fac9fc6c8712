// Protocol-buffer wire format: a writer for the messages we emit (ONNX models, TensorBoard events,
// tf.train.Example in tests) and a reader for the ones we parse (tf.train.Example, events in tests).
// Only the wire format lives here; each message's field numbers live with the module that uses it.

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const textEncoder = new TextEncoder();

/** Appends fields to a growing list of chunks; `finish()` concatenates them once. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch = new Uint8Array(16);
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** `BigInt` turns a boolean into 1n or 0n, as protobuf encodes true and false. */
  private varintRaw(value: bigint | number | boolean): void {
    let v = BigInt.asUintN(64, BigInt(value));
    let n = 0;
    while (v >= 0x80n) {
      this.scratch[n++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[n++] = Number(v);
    this.push(this.scratch.slice(0, n));
  }

  private tag(field: number, wire: number): void {
    this.varintRaw((field << 3) | wire);
  }

  /** int32/int64/uint64/bool/enum: negative numbers take ten bytes, as protobuf encodes them. */
  varint(field: number, value: number | bigint | boolean): this {
    this.tag(field, WIRE_VARINT);
    this.varintRaw(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  double(field: number, value: number): this {
    this.tag(field, WIRE_I64);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varintRaw(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    this.tag(field, WIRE_LEN);
    this.varintRaw(inner.length);
    for (const c of inner.chunks) this.push(c);
    return this;
  }

  /** Appends another writer's fields (its chunks are shared, not copied). */
  append(other: ProtoWriter): this {
    for (const c of other.chunks) this.push(c);
    return this;
  }

  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.varintRaw(values[i]);
    this.tag(field, WIRE_LEN);
    this.varintRaw(inner.length);
    for (const c of inner.chunks) this.push(c);
    return this;
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    const f = Float32Array.from(values);
    return this.bytes(field, new Uint8Array(f.buffer));
  }

  packedDoubles(field: number, values: ArrayLike<number>): this {
    const f = Float64Array.from(values);
    return this.bytes(field, new Uint8Array(f.buffer));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export interface ProtoField {
  field: number;
  wire: number;
  /** varint value (as bigint) for WIRE_VARINT; raw little-endian bytes for I32/I64; payload for LEN. */
  varint: bigint;
  bytes: Uint8Array;
}

export class ProtoError extends Error {}

/** Iterates over the top-level fields of one message, checking every length against the buffer. */
export function* readFields(buf: Uint8Array): Generator<ProtoField> {
  let p = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (p >= buf.length) throw new ProtoError(`truncated varint at byte ${p}`);
      const b = buf[p++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new ProtoError(`varint longer than 10 bytes at byte ${p}`);
  };
  const empty = new Uint8Array(0);
  while (p < buf.length) {
    const key = readVarint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtoError(`field number 0 at byte ${p}`);
    if (wire === WIRE_VARINT) {
      yield { field, wire, varint: readVarint(), bytes: empty };
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      const n = wire === WIRE_I64 ? 8 : 4;
      if (p + n > buf.length) throw new ProtoError(`truncated fixed-width field ${field} at byte ${p}`);
      yield { field, wire, varint: 0n, bytes: buf.subarray(p, p + n) };
      p += n;
    } else if (wire === WIRE_LEN) {
      const len = readVarint();
      if (len > BigInt(buf.length - p)) {
        throw new ProtoError(`field ${field} claims ${len} bytes at byte ${p}, only ${buf.length - p} remain`);
      }
      const n = Number(len);
      yield { field, wire, varint: 0n, bytes: buf.subarray(p, p + n) };
      p += n;
    } else {
      throw new ProtoError(`unsupported wire type ${wire} for field ${field} at byte ${p}`);
    }
  }
}

/** Decodes a packed (or single) repeated varint payload. */
export function readPackedVarints(bytes: Uint8Array): bigint[] {
  const out: bigint[] = [];
  let p = 0;
  while (p < bytes.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (p >= bytes.length) throw new ProtoError('truncated packed varint');
      const b = bytes[p++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new ProtoError('packed varint longer than 10 bytes');
    }
    out.push(result);
  }
  return out;
}

/** Decodes a packed float32 payload. */
export function readPackedFloats(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new ProtoError(`packed float payload of ${bytes.length} bytes is not a multiple of 4`);
  const copy = bytes.slice();
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

export function fixedToFloat(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true);
}

export function fixedToDouble(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
}

export function toSigned64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}
