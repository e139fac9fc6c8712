// What a data-parallel step would otherwise send through the workers' pipes, kept in shared memory:
// each micro-batch's images, which the host writes and its worker reads; and the frozen gradients of
// grad_clip_scope 'all': each worker writes each of its micro-batches' frozen gradients,
// laid end to end, into a file of the pool's folder in /dev/shm (memory, not disk); then each worker
// reads one slice of every micro-batch's file, adds them in the micro-batches' order and gives the
// host its chunks' summed squares (src/train/frozen-norm.ts): a reduce-scatter whose only message is
// a few numbers per chunk. Node maps no files, so a file here is written once and read once per step;
// the host writes the images on libuv's threads (writeFloatsAsync), leaving its main thread free.
import { closeSync, constants, existsSync, fstatSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultPoint } from '../fault.ts';
import { CHUNK, chunkBounds, chunkSquares, meanInPlace } from './frozen-norm.ts';
import type { Tensors } from './optim.ts';

/** Each frozen gradient's path and length, in the order the file holds them. */
export type FrozenLayout = [string, number][];

/** A fault of the shared files (full, short, unreadable): the step cannot finish, the run keeps its last checkpoint. */
export class ShmFault extends Error {
  override name = 'ShmFault';
}

/** Where a pool keeps its files unless told: /dev/shm, where the system has one, else the temporary folder. */
export function defaultShmRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

const PREFIX = 'l2p-dp-';

