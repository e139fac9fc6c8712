import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openIdx, readIdxDims } from '../../src/io/idx.ts';
import { UserError } from '../../src/errors.ts';
import { openOn } from '../helpers/fds.ts';

const dir = mkdtempSync(join(tmpdir(), 'l2p-idx-'));

/** IDX as the MNIST page specifies it: 0x00 0x00 0x08 <ndims>, big-endian uint32 sizes, then the bytes. */
function idx(dims: number[], data: number[]): Uint8Array {
  const head = [0, 0, 0x08, dims.length];
  for (const d of dims) head.push((d >>> 24) & 0xff, (d >>> 16) & 0xff, (d >>> 8) & 0xff, d & 0xff);
  return Uint8Array.from([...head, ...data]);
}

/** Writes `bytes` as `name` and gzipped as `name.gz`; returns both paths. */
function both(name: string, bytes: Uint8Array): [string, string] {
  const plain = join(dir, name);
  writeFileSync(plain, bytes);
  writeFileSync(`${plain}.gz`, gzipSync(bytes));
  return [plain, `${plain}.gz`];
}

const bytes = (...xs: number[]) => Uint8Array.from(xs);

test('items and all() of a 3×2×2 image file, plain and gzipped', async () => {
  const data = Array.from({ length: 12 }, (_, i) => 10 + i);
  for (const p of both('images', idx([3, 2, 2], data))) {
    const f = await openIdx(p);
    assert.equal(f.path, p);
    assert.deepEqual(f.dims, [3, 2, 2]);
    assert.deepEqual(await f.item(0), bytes(10, 11, 12, 13));
    assert.deepEqual(await f.item(1), bytes(14, 15, 16, 17));
    assert.deepEqual(await f.item(2), bytes(18, 19, 20, 21));
    assert.deepEqual(await f.all(), Uint8Array.from(data));
    assert.deepEqual(await readIdxDims(p), [3, 2, 2]);
  }
});

test('a label file and an empty one, plain and gzipped', async () => {
  for (const p of both('labels', idx([4], [7, 1, 3, 9]))) {
    const f = await openIdx(p);
    assert.deepEqual(f.dims, [4]);
    assert.deepEqual(await f.item(2), bytes(3));
    assert.deepEqual(await f.all(), bytes(7, 1, 3, 9));
    assert.deepEqual(await readIdxDims(p), [4]);
  }
  // A header and nothing else: eight bytes, all of them header.
  for (const p of both('empty', idx([0], []))) {
    const f = await openIdx(p);
    assert.deepEqual(f.dims, [0]);
    assert.deepEqual(await f.all(), new Uint8Array(0));
    assert.deepEqual(await readIdxDims(p), [0]);
  }
});

test('sizes above 255 are read big-endian', async () => {
  const data = Array.from({ length: 300 }, (_, i) => i & 0xff);
  // Python: struct.pack('>4B2I', 0, 0, 8, 2, 1, 300).hex()
  assert.equal(Buffer.from(idx([1, 300], [])).toString('hex'), '00000802000000010000012c');
  for (const p of both('wide', idx([1, 300], data))) {
    assert.deepEqual(await readIdxDims(p), [1, 300]);
    const f = await openIdx(p);
    assert.deepEqual(await f.item(0), Uint8Array.from(data));
  }
});

async function refused(promise: Promise<unknown>, message: string) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

const BAD_HEADERS: [string, Uint8Array, string][] = [
  ['short', bytes(0, 0, 8), 'not an IDX file (bad magic number)'],
  ['magic0', bytes(1, 0, 8, 1, 0, 0, 0, 0), 'not an IDX file (bad magic number)'],
  ['magic1', bytes(0, 1, 8, 1, 0, 0, 0, 0), 'not an IDX file (bad magic number)'],
  ['float', bytes(0, 0, 0x0d, 1, 0, 0, 0, 0), 'IDX element type 0xd is not unsigned byte'],
  ['nodims', bytes(0, 0, 8, 0), 'truncated IDX header'],
  ['cut', bytes(0, 0, 8, 3, 0, 0, 0, 2), 'truncated IDX header'],
];

test('bad headers are refused by openIdx and readIdxDims, plain and gzipped', async () => {
  for (const [name, head, why] of BAD_HEADERS) {
    for (const p of both(name, head)) {
      await refused(openIdx(p), `'${p}': ${why}`);
      await refused(readIdxDims(p), `'${p}': ${why}`);
    }
  }
});

test('a file longer or shorter than its header promises is refused', async () => {
  const full = idx([2, 3], [1, 2, 3, 4, 5, 6]);
  for (const p of both('short-data', full.subarray(0, full.length - 1))) {
    await refused(openIdx(p), `'${p}': IDX header promises 18 bytes (2×3) but the data holds 17`);
  }
  for (const p of both('long-data', Uint8Array.from([...full, 0]))) {
    await refused(openIdx(p), `'${p}': IDX header promises 18 bytes (2×3) but the data holds 19`);
  }
});

test('a missing file, and a .gz that is not gzip, are refused with the reason', async () => {
  for (const name of ['nope', 'nope.gz']) {
    const p = join(dir, name);
    await refused(openIdx(p), `'${p}': cannot read IDX file (ENOENT)`);
    await refused(readIdxDims(p), `'${p}': cannot read IDX file (ENOENT)`);
  }
  const p = join(dir, 'plain-named.gz');
  writeFileSync(p, idx([1], [5]));
  await refused(openIdx(p), `'${p}': cannot read IDX file (Z_DATA_ERROR)`);
  await refused(readIdxDims(p), `'${p}': cannot read IDX file (Z_DATA_ERROR)`);
});

test('no file descriptor stays open after reads and refusals', { skip: !existsSync('/proc/self/fd') && 'needs /proc' }, async () => {
  const [plain, gz] = both('fds', idx([2, 2], [1, 2, 3, 4]));
  const [bad] = both('fds-bad', bytes(0, 0, 8, 0));
  for (const p of [plain, gz]) {
    const f = await openIdx(p);
    assert.equal(openOn(p), 0);
    await f.item(1);
    await f.all();
    assert.equal(openOn(p), 0);
    await readIdxDims(p);
    assert.equal(openOn(p), 0);
  }
  await assert.rejects(openIdx(bad));
  await assert.rejects(readIdxDims(bad));
  assert.equal(openOn(bad), 0);
});
