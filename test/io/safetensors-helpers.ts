// Hand-made safetensors bytes for the reader tests: an 8-byte little-endian header length, the
// JSON header, then the raw tensors, each entry's header written as given (so tests can lie in it).

export interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
  /** Overrides the data_offsets the writer would compute. */
  offsets?: [number, number];
}

export function safetensorsBytes(tensors: Record<string, RawTensor>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [k, t] of Object.entries(tensors)) {
    header[k] = { dtype: t.dtype, shape: t.shape, data_offsets: t.offsets ?? [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let at = 8 + text.length;
  for (const t of Object.values(tensors)) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

export const f32 = (...v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);
export const u16 = (...v: number[]): Uint8Array => new Uint8Array(new Uint16Array(v).buffer);

/** One tensor of each float dtype with values exact in it, and an integer one. */
export const SAMPLE: Record<string, RawTensor> = {
  w: { dtype: 'F32', shape: [2, 2], bytes: f32(1, -2, 0.5, 3) },
  h: { dtype: 'F16', shape: [3], bytes: u16(0x3e00, 0xc000, 0x3400) }, // 1.5, -2, 0.25
  b: { dtype: 'BF16', shape: [2], bytes: u16(0xc020, 0x4040) }, // -2.5, 3
  i: { dtype: 'I64', shape: [1], bytes: new Uint8Array(8) },
};
