import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { crc32, crc32Table } from '../../src/io/crc32.ts';
import { encodeNpy, toFloat32 } from '../../src/io/npy.ts';
import type { NpyArray } from '../../src/io/npy.ts';
import { NpzReader, readNpz, writeNpz } from '../../src/io/npz.ts';
import { zipChunks } from '../../src/io/zip-writer.ts';
import { openOn } from '../helpers/fds.ts';
import { EVERY_DTYPE, npyWithHeader, tempDir, throwsUserError } from './npz-helpers.ts';

const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden', 'a');
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'npz');
const dir = tempDir();

/** Writes a zip of raw entries (not necessarily valid .npy) and returns its path. */
function rawZip(name: string, entries: Record<string, Uint8Array>, compress = false): string {
  const path = join(dir, name);
  const list = Object.entries(entries).map(([n, bytes]) => ({ name: n, parts: [bytes] }));
  fs.writeFileSync(path, Buffer.concat([...zipChunks(list, { compress })]));
  return path;
}

describe('npz written by numpy', () => {
  test('golden ViT checkpoint: keys in archive order, shapes, values', () => {
    const r = NpzReader.open(join(GOLDEN, 'vit.npz'));
    const keys = r.keys();
    assert.equal(keys.length, 42);
    assert.deepEqual(keys.slice(0, 3), ['embedding/kernel', 'embedding/bias', 'cls']);
    assert.equal(keys[41], 'Transformer/encoderblock_1/MlpBlock_3/Dense_1/bias');
    assert.deepEqual(r.info('Transformer/encoderblock_0/MultiHeadDotProductAttention_1/out/kernel'), {
      name: 'Transformer/encoderblock_0/MultiHeadDotProductAttention_1/out/kernel',
      dtype: 'float32',
      shape: [3, 16, 48],
    });
    const cls = r.read('cls');
    assert.deepEqual(cls.shape, [1, 1, 48]);
    assert.deepEqual([...cls.data.subarray(0, 3)], [0.21743888, 0.13028061, 0.08127428].map(Math.fround));
    assert.deepEqual([...r.read('embedding/bias').data.subarray(0, 3)], [0.37746793, -0.039096996, -0.038760815].map(Math.fround));
    const kernel = r.read('embedding/kernel');
    assert.deepEqual(kernel.shape, [8, 8, 3, 48]);
    assert.equal(kernel.data[8 * 8 * 3 * 48 - 1], Math.fround(-0.07794097));
    r.close();
  });

  test('golden expected outputs: scalars and int32', () => {
    const m = readNpz(join(GOLDEN, 'expected.npz'));
    assert.equal(m.size, 17);
    assert.deepEqual(m.get('prompt_idx'), { dtype: 'int32', shape: [5, 2], data: new Int32Array([0, 2, 0, 2, 0, 2, 0, 2, 0, 2]) });
    assert.deepEqual(m.get('loss'), { dtype: 'float32', shape: [], data: new Float32Array([1.9206898]) });
    assert.deepEqual(m.get('ce'), { dtype: 'float32', shape: [], data: new Float32Array([2.0527382]) });
    assert.deepEqual([...m.get('sim')!.data.subarray(0, 2)], [0.10847364, -0.10930391].map(Math.fround));
    for (const name of ['batch.npz', 'l2p.npz']) assert.ok(readNpz(join(GOLDEN, name)).size > 0);
  });

  test('np.savez_compressed with every dtype, a scalar, an empty array and a key with a slash', () => {
    const r = NpzReader.open(join(FIXTURES, 'mixed_compressed.npz'));
    assert.deepEqual(r.keys(), ['f64', 'i64', 'flags', 'scalar', 'u8', 'i8', 'f16', 'i16', 'u16', 'i32', 'u32', 'empty', 'block/w']);
    assert.deepEqual(r.info('f16'), { name: 'f16', dtype: 'float16', shape: [6] });
    const get = (k: string) => r.read(k);
    assert.deepEqual(get('f64'), { dtype: 'float64', shape: [2, 3], data: new Float64Array([1.5, -2.25, 3.0, 1e-300, Math.PI, -0]) });
    assert.deepEqual(get('i64'), { dtype: 'int64', shape: [4], data: new BigInt64Array([-(2n ** 40n), 0n, 7n, 2n ** 53n]) });
    assert.deepEqual(get('flags'), { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
    assert.deepEqual(get('scalar'), { dtype: 'float32', shape: [], data: new Float32Array([3.5]) });
    assert.deepEqual(get('u8'), { dtype: 'uint8', shape: [3], data: new Uint8Array([0, 1, 255]) });
    assert.deepEqual(get('i8'), { dtype: 'int8', shape: [3], data: new Int8Array([-128, 127, 0]) });
    const f16 = get('f16');
    assert.deepEqual(f16.data, new Uint16Array([0x3c00, 0xc100, 0x7bff, 0x0001, 0x7c00, 0x7e00]));
    assert.deepEqual([...toFloat32(f16, 'f16')], [1, -2.5, 65504, 2 ** -24, Infinity, NaN]);
    assert.deepEqual(get('i16').data, new Int16Array([-32768, 32767]));
    assert.deepEqual(get('u16').data, new Uint16Array([0, 65535]));
    assert.deepEqual(get('i32'), { dtype: 'int32', shape: [1, 2], data: new Int32Array([-5, 6]) });
    assert.deepEqual(get('u32').data, new Uint32Array([4294967295, 1]));
    assert.deepEqual(get('empty'), { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) });
    assert.deepEqual(get('block/w').data, new Float32Array([0.25, 0.5]));
    r.close();
  });

  test('big-endian arrays are converted', () => {
    const m = readNpz(join(FIXTURES, 'bigendian.npz'));
    assert.deepEqual(m.get('f'), { dtype: 'float32', shape: [3], data: new Float32Array([1, -2, 0.5]) });
    assert.deepEqual(m.get('q'), { dtype: 'int64', shape: [3], data: new BigInt64Array([1n, -2n, 2n ** 40n]) });
  });

  test('Zip64 extra fields and end records written by Python zipfile', () => {
    const m = readNpz(join(FIXTURES, 'zip64.npz'));
    assert.deepEqual(m.get('a'), { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) });
    assert.deepEqual(m.get('b'), { dtype: 'int32', shape: [3], data: new Int32Array([3, 4, 5]) });
  });

  test('Fortran-order arrays are refused by info and read', () => {
    const r = NpzReader.open(join(FIXTURES, 'fortran.npz'));
    const message = `'${join(FIXTURES, 'fortran.npz')}' entry 'a.npy': Fortran-order arrays are not supported`;
    throwsUserError(() => r.info('a'), message);
    throwsUserError(() => r.read('a'), message);
    r.close();
  });
});

