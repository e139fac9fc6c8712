import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { encodeNpy, float16ToFloat32, npyHeaderLength, parseNpy, parseNpyHeader, toFloat32 } from '../../src/io/npy.ts';
import type { NpyArray } from '../../src/io/npy.ts';
import { readNpy, writeNpy } from '../../src/io/npz.ts';
import { parsePyLiteral } from '../../src/io/py-literal.ts';
import { EVERY_DTYPE, bytesOf, npyWithHeader, tempDir, throwsUserError } from './npz-helpers.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'npz');
const PYTHON = '/usr/bin/python3';
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Magic, version `major`.`minor`, then a length field (2 bytes in 1.0, 4 after) holding `length`, cut to `size` bytes. */
function prefixOf(major: number, minor: number, length: number, size: number): Uint8Array {
  const out = new Uint8Array(12);
  out.set([...MAGIC, major, minor]);
  if (major === 1) new DataView(out.buffer).setUint16(8, length, true);
  else new DataView(out.buffer).setUint32(8, length, true);
  return out.slice(0, size);
}

/** A .npy of version `major`.0 whose header is exactly `text` (unpadded), with no items. */
function rawNpy(major: number, text: Uint8Array): Uint8Array {
  const prefix = prefixOf(major, 0, text.length, major === 1 ? 10 : 12);
  const out = new Uint8Array(prefix.length + text.length);
  out.set(prefix);
  out.set(text, prefix.length);
  return out;
}

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