/** A fresh folder under `root` for one pool; first the folders of pools whose host process is gone (killed) are removed. */
export function openShmDir(root: string): string {
  try {
    for (const name of readdirSync(root)) {
      const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1];
      if (pid && !alive(Number(pid))) rmSync(join(root, name), { recursive: true, force: true });
    }
    return mkdtempSync(join(root, `${PREFIX}${process.pid}-`));
  } catch (e) {
    throw new ShmFault(`cannot make a folder for the frozen gradients in ${root}: ${reason(e)}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One line for a file system error: ENOSPC says what to do. */
export function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOSPC') return 'no space left (ENOSPC): free memory there, or give --shm-dir a folder with room for num_devices copies of the frozen gradients';
  return err.message;
}

/** Writes one micro-batch's frozen gradients end to end into `file` (overwritten in place, so its pages stay allocated between steps). */
export function writeFrozen(file: string, grads: readonly (readonly [string, Float32Array])[]): FrozenLayout {
  writeFloats(file, grads.map(([, g]) => g), 'its frozen gradients');
  return grads.map(([k, g]) => [k, g.length]);
}

/** Writes arrays end to end into `file`, in place; `what` names them in an error. */
export function writeFloats(file: string, arrays: readonly Float32Array[], what: string): void {
  const mb = (arrays.reduce((s, g) => s + g.length, 0) * 4) / 1e6;
  let fd = -1;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT);
    faultPoint('shm-write');
    let at = 0;
    for (const g of arrays) {
      const bytes = new Uint8Array(g.buffer, g.byteOffset, g.byteLength);
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, at + done);
      at += bytes.length;
    }
  } catch (e) {
    throw new ShmFault(`cannot write ${what} (${mb.toFixed(1)} MB) to ${file}: ${reason(e)}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Bytes one positional write takes: an array larger than this goes out in pieces that libuv's threads write side by side. */
const PIECE = 1 << 21;

/**
 * `writeFloats` off the main thread: the file opened and its pieces written on libuv's thread pool,
 * concurrently; the same bytes in the same places, the same error. The arrays must not change until
 * it settles. Its fault point is passed before its first await, so calls count in the order made.
 */
export async function writeFloatsAsync(file: string, arrays: readonly Float32Array[], what: string): Promise<void> {
  const mb = (arrays.reduce((s, g) => s + g.length, 0) * 4) / 1e6;
  let fh: FileHandle | null = null;
  try {
    faultPoint('shm-write');
    fh = await open(file, constants.O_RDWR | constants.O_CREAT);
    const pieces: Promise<void>[] = [];
    let at = 0;
    for (const g of arrays) {
      const bytes = new Uint8Array(g.buffer, g.byteOffset, g.byteLength);
      for (let p = 0; p < bytes.length; p += PIECE) pieces.push(writeAll(fh, bytes.subarray(p, p + PIECE), at + p));
      at += bytes.length;
    }
    const failed = (await Promise.allSettled(pieces)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (e) {
    throw new ShmFault(`cannot write ${what} (${mb.toFixed(1)} MB) to ${file}: ${reason(e)}`);
  } finally {
    await fh?.close();
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, at: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) done += (await fh.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
}

/** The first `n` values of `file` (a micro-batch's images, written by the host). */
export function readFloats(file: string, n: number): Float32Array {
  const out = new Float32Array(n);
  let fd = -1;
  try {
    fd = openSync(file, 'r');
    readAt(fd, out, 0);
  } catch (e) {
    throw e instanceof ShmFault ? e : new ShmFault(`cannot read ${file}: ${reason(e)}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return out;
}

/** A worker's share of the reduction: its chunks of every micro-batch's file. */
export interface Slice {
  /** Each micro-batch's file, in the micro-batches' order, and the worker that wrote it. */
  files: string[];
  writers: number[];
  /** Values in each file. */
  total: number;
  /** The absolute bounds of this slice's chunks, first and last included. */
  bounds: number[];
  micro: number;
}

/** Values read and added at a time: a run of whole chunks (a chunk is at most CHUNK ≤ BLOCK values). */
const BLOCK = 16 * CHUNK;

/** The summed squares of each of the slice's chunks of the mean over the micro-batches. */
export function reduceSlice(s: Slice): number[] {
  const fds: number[] = [];
  try {
    for (const [j, f] of s.files.entries()) {
      fds.push(openSync(f, 'r'));
      const size = fstatSync(fds[j]).size;
      if (size !== s.total * 4) throw new ShmFault(`micro-batch ${j}'s frozen gradients from worker ${s.writers[j]} are ${size} bytes, not the ${s.total * 4} of the step's (${f})`);
    }
    const acc = new Float32Array(Math.min(BLOCK, s.bounds[s.bounds.length - 1] - s.bounds[0]));
    const tmp = new Float32Array(acc.length);
    const out: number[] = [];
    for (let c = 0; c + 1 < s.bounds.length; ) {
      // A block of whole chunks, at least one.
      let e = c + 1;
      while (e + 1 < s.bounds.length && s.bounds[e + 1] - s.bounds[c] <= acc.length) e++;
      const from = s.bounds[c];
      const n = s.bounds[e] - from;
      const a = acc.subarray(0, n);
      readAt(fds[0], a, from);
      for (let j = 1; j < fds.length; j++) {
        const t = tmp.subarray(0, n);
        readAt(fds[j], t, from);
        for (let i = 0; i < n; i++) a[i] += t[i];
      }
      meanInPlace(a, s.micro);
      for (const x of chunkSquares(a, from, s.bounds.slice(c, e + 1))) out.push(x);
      c = e;
    }
    return out;
  } catch (e) {
    throw e instanceof ShmFault ? e : new ShmFault(`cannot read the frozen gradients: ${reason(e)}`);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** The mean over the micro-batches' files, by path, as the learner's own sums give it (a traced step). */
export function readMean(files: readonly string[], layout: FrozenLayout, micro: number): Tensors {
  const out: Tensors = new Map(layout.map(([k, n]) => [k, new Float32Array(n)] as const));
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      let at = 0;
      for (const [k, n] of layout) {
        const acc = out.get(k)!;
        const g = new Float32Array(n);
        readAt(fd, g, at);
        for (let i = 0; i < n; i++) acc[i] += g[i];
        at += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  for (const acc of out.values()) meanInPlace(acc, micro);
  return out;
}

function readAt(fd: number, into: Float32Array, value: number): void {
  const bytes = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
  for (let done = 0; done < bytes.length; ) {
    const got = readSync(fd, bytes, done, bytes.length - done, value * 4 + done);
    if (got === 0) throw new ShmFault(`a frozen-gradient file ended early, at byte ${value * 4 + done}`);
    done += got;
  }
}

/** The chunks' bounds of a layout (the host shares them out). */
export function layoutBounds(layout: FrozenLayout): number[] {
  return chunkBounds(layout.map(([, n]) => n));
}
