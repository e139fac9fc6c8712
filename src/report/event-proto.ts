// TensorBoard's Event message and the parts of Summary we write, encoded and decoded.
// Field numbers, from tensorflow/core/util/event.proto and tensorflow/core/framework/
// {summary,tensor,tensor_shape,types}.proto:
//   Event           { double wall_time = 1; int64 step = 2;
//                     oneof what { string file_version = 3; Summary summary = 5; ... } }
//   Summary         { repeated Value value = 1; }
//   Summary.Value   { string tag = 1; SummaryMetadata metadata = 9;
//                     oneof value { float simple_value = 2; HistogramProto histo = 5; TensorProto tensor = 8; ... } }
//   HistogramProto  { double min = 1, max = 2, num = 3, sum = 4, sum_squares = 5;
//                     repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }
//   SummaryMetadata { PluginData plugin_data = 1; ... }   PluginData { string plugin_name = 1; bytes content = 2; }
//   TensorProto     { DataType dtype = 1; TensorShapeProto tensor_shape = 2; repeated bytes string_val = 8; ... }
//   DataType        DT_STRING = 7
// Scalars and histograms use the legacy `simple_value` and `histo` fields, which TensorBoard
// migrates to its scalar and histogram plugins on load; text has no legacy form, so it is a
// rank-0 DT_STRING tensor tagged for the "text" plugin, as tf.summary.text writes it.
import {
  ProtoError,
  ProtoWriter,
  WIRE_I32,
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
  fixedToDouble,
  fixedToFloat,
  readFields,
  toSigned64,
} from '../io/protobuf.ts';
import type { Histogram } from './histogram.ts';

export const FILE_VERSION = 'brain.Event:2';
export const TEXT_PLUGIN = 'text';

const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5 } as const;
const SUMMARY = { value: 1 } as const;
const VALUE = { tag: 1, simpleValue: 2, histo: 5, tensor: 8, metadata: 9 } as const;
const HISTO = { min: 1, max: 2, num: 3, sum: 4, sumSquares: 5, bucketLimit: 6, bucket: 7 } as const;
const METADATA = { pluginData: 1 } as const;
const PLUGIN_DATA = { pluginName: 1 } as const;
const TENSOR = { dtype: 1, tensorShape: 2, stringVal: 8 } as const;
const DT_STRING = 7;

/** One tagged value of a Summary. */
export type SummaryValue =
  | { kind: 'scalar'; tag: string; value: number }
  | { kind: 'histogram'; tag: string; histogram: Histogram }
  | { kind: 'text'; tag: string; text: string };

/** A decoded Event: the file-version header, a summary, or another kind (graph, session log) we skip. */
export type Event =
  | { wallTime: number; step: number; kind: 'fileVersion'; fileVersion: string }
  | { wallTime: number; step: number; kind: 'summary'; values: DecodedValue[] }
  | { wallTime: number; step: number; kind: 'other' };

/** A value as read back; `unsupported` stands for kinds this project never writes (images, other tensors). */
export type DecodedValue = SummaryValue | { kind: 'unsupported'; tag: string };

function header(w: ProtoWriter, wallTime: number, step: number): ProtoWriter {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`event step must be a non-negative integer, got ${step}`);
  w.double(EVENT.wallTime, wallTime);
  // proto3 omits a zero scalar; TensorFlow's writer does the same, so step 0 takes no bytes.
  if (step !== 0) w.varint(EVENT.step, step);
  return w;
}

export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return header(new ProtoWriter(), wallTime, 0).string(EVENT.fileVersion, FILE_VERSION).finish();
}

function encodeHistogram(w: ProtoWriter, h: Histogram): void {
  if (h.bucketLimit.length !== h.bucket.length || h.bucket.length === 0) {
    throw new RangeError(`histogram needs as many bucket limits as counts (at least one), got ${h.bucketLimit.length} and ${h.bucket.length}`);
  }
  w.double(HISTO.min, h.min).double(HISTO.max, h.max).double(HISTO.num, h.num);
  w.double(HISTO.sum, h.sum).double(HISTO.sumSquares, h.sumSquares);
  w.packedDoubles(HISTO.bucketLimit, h.bucketLimit).packedDoubles(HISTO.bucket, h.bucket);
}

function encodeValue(w: ProtoWriter, v: SummaryValue): void {
  if (v.tag === '') throw new RangeError('summary tag must not be empty');
  w.string(VALUE.tag, v.tag);
  if (v.kind === 'scalar') w.float(VALUE.simpleValue, v.value);
  else if (v.kind === 'histogram') w.message(VALUE.histo, (h) => encodeHistogram(h, v.histogram));
  else {
    w.message(VALUE.metadata, (m) => m.message(METADATA.pluginData, (p) => p.string(PLUGIN_DATA.pluginName, TEXT_PLUGIN)));
    w.message(VALUE.tensor, (t) => {
      t.varint(TENSOR.dtype, DT_STRING);
      t.message(TENSOR.tensorShape, () => {}); // rank 0: a shape with no dims
      t.string(TENSOR.stringVal, v.text);
    });
  }
}

