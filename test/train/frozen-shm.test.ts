// The frozen gradients' norm of a data-parallel step reduced in shared memory (src/train/frozen-shm.ts)
// against the same mean computed in one process, written here from the definition in
// src/train/frozen-norm.ts with Math.fround: bit for bit, for every number of workers, with tensors of
// several chunks and slices that cut through a tensor; the bounds and shares by hand; the faults.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addInOrder, CHUNK, chunkBounds, shareChunks } from '../../src/train/frozen-norm.ts';
import { layoutBounds, openShmDir, readMean, reduceSlice, ShmFault, writeFloats, writeFloatsAsync, writeFrozen, type FrozenLayout } from '../../src/train/frozen-shm.ts';
import { layoutDiff } from '../../src/train/parallel.ts';

test('chunk bounds and shares, by hand', () => {
  assert.equal(CHUNK, 65536);
  assert.deepEqual(chunkBounds([3, 70000, 0, 5]), [0, 3, 65539, 70003, 70008]);
  assert.deepEqual(chunkBounds([131072]), [0, 65536, 131072]);
  const b = [0, 3, 65539, 70003, 70008];
  assert.deepEqual(shareChunks(b, 1), [[0, 4]]);
  assert.deepEqual(shareChunks(chunkBounds([8 * CHUNK]), 4), [[0, 2], [2, 4], [4, 6], [6, 8]]);
  assert.deepEqual(shareChunks(b, 2), [[0, 2], [2, 4]]);
  // More workers than chunks: some get none, every chunk is someone's, in order.
  assert.deepEqual(shareChunks(b, 6), [[0, 1], [1, 1], [1, 2], [2, 2], [2, 2], [2, 4]]);
});

/** Deterministic float32 values of both signs and a wide range of magnitudes. */
function values(n: number, seed: number): Float32Array {
  let x = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return ((x / 2 ** 32 - 0.5) * 2 ** ((x % 17) - 8)) as number;
  });
}

const lengths = [5, 150000, 65536, 1, 70001];
const micro = 3;
const paths = lengths.map((_, i) => `enc/layer${i}/kernel`);
const grads = Array.from({ length: micro }, (_, j) => paths.map((p, i) => [p, values(lengths[i], 7 + 31 * j + i)] as const));

/** One process, from the definition: float32 sums in micro-batch order, float32 mean, float64 squares by chunk, chunks in order. */
function reference(): { sq: number; mean: Float32Array[] } {
  let sq = 0;
  const mean: Float32Array[] = [];
  for (const [i, n] of lengths.entries()) {
    const m = new Float32Array(n);
    for (let v = 0; v < n; v++) {
      let s = 0;
      for (let j = 0; j < micro; j++) s = Math.fround(s + grads[j][i][1][v]);
      m[v] = Math.fround(s / micro);
    }
    for (let c = 0; c < n; c += CHUNK) {
      let part = 0;
      for (let v = c; v < Math.min(n, c + CHUNK); v++) part += m[v] * m[v];
      sq += part;
    }
    mean.push(m);
  }
  return { sq, mean };
}

test('the summed squares reduced by 1 to 7 workers, each its slice of every file, are the one-process value bit for bit; the mean read back is the mean', () => {
  const dir = openShmDir(mkdtempSync(join(tmpdir(), 'l2p-shm-test-')));
  const files = grads.map((_, j) => join(dir, `micro-${j}.f32`));
  const layouts = grads.map((g, j) => writeFrozen(files[j], g));
  const layout: FrozenLayout = layouts[0];
  assert.deepEqual(layout, paths.map((p, i) => [p, lengths[i]]));
  const want = reference();
  let exact = 0;
  for (const [i, m] of want.mean.entries()) for (const x of m) exact += x * x;
  assert.ok(Math.abs(want.sq - exact) <= 1e-12 * exact, 'the chunked order is a float64 sum of the same squares');
  const bounds = layoutBounds(layout);
  const total = bounds[bounds.length - 1];
  for (let n = 1; n <= 7; n++) {
    const parts = shareChunks(bounds, n).flatMap(([first, end], k) =>
      first === end ? [] : reduceSlice({ files, writers: files.map((_, j) => j % n), total, bounds: bounds.slice(first, end + 1), micro }),
    );
    assert.equal(parts.length, bounds.length - 1, `${n} workers: every chunk once`);
    assert.ok(Object.is(addInOrder(0, parts), want.sq), `${n} workers: ${addInOrder(0, parts)} vs ${want.sq}`);
  }
  const mean = readMean(files, layout, micro);
  assert.deepEqual([...mean.keys()], paths);
  for (const [i, p] of paths.entries()) assert.deepEqual(mean.get(p), want.mean[i], p);
});

