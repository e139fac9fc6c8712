// Shared by the io tests: temporary folders, hand-made .npy bytes and UserError assertions.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { UserError } from '../../src/errors.ts';
import type { NpyArray } from '../../src/io/npy.ts';

/** A fresh folder under the OS temp dir, removed when the test file finishes. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'l2p-io-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A version 1.0 .npy whose header text is `dict` verbatim (padded like numpy), followed by `data`. */
export function npyWithHeader(dict: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, total - prefix, true);
  else view.setUint32(8, total - prefix, true);
  out.set(new TextEncoder().encode(dict.padEnd(total - prefix - 1, ' ') + '\n'), prefix);
  out.set(data, total);
  return out;
}

/** The bytes of a typed array, e.g. to append after a hand-made header. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Asserts that `fn` throws a UserError whose message matches `pattern`; returns the message. */
export function throwsUserError(fn: () => unknown, pattern: RegExp | string): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    if (typeof pattern === 'string') {
      assert.ok(e.message.includes(pattern), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(pattern)}`);
    } else {
      assert.match(e.message, pattern);
    }
    return e.message;
  }
  assert.fail('expected a UserError, nothing was thrown');
}

/** One array of every dtype, with extreme values where the dtype has them. */
export const EVERY_DTYPE: Record<string, NpyArray> = {
  f32: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 6e-39]) },
  f64: { dtype: 'float64', shape: [3], data: new Float64Array([Math.PI, -1, 1e-300]) },
  f16: { dtype: 'float16', shape: [2], data: new Uint16Array([0x3c00, 0xc100]) },
  i8: { dtype: 'int8', shape: [2], data: new Int8Array([-128, 127]) },
  u8: { dtype: 'uint8', shape: [2], data: new Uint8Array([0, 255]) },
  i16: { dtype: 'int16', shape: [1, 2], data: new Int16Array([-32768, 7]) },
  u16: { dtype: 'uint16', shape: [2], data: new Uint16Array([65535, 7]) },
  i32: { dtype: 'int32', shape: [2], data: new Int32Array([-5, 2147483647]) },
  u32: { dtype: 'uint32', shape: [2], data: new Uint32Array([4294967295, 0]) },
  i64: { dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 62n), 9n]) },
  bool: { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
  scalar: { dtype: 'float32', shape: [], data: new Float32Array([2.5]) },
  empty: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
};