describe('npz round trip', () => {
  for (const [label, opts] of [['stored', {}], ['compressed', { compress: true }]] as const) {
    test(`every dtype, ${label}`, () => {
      const path = join(dir, `all-${label}.npz`);
      const arrays = new Map<string, NpyArray>([...Object.entries(EVERY_DTYPE), ['a/b/ünï', EVERY_DTYPE.f32]]);
      writeNpz(path, arrays, opts);
      assert.deepEqual(readNpz(path), arrays);
      const r = NpzReader.open(path);
      assert.deepEqual(r.info('a/b/ünï'), { name: 'a/b/ünï', dtype: 'float32', shape: [2, 3] });
      r.close();
    });
  }

  test('forced Zip64 records read back', () => {
    const path = join(dir, 'zip64-ours.npz');
    const entries = Object.entries(EVERY_DTYPE).map(([k, a]) => ({ name: `${k}.npy`, parts: [encodeNpy(a)] }));
    fs.writeFileSync(path, Buffer.concat([...zipChunks(entries, { compress: false, forceZip64: true })]));
    assert.deepEqual(readNpz(path), new Map(Object.entries(EVERY_DTYPE)));
  });

  test('identical arrays give identical bytes', () => {
    writeNpz(join(dir, 'x1.npz'), { w: EVERY_DTYPE.f32 });
    writeNpz(join(dir, 'x2.npz'), { w: EVERY_DTYPE.f32 });
    assert.deepEqual(fs.readFileSync(join(dir, 'x1.npz')), fs.readFileSync(join(dir, 'x2.npz')));
  });

  test('the portable CRC-32 matches the native one', () => {
    const bytes = fs.readFileSync(join(FIXTURES, 'mixed_compressed.npz'));
    assert.equal(crc32Table(bytes), crc32(bytes));
    assert.equal(crc32Table(bytes.subarray(100), crc32Table(bytes.subarray(0, 100))), crc32(bytes));
    assert.equal(crc32Table(new TextEncoder().encode('123456789')), 0xcbf43926);
  });
});

