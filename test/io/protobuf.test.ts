// The protobuf wire format against bytes built by hand: a key is one varint, (field << 3) | wire,
// so 0x08 is field 1 varint, 0x0a field 1 length-delimited, 0x0d field 1 fixed32, 0x11 field 2 fixed64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProtoError,
  ProtoWriter,
  fixedToDouble,
  fixedToFloat,
  readFields,
  readPackedFloats,
  readPackedVarints,
} from '../../src/io/protobuf.ts';

const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const ff9 = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]; // 9 × 7 one-bits
const c10 = Array<number>(10).fill(0x80); // ten bytes that each say "more follows"

function refuses(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ProtoError, `not a ProtoError: ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}
const all = (buf: Uint8Array) => [...readFields(buf)];

test('readFields reads varints up to ten bytes and fixed-width fields as their own bytes', () => {
  // 0x96 0x01 = 0x16 + (1 << 7) = 150; nine 0xff then 0x01 = 2^63 - 1 + 2^63 = 2^64 - 1
  const fs = all(b(0x08, 0x96, 0x01, 0x10, ...ff9, 0x01));
  assert.deepEqual(
    fs.map((f) => [f.field, f.wire, f.varint]),
    [
      [1, 0, 150n],
      [2, 0, 2n ** 64n - 1n],
    ],
  );
  // 1.5f = 0x3fc00000, 2.0 = 0x4000000000000000, both little-endian; then field 3 holding [7]
  const fixed = all(b(0x0d, 0, 0, 0xc0, 0x3f, 0x11, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x1a, 0x01, 7));
  assert.deepEqual(
    fixed.map((f) => [f.field, f.wire, [...f.bytes]]),
    [
      [1, 5, [0, 0, 0xc0, 0x3f]],
      [2, 1, [0, 0, 0, 0, 0, 0, 0, 0x40]],
      [3, 2, [7]],
    ],
  );
  assert.equal(fixedToFloat(fixed[0].bytes), 1.5);
  assert.equal(fixedToDouble(fixed[1].bytes), 2);
});

test('readFields refuses truncated, overlong and unknown fields with the byte where it stopped', () => {
  refuses(() => all(b(0x08)), 'truncated varint at byte 1');
  refuses(() => all(b(0x08, 0x80)), 'truncated varint at byte 2');
  refuses(() => all(b(0x08, ...c10, 0x01)), 'varint longer than 10 bytes at byte 11');
  refuses(() => all(b(...c10, 0x08)), 'varint longer than 10 bytes at byte 10');
  refuses(() => all(b(0x00, 0x00)), 'field number 0 at byte 1');
  refuses(() => all(b(0x0d, 1, 2, 3)), 'truncated fixed-width field 1 at byte 1');
  refuses(() => all(b(0x11, 1, 2, 3, 4, 5, 6, 7)), 'truncated fixed-width field 2 at byte 1');
  refuses(() => all(b(0x0a, 0x05, 1)), 'field 1 claims 5 bytes at byte 2, only 1 remain');
  refuses(() => all(b(0x0a, ...ff9, 0x01)), 'field 1 claims 18446744073709551615 bytes at byte 11, only 0 remain');
  // wire types 3 and 4 (groups), 6 and 7 do not exist in proto3
  refuses(() => all(b(0x0b, 0x00)), 'unsupported wire type 3 for field 1 at byte 1');
  refuses(() => all(b(0x14)), 'unsupported wire type 4 for field 2 at byte 1');
  refuses(() => all(b(0x08, 0x01, 0x1e)), 'unsupported wire type 6 for field 3 at byte 3');
  refuses(() => all(b(0x0f, 0x00)), 'unsupported wire type 7 for field 1 at byte 1');
});

test('packed varints: several in one payload, ten bytes at most, none cut short', () => {
  assert.deepEqual(readPackedVarints(b(0x96, 0x01, ...ff9, 0x01, 0x00)), [150n, 2n ** 64n - 1n, 0n]);
  assert.deepEqual(readPackedVarints(b()), []);
  refuses(() => readPackedVarints(b(0x80)), 'truncated packed varint');
  refuses(() => readPackedVarints(b(0x05, 0x96)), 'truncated packed varint');
  refuses(() => readPackedVarints(b(...c10, 0x00)), 'packed varint longer than 10 bytes');
});

test('packed floats: little-endian float32s, whole ones only', () => {
  // -0.25f = 0xbe800000
  assert.deepEqual([...readPackedFloats(b(0, 0, 0xc0, 0x3f, 0, 0, 0x80, 0xbe))], [1.5, -0.25]);
  refuses(() => readPackedFloats(b(0, 0, 0xc0, 0x3f, 0)), 'packed float payload of 5 bytes is not a multiple of 4');
  refuses(() => readPackedFloats(b(1, 2)), 'packed float payload of 2 bytes is not a multiple of 4');
});

test('the writer encodes booleans as 1 and 0, and negative numbers in ten bytes', () => {
  const w = new ProtoWriter().varint(1, true).varint(2, false).varint(3, -1);
  assert.deepEqual([...w.finish()], [0x08, 0x01, 0x10, 0x00, 0x18, ...ff9, 0x01]);
});
