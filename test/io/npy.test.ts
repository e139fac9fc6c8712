import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { encodeNpy, float16ToFloat32, parseNpy, toFloat32 } from '../../src/io/npy.ts';
import type { NpyArray } from '../../src/io/npy.ts';
import { readNpy, writeNpy } from '../../src/io/npz.ts';
import { parsePyLiteral } from '../../src/io/py-literal.ts';
import { EVERY_DTYPE, bytesOf, npyWithHeader, tempDir, throwsUserError } from './npz-helpers.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'npz');

describe('npy', () => {
  test('encode → parse round-trips every dtype', () => {
    for (const [key, arr] of Object.entries(EVERY_DTYPE)) {
      const bytes = encodeNpy(arr);
      assert.equal((bytes.length - arr.data.byteLength) % 64, 0, `${key}: items start on a 64-byte boundary`);
      assert.deepEqual(parseNpy(bytes, key), arr, key);
    }
  });

  test('the header matches what numpy writes', () => {
    const bytes = encodeNpy({ dtype: 'float32', shape: [5, 48], data: new Float32Array(240) });
    const text = new TextDecoder().decode(bytes.subarray(10, 128));
    assert.equal(text, "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 48), }".padEnd(117) + '\n');
    const one = new TextDecoder().decode(encodeNpy(EVERY_DTYPE.bool).subarray(10, 128));
    assert.ok(one.startsWith("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }"), one);
  });

  test('reads version 2.0 and 3.0 headers written by numpy', () => {
    const v2 = readNpy(join(FIXTURES, 'v2.npy'));
    assert.deepEqual(v2, { dtype: 'int16', shape: [2, 2], data: new Int16Array([1, 2, 3, 4]) });
    const v3 = readNpy(join(FIXTURES, 'v3.npy'));
    assert.deepEqual(v3, { dtype: 'float64', shape: [1], data: new Float64Array([1.25]) });
  });

  test('writeNpy → readNpy', () => {
    const path = join(tempDir(), 'a.npy');
    writeNpy(path, EVERY_DTYPE.i64);
    assert.deepEqual(readNpy(path), EVERY_DTYPE.i64);
  });

  test('copies data that is not aligned for its dtype, views data that is', () => {
    const bytes = encodeNpy({ dtype: 'float64', shape: [2], data: new Float64Array([1.5, -3]) });
    const shifted = new Uint8Array(bytes.length + 3).subarray(3);
    shifted.set(bytes);
    const copied = parseNpy(shifted, 'shifted');
    assert.deepEqual([...copied.data], [1.5, -3]);
    assert.notEqual(copied.data.buffer, shifted.buffer);
    assert.equal(parseNpy(bytes, 'aligned').data.buffer, bytes.buffer);
  });

  test('converts big-endian items to host order', () => {
    const be = new Uint8Array([0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]); // 1.0, -2.0 as >f4
    const arr = parseNpy(npyWithHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", be), 'be');
    assert.deepEqual(arr, { dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) });
  });

  test('accepts the header forms numpy has written: (3L,) longs, double quotes, no trailing comma', () => {
    const data = bytesOf(new Int32Array([7, 8, 9]));
    const arr = parseNpy(npyWithHeader('{"descr": "<i4", "shape": (3L,), "fortran_order": False}', data), 'py2');
    assert.deepEqual(arr, { dtype: 'int32', shape: [3], data: new Int32Array([7, 8, 9]) });
  });

  test('float16 decodes normals, subnormals, infinities and NaN', () => {
    assert.equal(float16ToFloat32(0x3c00), 1);
    assert.equal(float16ToFloat32(0xc100), -2.5);
    assert.equal(float16ToFloat32(0x7bff), 65504);
    assert.equal(float16ToFloat32(0x0001), 2 ** -24);
    assert.equal(float16ToFloat32(0x7c00), Infinity);
    assert.equal(float16ToFloat32(0xfc00), -Infinity);
    assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
    assert.ok(Object.is(float16ToFloat32(0x8000), -0));
  });

  test('toFloat32 returns float32 data itself and converts the rest', () => {
    const f32 = EVERY_DTYPE.f32;
    assert.equal(toFloat32(f32, 'x'), f32.data);
    assert.deepEqual(toFloat32(EVERY_DTYPE.f16, 'x'), new Float32Array([1, -2.5]));
    assert.deepEqual(toFloat32(EVERY_DTYPE.f64, 'x'), new Float32Array([Math.PI, -1, 0]));
    assert.deepEqual(toFloat32(EVERY_DTYPE.bool, 'x'), new Float32Array([1, 0, 1]));
    const i64: NpyArray = { dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 24n), 5n]) };
    assert.deepEqual(toFloat32(i64, 'x'), new Float32Array([-(2 ** 24), 5]));
    throwsUserError(
      () => toFloat32(EVERY_DTYPE.i64, "'m.npz' entry 'i64.npy'"),
      "'m.npz' entry 'i64.npy': int64 value -4611686018427387904 at index 0 is not exactly representable as float32",
    );
  });

  test('encodeNpy refuses inconsistent arrays as bugs, not user errors', () => {
    assert.throws(() => encodeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(2) }), /needs 3 items, data has 2/);
    assert.throws(() => encodeNpy({ dtype: 'int64', shape: [1], data: new Float64Array(1) }), /int64 data cannot be a Float64Array/);
    assert.throws(() => encodeNpy({ dtype: 'float32', shape: [-1], data: new Float32Array(0) }), /bad shape/);
  });
});

