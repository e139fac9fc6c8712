import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeExample, encodeExample, int64Feature, bytesFeature } from '../../src/io/example.ts';
import { ProtoWriter } from '../../src/io/protobuf.ts';
import { UserError } from '../../src/errors.ts';

test('Example round-trips bytes, int64 (negative too) and float lists', () => {
  const img = Uint8Array.from([1, 2, 3]);
  const buf = encodeExample({
    image: { kind: 'bytes', values: [img] },
    label: { kind: 'int64', values: [7n] },
    many: { kind: 'int64', values: [-1n, 300n, 2n ** 40n] },
    score: { kind: 'float', values: [0.5, -2] },
  });
  const f = decodeExample(buf, 'test');
  assert.deepEqual(bytesFeature(f, 'image', 'test'), img);
  assert.equal(int64Feature(f, 'label', 'test'), 7);
  assert.deepEqual(f.get('many'), { kind: 'int64', values: [-1n, 300n, 2n ** 40n] });
  assert.deepEqual(f.get('score'), { kind: 'float', values: [0.5, -2] });
});

test('unpacked numeric lists are accepted, as protobuf requires', () => {
  const w = new ProtoWriter();
  w.message(1, (fs) =>
    fs.message(1, (e) => {
      e.string(1, 'label');
      e.message(2, (feat) => feat.message(3, (l) => l.varint(1, 4).varint(1, -3)));
    }),
  );
  w.message(1, (fs) =>
    fs.message(1, (e) => {
      e.string(1, 'x');
      e.message(2, (feat) => feat.message(2, (l) => l.float(1, 1.5)));
    }),
  );
  const f = decodeExample(w.finish(), 'test');
  assert.deepEqual(f.get('label'), { kind: 'int64', values: [4n, -3n] });
  assert.deepEqual(f.get('x'), { kind: 'float', values: [1.5] });
});

test('malformed bytes and missing features give UserErrors naming the record', () => {
  assert.throws(() => decodeExample(Uint8Array.from([0x0a, 0x50, 1]), "'a.tfrecord' record at byte 9"), (e: unknown) =>
    e instanceof UserError && /'a\.tfrecord' record at byte 9: not a valid tf\.train\.Example/.test(e.message),
  );
  const f = decodeExample(encodeExample({ label: { kind: 'bytes', values: [] } }), 'r');
  assert.throws(() => int64Feature(f, 'label', 'r'), /r: feature 'label' is missing or is not a single int64/);
  assert.throws(() => bytesFeature(f, 'image', 'r'), /feature 'image' is missing/);
});

// Hand-built wire bytes: a key is (field << 3) | wire; a length under 2^14 is one varint byte under 128,
// else two: the low 7 bits with 0x80 set, then the rest (150 -> 0x96 0x01).
const LEN = (field: number, ...parts: number[][]): number[] => {
  const body = parts.flat();
  assert.ok(body.length < 1 << 14);
  const n = body.length < 128 ? [body.length] : [0x80 | (body.length & 0x7f), body.length >> 7];
  return [(field << 3) | 2, ...n, ...body];
};
const VARINT = (field: number, v: number): number[] => [field << 3, v]; // v < 128
const fixed = (field: number, wire: number, le: number[], n: number): number[] => {
  assert.equal(le.length, n);
  return [(field << 3) | wire, ...le];
};
const FIXED32 = (field: number, le: number[]): number[] => fixed(field, 5, le, 4);
const FIXED64 = (field: number, le: number[]): number[] => fixed(field, 1, le, 8);
const text = (s: string): number[] => [...new TextEncoder().encode(s)];
const F32_1_5 = [0, 0, 0xc0, 0x3f]; // 1.5f = 0x3fc00000
const F32_M0_25 = [0, 0, 0x80, 0xbe]; // -0.25f = 0xbe800000
const F32_9 = [0, 0, 0x10, 0x41]; // 9f = 0x41100000
const F64_2 = [0, 0, 0, 0, 0, 0, 0, 0x40]; // 2.0 = 0x4000000000000000
const MINUS_3 = [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]; // 2^64 - 3
const entry = (key: string, feature: number[]): number[] => LEN(1, LEN(1, text(key)), LEN(2, feature));
const decode = (bytes: number[]): Map<string, unknown> => decodeExample(Uint8Array.from(bytes), 'r');
const bytesOf = (s: string): Uint8Array => Uint8Array.from(text(s));