describe('npz errors name the file, the entry and the problem', () => {
  const valid = join(dir, 'valid.npz');
  writeNpz(valid, { w: { dtype: 'float32', shape: [4], data: new Float32Array([1, 2, 3, 4]) }, b: EVERY_DTYPE.i64 });
  const bytes = fs.readFileSync(valid);
  const variant = (name: string, edit: (b: Buffer) => Buffer) => {
    const path = join(dir, name);
    fs.writeFileSync(path, edit(Buffer.from(bytes)));
    return path;
  };
  const cdOffset = bytes.readUInt32LE(bytes.length - 6);

  test('missing file, directory, empty file', () => {
    throwsUserError(() => NpzReader.open(join(dir, 'nope.npz')), `'${join(dir, 'nope.npz')}' does not exist`);
    throwsUserError(() => readNpz(dir), `'${dir}' is a directory, not a file`);
    const empty = variant('empty.npz', () => Buffer.alloc(0));
    throwsUserError(() => NpzReader.open(empty), `'${empty}' is not a valid npz file: the file is empty`);
  });

  test('truncated archives', () => {
    for (const cut of [1, 21, 100, cdOffset, bytes.length - 22, bytes.length - 1]) {
      const path = variant('cut.npz', (b) => b.subarray(0, cut));
      throwsUserError(() => NpzReader.open(path), `'${path}' is not a valid npz file: truncated (end of central directory not found)`);
    }
  });

  test('bad CRC', () => {
    const path = variant('crc.npz', (b) => {
      b[b.indexOf(Buffer.from(new Float32Array([3]).buffer))] ^= 1;
      return b;
    });
    throwsUserError(() => readNpz(path), `'${path}' entry 'w.npy': CRC-32 mismatch (the entry is corrupt)`);
  });

  test('length fields that lie are caught before allocating', () => {
    const big = variant('big.npz', (b) => (b.writeUInt32LE(0x7fffffff, cdOffset + 20), b.writeUInt32LE(0x7fffffff, cdOffset + 24), b));
    throwsUserError(() => NpzReader.open(big), `'${big}' entry 'w.npy': data runs past the start of the central directory`);
    const count = variant('count.npz', (b) => (b.writeUInt16LE(0xfffe, b.length - 12), b));
    throwsUserError(() => NpzReader.open(count), 'is not a valid npz file: the directory is too small for 65534 entries');
    const cdSize = variant('cdsize.npz', (b) => (b.writeUInt32LE(0xfffffff0, b.length - 10), b));
    throwsUserError(() => NpzReader.open(cdSize), 'the central directory lies past its end record');
    const local = variant('local.npz', (b) => (b.writeUInt16LE(0xffff, 28), b));
    throwsUserError(() => readNpz(local), "entry 'w.npy': data runs past the start of the central directory");
  });

  test('entries that are not .npy arrays', () => {
    const notNpy = rawZip('notnpy.npz', { 'x.npy': new TextEncoder().encode('hello, world') });
    throwsUserError(() => readNpz(notNpy), `'${notNpy}' entry 'x.npy' is not a .npy array: the magic string '\\x93NUMPY' is missing`);
    const other = rawZip('other.npz', { 'readme.txt': new Uint8Array(3) });
    throwsUserError(() => NpzReader.open(other), `'${other}' is not a valid npz file: entry 'readme.txt' is not a .npy array`);
  });

  test('short data and unknown dtype inside an archive', () => {
    const short = npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 768), }", new Uint8Array(100));
    const unknown = npyWithHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8));
    for (const compress of [false, true]) {
      const path = rawZip('short.npz', { 'cls.npy': short, 'z.npy': unknown }, compress);
      throwsUserError(() => readNpz(path), `'${path}' entry 'cls.npy': data is 100 bytes, shape [1,1,768] float32 needs 3072`);
      throwsUserError(() => NpzReader.open(path).info('z'), `'${path}' entry 'z.npy': unsupported dtype '<c8'`);
    }
  });

  test('a key that is not there', () => {
    const r = NpzReader.open(valid);
    throwsUserError(() => r.read('head/kernel'), `'${valid}' has no entry 'head/kernel' (it has 2: 'w', 'b')`);
    r.close();
  });
});