export function encodeSummaryEvent(wallTime: number, step: number, values: readonly SummaryValue[]): Uint8Array {
  const w = header(new ProtoWriter(), wallTime, step);
  w.message(EVENT.summary, (s) => {
    for (const v of values) s.message(SUMMARY.value, (m) => encodeValue(m, v));
  });
  return w.finish();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function expectWire(f: { field: number; wire: number }, wire: number, what: string): void {
  if (f.wire !== wire) throw new ProtoError(`${what} (field ${f.field}) has wire type ${f.wire}, expected ${wire}`);
}

function readPackedDoubles(bytes: Uint8Array, what: string): number[] {
  if (bytes.length % 8 !== 0) throw new ProtoError(`${what}: packed double payload of ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return Array.from({ length: bytes.length / 8 }, (_, i) => dv.getFloat64(8 * i, true));
}

function decodeHistogram(buf: Uint8Array): Histogram {
  const h: Histogram = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  const scalars = { [HISTO.min]: 'min', [HISTO.max]: 'max', [HISTO.num]: 'num', [HISTO.sum]: 'sum', [HISTO.sumSquares]: 'sumSquares' } as const;
  for (const f of readFields(buf)) {
    if (f.field in scalars) {
      expectWire(f, WIRE_I64, 'HistogramProto scalar');
      h[scalars[f.field as keyof typeof scalars]] = fixedToDouble(f.bytes);
    } else if (f.field === HISTO.bucketLimit || f.field === HISTO.bucket) {
      const out = f.field === HISTO.bucketLimit ? h.bucketLimit : h.bucket;
      // repeated doubles may also arrive unpacked, one field per element
      if (f.wire === WIRE_LEN) out.push(...readPackedDoubles(f.bytes, 'HistogramProto bucket'));
      else if (f.wire === WIRE_I64) out.push(fixedToDouble(f.bytes));
      else throw new ProtoError(`HistogramProto field ${f.field} has wire type ${f.wire}`);
    }
  }
  if (h.bucketLimit.length !== h.bucket.length) {
    throw new ProtoError(`HistogramProto has ${h.bucketLimit.length} bucket limits but ${h.bucket.length} counts`);
  }
  return h;
}

/** The single string of a DT_STRING tensor, or undefined for any other tensor. */
function decodeStringTensor(buf: Uint8Array): string | undefined {
  let dtype = 0;
  const strings: string[] = [];
  for (const f of readFields(buf)) {
    if (f.field === TENSOR.dtype && f.wire === WIRE_VARINT) dtype = Number(f.varint);
    else if (f.field === TENSOR.stringVal && f.wire === WIRE_LEN) strings.push(utf8.decode(f.bytes));
  }
  return dtype === DT_STRING && strings.length === 1 ? strings[0] : undefined;
}

function decodePluginName(metadata: Uint8Array): string {
  for (const f of readFields(metadata)) {
    if (f.field !== METADATA.pluginData || f.wire !== WIRE_LEN) continue;
    for (const p of readFields(f.bytes)) if (p.field === PLUGIN_DATA.pluginName && p.wire === WIRE_LEN) return utf8.decode(p.bytes);
  }
  return '';
}

function decodeValue(buf: Uint8Array): DecodedValue {
  let tag = '';
  let plugin = '';
  let out: DecodedValue | undefined;
  let tensor: Uint8Array | undefined;
  for (const f of readFields(buf)) {
    if (f.field === VALUE.tag) {
      expectWire(f, WIRE_LEN, 'Value.tag');
      tag = utf8.decode(f.bytes);
    } else if (f.field === VALUE.simpleValue) {
      expectWire(f, WIRE_I32, 'Value.simple_value');
      out = { kind: 'scalar', tag: '', value: fixedToFloat(f.bytes) };
    } else if (f.field === VALUE.histo) {
      expectWire(f, WIRE_LEN, 'Value.histo');
      out = { kind: 'histogram', tag: '', histogram: decodeHistogram(f.bytes) };
    } else if (f.field === VALUE.tensor) {
      expectWire(f, WIRE_LEN, 'Value.tensor');
      tensor = f.bytes;
    } else if (f.field === VALUE.metadata) {
      expectWire(f, WIRE_LEN, 'Value.metadata');
      plugin = decodePluginName(f.bytes);
    }
  }
  if (out === undefined && tensor !== undefined && plugin === TEXT_PLUGIN) {
    const text = decodeStringTensor(tensor);
    if (text !== undefined) out = { kind: 'text', tag: '', text };
  }
  return out === undefined ? { kind: 'unsupported', tag } : { ...out, tag };
}

/** Decodes one serialized Event; throws ProtoError on malformed bytes. */
export function decodeEvent(buf: Uint8Array): Event {
  let wallTime = 0;
  let step = 0;
  let fileVersion: string | undefined;
  let values: DecodedValue[] | undefined;
  for (const f of readFields(buf)) {
    if (f.field === EVENT.wallTime) {
      expectWire(f, WIRE_I64, 'Event.wall_time');
      wallTime = fixedToDouble(f.bytes);
    } else if (f.field === EVENT.step) {
      expectWire(f, WIRE_VARINT, 'Event.step');
      step = Number(toSigned64(f.varint));
    } else if (f.field === EVENT.fileVersion) {
      expectWire(f, WIRE_LEN, 'Event.file_version');
      fileVersion = utf8.decode(f.bytes);
    } else if (f.field === EVENT.summary) {
      expectWire(f, WIRE_LEN, 'Event.summary');
      values = [];
      for (const v of readFields(f.bytes)) {
        if (v.field !== SUMMARY.value) continue;
        expectWire(v, WIRE_LEN, 'Summary.value');
        values.push(decodeValue(v.bytes));
      }
    }
  }
  if (fileVersion !== undefined) return { wallTime, step, kind: 'fileVersion', fileVersion };
  if (values !== undefined) return { wallTime, step, kind: 'summary', values };
  return { wallTime, step, kind: 'other' };
}