describe('npy prefixes, versions and header text', () => {
  const truncated = (bytes: Uint8Array) => assert.equal(throwsUserError(() => npyHeaderLength(bytes, 's'), 'truncated'), 's: the .npy header is truncated');

  test('a prefix is long enough exactly when it holds its length field', () => {
    truncated(Uint8Array.from(MAGIC));
    truncated(prefixOf(1, 0, 118, 8));
    truncated(prefixOf(1, 0, 118, 9));
    assert.equal(npyHeaderLength(prefixOf(1, 0, 118, 10), 's'), 128);
    truncated(prefixOf(2, 0, 65536, 10));
    truncated(prefixOf(3, 0, 65536, 11));
    assert.equal(npyHeaderLength(prefixOf(2, 0, 65536, 12), 's'), 12 + 65536);
    assert.equal(npyHeaderLength(prefixOf(3, 0, 52, 12), 's'), 64);
    const cut = (size: number) => throwsUserError(() => parseNpy(encodeNpy(EVERY_DTYPE.u8).subarray(0, size), 's'), 'truncated');
    assert.equal(cut(8), 's: the .npy header is truncated');
    assert.equal(cut(10), 's: the .npy header is truncated (10 bytes, the header needs 128)');
  });

  test('only minor version 0 of 1, 2 and 3 is read', () => {
    for (const [major, minor] of [[1, 1], [2, 1], [3, 2], [0, 0]]) {
      const message = `s: unsupported .npy format version ${major}.${minor}`;
      assert.equal(throwsUserError(() => npyHeaderLength(prefixOf(major, minor, 52, 12), 's'), message), message);
    }
  });

  test('header text is latin-1 in versions 1.0 and 2.0, UTF-8 in 3.0 (as numpy writes it)', () => {
    const dict = "{'descr': 'é', 'fortran_order': False, 'shape': (0,), }";
    const message = "s: unsupported dtype 'é' (supported:";
    for (const [major, encoding] of [[1, 'latin1'], [2, 'latin1'], [3, 'utf8']] as const) {
      const bytes = rawNpy(major, Buffer.from(dict, encoding));
      assert.ok(throwsUserError(() => parseNpy(bytes, 's'), message).startsWith(message), `version ${major}.0`);
    }
  });

  test('a shape item that is not an integer is refused, not read as 0', () => {
    for (const item of ["'a'", 'None', '(1,)']) {
      const bytes = npyWithHeader(`{'descr': '<f4', 'fortran_order': False, 'shape': (${item},), }`);
      throwsUserError(() => parseNpy(bytes, 's'), 's: shape in the .npy header is not a tuple of non-negative integers');
    }
  });

  test('one-byte dtypes have no byte order to swap, whatever the descr says', () => {
    for (const [descr, dtype] of [['>u1', 'uint8'], ['>i1', 'int8'], ['>b1', 'bool'], ['|u1', 'uint8']]) {
      const header = parseNpyHeader(npyWithHeader(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`), 's');
      assert.deepEqual(header, { dtype, bigEndian: false, shape: [2], dataOffset: 128 }, descr);
    }
    assert.equal(parseNpyHeader(npyWithHeader("{'descr': '>i2', 'fortran_order': False, 'shape': (), }"), 's').bigEndian, true);
  });

  test('encodeNpy names the bug exactly', () => {
    const bad = (arr: NpyArray, message: string) => assert.throws(() => encodeNpy(arr), (e: unknown) => e instanceof Error && !(e instanceof UserError) && e.message === message);
    bad({ dtype: 'complex64' as NpyArray['dtype'], shape: [1], data: new Float32Array(2) }, "encodeNpy: unknown dtype 'complex64'");
    bad({ dtype: 'float32', shape: [2, -1], data: new Float32Array(0) }, 'encodeNpy: bad shape [2,-1]');
    bad({ dtype: 'float32', shape: [2, 1.5], data: new Float32Array(3) }, 'encodeNpy: bad shape [2,1.5]');
    bad({ dtype: 'float32', shape: [2, 3], data: new Float32Array(5) }, 'encodeNpy: shape [2,3] needs 6 items, data has 5');
  });

  test('toFloat32 refuses 32- and 64-bit integers past 2^24, not floats or narrower integers', () => {
    // 2^24 + 1 = 16777217 is the first integer float32 cannot hold (np.float32(16777217) == 16777216).
    for (const [dtype, data] of [['int32', new Int32Array([3, -16777217])], ['uint32', new Uint32Array([3, 16777217])], ['int64', new BigInt64Array([3n, 16777217n])]] as const) {
      const message = `s: ${dtype} value ${data[1]} at index 1 is not exactly representable as float32`;
      assert.equal(throwsUserError(() => toFloat32({ dtype, shape: [2], data }, 's'), message), message);
      const edge = dtype === 'int64' ? new BigInt64Array([16777216n]) : dtype === 'int32' ? new Int32Array([-16777216]) : new Uint32Array([16777216]);
      assert.deepEqual([...toFloat32({ dtype, shape: [1], data: edge }, 's')], [Number(edge[0])]);
    }
    assert.deepEqual(toFloat32({ dtype: 'float64', shape: [2], data: new Float64Array([1e30, 16777217]) }, 's'), new Float32Array([1e30, 16777216]));
    assert.deepEqual(toFloat32({ dtype: 'uint16', shape: [1], data: new Uint16Array([65535]) }, 's'), new Float32Array([65535]));
  });
});

describe('npy header version, against numpy', () => {
  /** A shape (first dimension 0, so no items) whose header dict is exactly `length` characters. */
  function shapeForDict(length: number): number[] {
    const base = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }".length;
    // n one-digit dimensions take 3n - 2 characters; each 10 in place of a 1 adds one more.
    const n = Math.floor((length - base + 2) / 3);
    const tens = length - base - (3 * n - 2);
    return Array.from({ length: n }, (_, i) => (i === 0 ? 0 : i <= tens ? 10 : 1));
  }

  test('version 1.0 while the padded header length fits in 2 bytes, then 2.0; numpy reads both', () => {
    const dir = tempDir();
    // The padded header is ceil((10 + length + 1) / 64) * 64 - 10 bytes: 65526 for lengths 65462..65525, 65590 at 65526.
    const cases = [[100, 1, 118], [65524, 1, 65526], [65525, 1, 65526], [65526, 2, 65588], [70000, 2, 70004]] as const;
    const paths = cases.map(([length, version, field]) => {
      const arr: NpyArray = { dtype: 'float32', shape: shapeForDict(length), data: new Float32Array(0) };
      const bytes = encodeNpy(arr);
      const prefix = version === 1 ? 10 : 12;
      assert.equal(new TextDecoder().decode(bytes.subarray(prefix)).trimEnd().length, length, `dict of ${length}`);
      assert.deepEqual([bytes[6], bytes[7]], [version, 0], `dict of ${length}`);
      assert.equal(npyHeaderLength(bytes, 's'), prefix + field, `dict of ${length}`);
      assert.equal(bytes.length, prefix + field);
      assert.deepEqual(parseNpy(bytes, 's'), arr);
      const path = join(dir, `h${length}.npy`);
      fs.writeFileSync(path, bytes);
      return path;
    });
    const code = `import sys, json, numpy.lib.format as f
out = []
for p in sys.argv[1:]:
    with open(p, 'rb') as fp:
        v = f.read_magic(fp)
        shape, fortran, dtype = f._read_array_header(fp, v, max_header_size=2**20)
        out.append([list(v), len(shape), dtype.str, fortran, fp.tell()])
print(json.dumps(out))`;
    const read = JSON.parse(execFileSync(PYTHON, ['-c', code, ...paths], { encoding: 'utf8' })) as unknown[];
    assert.deepEqual(
      read,
      cases.map(([length, version, field]) => [[version, 0], shapeForDict(length).length, '<f4', false, (version === 1 ? 10 : 12) + field]),
    );
  });
});