describe('npz entries, listings, descriptors and compression', () => {
  const PYTHON = '/usr/bin/python3';
  const python = (code: string, ...args: string[]) => execFileSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8' });

  test('folder entries written by Python zipfile are skipped; other entries are not', () => {
    const folders = join(dir, 'folders.npz');
    python(
      `import io, sys, zipfile, numpy as np
b = io.BytesIO(); np.save(b, np.arange(3, dtype='<i2'))
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('block/', b''); z.writestr('block/inner/', b''); z.writestr('block/w.npy', b.getvalue())`,
      folders,
    );
    const r = NpzReader.open(folders);
    assert.deepEqual(r.keys(), ['block/w']);
    assert.deepEqual(r.read('block/w'), { dtype: 'int16', shape: [3], data: new Int16Array([0, 1, 2]) });
    r.close();
    const emptyNpy = rawZip('empty-entry.npz', { 'e.npy': new Uint8Array(0), 'w.npy': encodeNpy(EVERY_DTYPE.u8) });
    const e = NpzReader.open(emptyNpy);
    assert.deepEqual(e.keys(), ['e', 'w']);
    throwsUserError(() => e.read('e'), `'${emptyNpy}' entry 'e.npy' is not a .npy array: the magic string '\\x93NUMPY' is missing`);
    e.close();
    const fullFolder = rawZip('full-folder.npz', { 'x/': new Uint8Array(3) });
    throwsUserError(() => NpzReader.open(fullFolder), `'${fullFolder}' is not a valid npz file: entry 'x/' is not a .npy array`);
  });

  test('a missing key lists the first five keys, then an ellipsis', () => {
    const arrays = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, EVERY_DTYPE.u8]));
    for (const [n, shown] of [[5, "'k0', 'k1', 'k2', 'k3', 'k4'"], [6, "'k0', 'k1', 'k2', 'k3', 'k4', ..."]] as const) {
      const path = join(dir, `keys${n}.npz`);
      writeNpz(path, arrays(n));
      const r = NpzReader.open(path);
      const message = `'${path}' has no entry 'k9' (it has ${n}: ${shown})`;
      assert.equal(throwsUserError(() => r.info('k9'), message), message);
      r.close();
    }
  });

  test('close and readNpz release the file', () => {
    const path = join(dir, 'fd.npz');
    writeNpz(path, { w: EVERY_DTYPE.f32 });
    const r = NpzReader.open(path);
    assert.equal(openOn(path), 1);
    r.close();
    assert.equal(openOn(path), 0);
    readNpz(path);
    assert.equal(openOn(path), 0);
  });

  test('an empty key is refused as a bug', () => {
    const path = join(dir, 'empty-key.npz');
    assert.throws(() => writeNpz(path, { '': EVERY_DTYPE.u8 }), (e: unknown) => e instanceof Error && e.message === 'writeNpz: an array key is empty');
    assert.equal(fs.existsSync(path), false);
  });

  test('entries are stored by default and deflated with compress; numpy reads both', () => {
    const ramp = { dtype: 'float32', shape: [64, 4], data: new Float32Array(256).map((_, i) => i % 7) } satisfies NpyArray;
    const methods: Record<string, unknown> = {};
    for (const [name, opts] of [['default', undefined], ['stored', { compress: false }], ['deflated', { compress: true }]] as const) {
      const path = join(dir, `${name}.npz`);
      writeNpz(path, { ramp, flags: EVERY_DTYPE.bool }, opts);
      methods[name] = JSON.parse(
        python(
          `import sys, json, zipfile, numpy as np
z = zipfile.ZipFile(sys.argv[1]); m = np.load(sys.argv[1])
print(json.dumps([[i.filename, i.compress_type] for i in z.infolist()] + [m['ramp'].ravel().tolist(), m['flags'].tolist()]))`,
          path,
        ),
      );
    }
    const values = [[...ramp.data], [true, false, true]];
    assert.deepEqual(methods, {
      default: [['ramp.npy', 0], ['flags.npy', 0], ...values],
      stored: [['ramp.npy', 0], ['flags.npy', 0], ...values],
      deflated: [['ramp.npy', 8], ['flags.npy', 8], ...values],
    });
  });
});