test('fields of another number or wire type are skipped at every level, as protobuf skips unknown fields', () => {
  const features = [
    ...LEN(2, LEN(1, text('y')), LEN(2, LEN(1, LEN(1, text('y'))))), // not a map entry (field 2)
    ...FIXED64(1, LEN(1, text('abcd')).concat(LEN(2, []))), // field 1 but 8 fixed bytes that read as an entry
    ...entry('bytes', LEN(1, LEN(1, text('a')), LEN(2, text('b')), VARINT(1, 7))),
    ...entry('float', LEN(2, LEN(1, F32_1_5), LEN(2, F32_9), FIXED64(1, F64_2), VARINT(1, 3), FIXED32(1, F32_M0_25))),
    ...entry('int', LEN(3, LEN(1, [5]), VARINT(2, 9), FIXED32(1, [1, 0, 0, 0]), [0x08, ...MINUS_3])),
    ...entry('kind', [...LEN(1, LEN(1, text('a'))), ...LEN(4, []), ...VARINT(3, 1)]),
    ...LEN(1, LEN(1, text('keyed')), VARINT(1, 7), LEN(2, LEN(3, VARINT(1, 5))), LEN(3, []), VARINT(2, 0)),
  ];
  const example = [
    ...LEN(2, entry('x', LEN(1, LEN(1, text('x'))))), // Example field 2 holding what reads as Features
    ...FIXED64(1, LEN(1, LEN(1, text('kk')), LEN(2, []))), // field 1 but 8 fixed bytes that read as Features
    ...LEN(1, features),
  ];
  assert.deepEqual(
    decode(example),
    new Map<string, unknown>([
      ['bytes', { kind: 'bytes', values: [bytesOf('a')] }],
      ['float', { kind: 'float', values: [1.5, -0.25] }],
      ['int', { kind: 'int64', values: [5n, -3n] }],
      ['kind', { kind: 'bytes', values: [bytesOf('a')] }],
      ['keyed', { kind: 'int64', values: [5n] }],
    ]),
  );
});

test('a map entry without key or value, and a Feature without a list, take protobuf defaults', () => {
  const features = [
    ...LEN(1, LEN(2, LEN(3, VARINT(1, 5)))), // no key: ''
    ...LEN(1, LEN(1, text('novalue'))), // no value: an empty Feature
    ...entry('nolist', []), // a Feature with no list set
  ];
  assert.deepEqual(
    decode(LEN(1, features)),
    new Map<string, unknown>([
      ['', { kind: 'int64', values: [5n] }],
      ['novalue', { kind: 'bytes', values: [] }],
      ['nolist', { kind: 'bytes', values: [] }],
    ]),
  );
});

test('a key that is not UTF-8, and bytes cut short, are refused in one line naming the record', () => {
  const bad = LEN(1, LEN(1, LEN(1, [0x61, 0xff]), LEN(2, [])));
  assert.throws(() => decode(bad), {
    name: 'UserError',
    message: 'r: not a valid tf.train.Example (The encoded data was not valid for encoding utf-8)',
  });
  assert.throws(() => decode([0x0a, 0x80]), {
    name: 'UserError',
    message: 'r: not a valid tf.train.Example (truncated varint at byte 2)',
  });
});

test('int64Feature and bytesFeature want exactly one value of their kind', () => {
  const f = new Map([
    ['half', { kind: 'float' as const, values: [0.5] }],
    ['two', { kind: 'int64' as const, values: [1n, 2n] }],
    ['none', { kind: 'int64' as const, values: [] }],
    ['one', { kind: 'int64' as const, values: [5n] }],
    ['pair', { kind: 'bytes' as const, values: [bytesOf('a'), bytesOf('b')] }],
  ]);
  for (const key of ['half', 'two', 'none', 'pair']) {
    assert.throws(() => int64Feature(f, key, 'r'), { message: `r: feature '${key}' is missing or is not a single int64` });
  }
  for (const key of ['one', 'pair', 'half']) {
    assert.throws(() => bytesFeature(f, key, 'r'), { message: `r: feature '${key}' is missing or is not a single bytes value` });
  }
  assert.equal(int64Feature(f, 'one', 'r'), 5);
});