test("a file of another size than the step's names the worker that wrote it; an unreadable one is one line; layouts that differ are named", () => {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-shm-test-'));
  const files = [0, 1].map((j) => join(dir, `micro-${j}.f32`));
  for (const f of files) writeFrozen(f, [['a', new Float32Array(10)]]);
  truncateSync(files[1], 36);
  const slice = { files, writers: [0, 1], total: 10, bounds: [0, 10], micro: 2 };
  assert.throws(() => reduceSlice(slice), (e: Error) => e instanceof ShmFault && e.message === `micro-batch 1's frozen gradients from worker 1 are 36 bytes, not the 40 of the step's (${files[1]})`);
  assert.throws(() => reduceSlice({ ...slice, files: [files[0], join(dir, 'gone.f32')] }), (e: Error) => e instanceof ShmFault && /^cannot read the frozen gradients: ENOENT/.test(e.message));
  assert.throws(() => writeFrozen(join(dir, 'no', 'such.f32'), [['a', new Float32Array(4)]]), (e: Error) => e instanceof ShmFault && /^cannot write its frozen gradients \(0\.0 MB\) to .*such\.f32: ENOENT/.test(e.message));
  assert.equal(layoutDiff([['a', 10], ['b', 3]], [['a', 10], ['b', 3]]), null);
  assert.equal(layoutDiff([['a', 10], ['b', 4]], [['a', 10], ['b', 3]]), "'b' has 4 values, not 3");
  assert.equal(layoutDiff([['a', 10]], [['a', 10], ['b', 3]]), "tensor 1 is missing, not 'b'");
  assert.equal(layoutDiff([['c', 10]], [['a', 10]]), "tensor 0 is 'c', not 'a'");
});

test("a pool's folder is swept once its host is gone, not while it lives", () => {
  const root = mkdtempSync(join(tmpdir(), 'l2p-shm-root-'));
  const mine = openShmDir(root);
  // A pid above Linux's pid_max: no such process.
  const stale = mkdtempSync(join(root, 'l2p-dp-99999999-'));
  assert.ok(existsSync(stale));
  const again = openShmDir(root);
  assert.ok(!existsSync(stale), "a dead host's folder is removed");
  assert.ok(existsSync(again) && existsSync(mine), "this process's folders stay");
});

test('the images written off the main thread, in pieces at once, are the bytes of the arrays end to end, as the synchronous write leaves them; a file that cannot be written is the same one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-shm-test-'));
  // Views into a larger buffer at odd offsets, one of several pieces (2 MiB each) with a ragged end.
  const whole = Float32Array.from({ length: 1_400_003 }, (_, i) => Math.sin(i * 0.37) * 1e3);
  const arrays = [whole.subarray(5, 1_300_001), whole.subarray(1_300_001, 1_300_004), new Float32Array(0), whole.subarray(7, 100_000)];
  const want = Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
  const [a, s] = [join(dir, 'async.f32'), join(dir, 'sync.f32')];
  // Overwritten in place: longer stale contents stay past the end, as the synchronous writer leaves them.
  for (const f of [a, s]) writeFileSync(f, Buffer.alloc(want.length + 12, 0xab));
  await writeFloatsAsync(a, arrays, 'the images');
  writeFloats(s, arrays, 'the images');
  const got = readFileSync(a);
  assert.equal(got.length, want.length + 12);
  assert.ok(got.subarray(0, want.length).equals(want));
  assert.ok(got.subarray(want.length).equals(Buffer.alloc(12, 0xab)));
  assert.ok(got.equals(readFileSync(s)));
  const gone = join(dir, 'no', 'such.f32');
  const e = await writeFloatsAsync(gone, arrays, "micro-batch 3's images").catch((x: Error) => x);
  assert.ok(e instanceof ShmFault);
  assert.match(e.message, /^cannot write micro-batch 3's images \(5\.6 MB\) to .*such\.f32: ENOENT/);
  assert.throws(() => writeFloats(gone, arrays, "micro-batch 3's images"), (x: Error) => x.message === e.message);
});