describe('npy errors name the source and the problem', () => {
  const f32 = (dict: string, n = 0) => npyWithHeader(dict, new Uint8Array(4 * n));

  test('bad magic', () => {
    throwsUserError(
      () => parseNpy(new TextEncoder().encode('PK\x03\x04 not an npy'), "'a.npz' entry 'x.npy'"),
      "'a.npz' entry 'x.npy' is not a .npy array: the magic string '\\x93NUMPY' is missing",
    );
    throwsUserError(() => parseNpy(new Uint8Array(0), 'empty'), 'is not a .npy array');
  });

  test('unsupported version and truncated header', () => {
    const bytes = encodeNpy(EVERY_DTYPE.u8);
    bytes[6] = 4;
    throwsUserError(() => parseNpy(bytes, 's'), 's: unsupported .npy format version 4.0');
    throwsUserError(() => parseNpy(encodeNpy(EVERY_DTYPE.u8).subarray(0, 40), 's'), 's: the .npy header is truncated (40 bytes, the header needs 128)');
    throwsUserError(() => parseNpy(encodeNpy(EVERY_DTYPE.u8).subarray(0, 8), 's'), 's: the .npy header is truncated');
  });

  test('fortran order is refused', () => {
    throwsUserError(() => parseNpy(f32("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 6), 's'), 's: Fortran-order arrays are not supported');
  });

  test('short and long data', () => {
    const cls = f32("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 768), }", 25);
    throwsUserError(() => parseNpy(cls, "'/x/vit.npz' entry 'cls.npy'"), "'/x/vit.npz' entry 'cls.npy': data is 100 bytes, shape [1,1,768] float32 needs 3072");
    throwsUserError(() => parseNpy(f32("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 2), 's'), 's: data is 8 bytes, shape [] float32 needs 4');
    const huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
    throwsUserError(() => parseNpy(f32(huge), 's'), 's: data is 0 bytes, shape [4294967296,4294967296] float64 needs more than 2^53');
  });

  test('unknown and structured dtypes', () => {
    throwsUserError(() => parseNpy(f32("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", 2), 's'), "s: unsupported dtype '<u8' (supported:");
    throwsUserError(() => parseNpy(f32("{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }", 5), 's'), "unsupported dtype '<U5'");
    throwsUserError(() => parseNpy(f32("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", 1), 's'), "unsupported dtype '|f4'");
    const structured = "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }";
    throwsUserError(() => parseNpy(f32(structured, 2), 's'), 's: unsupported dtype a structured dtype');
  });

  test('headers that are not the expected dict', () => {
    throwsUserError(() => parseNpy(f32('[1, 2]'), 's'), 's: the .npy header is not a dict');
    throwsUserError(
      () => parseNpy(f32("{'descr': __import__('os'), }"), 's'),
      /^s: the \.npy header is not a Python literal \(unexpected character "_" at character 10\)$/,
    );
    throwsUserError(
      () => parseNpy(f32("{'descr': '<f4', 'shape': (1,), }"), 's'),
      's: the .npy header has keys {descr, shape}, expected descr, fortran_order and shape',
    );
    const header = (fortran: string, shape: string) => `{'descr': '<f4', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
    throwsUserError(() => parseNpy(f32(header('0', '(1,)'), 1), 's'), 'fortran_order in the .npy header is not True or False');
    const notShape = 'shape in the .npy header is not a tuple of non-negative integers';
    throwsUserError(() => parseNpy(f32(header('False', '(1)'), 1), 's'), notShape);
    throwsUserError(() => parseNpy(f32(header('False', '(-1,)')), 's'), notShape);
  });

  test('readNpy names a missing file', () => {
    throwsUserError(() => readNpy('/nonexistent/a.npy'), "'/nonexistent/a.npy' does not exist");
  });
});

describe('python literal parser', () => {
  test('parses the values numpy headers use', () => {
    const v = parsePyLiteral(" {'a': (), 'b': (1,), 'c': [None, True], 'd': -3, 'e': \"x\"} ");
    assert.deepEqual(v, {
      kind: 'dict',
      entries: new Map<string, unknown>([
        ['a', { kind: 'tuple', items: [] }],
        ['b', { kind: 'tuple', items: [{ kind: 'int', value: 1 }] }],
        ['c', { kind: 'list', items: [{ kind: 'none' }, { kind: 'bool', value: true }] }],
        ['d', { kind: 'int', value: -3 }],
        ['e', { kind: 'str', value: 'x' }],
      ]),
    });
  });

  test('rejects everything else', () => {
    const deep = '('.repeat(40) + '1' + ')'.repeat(40);
    const bads = ["{'a': 1} x", "{'a' 1}", '{1: 2}', "{'a': 1, 'a': 2}", "'a\\'b'", '(1 2)', '99999999999999999999', deep, "'open", '1.5', ''];
    for (const bad of bads) {
      assert.throws(() => parsePyLiteral(bad), (e: unknown) => e instanceof Error && !(e instanceof UserError) && e.name === 'PyLiteralError', bad);
    }
  });
});
