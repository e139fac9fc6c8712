// A pool of worker threads that make whole batches off the main thread: each worker reads, decodes
// and preprocesses a batch's examples into one buffer and transfers it back. Size 0 runs the same
// work inline (on libuv's threads for reading and decoding, on the main thread for the arithmetic).
// Idle workers are unref'd, so a pool that is never closed does not keep the process alive.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import { makeImages, type BatchItem, type BatchPart } from './process.ts';
import type { StoredImage } from './types.ts';

interface Pending {
  resolve: (x: Float32Array) => void;
  reject: (e: Error) => void;
  worker: number;
}

/** Default pool size: one worker per spare core, at most four. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * A copy of the image's bytes in a buffer of their own: posting a view would clone its whole
 * backing buffer (all of an inflated IDX file), and transferring it would detach the source's data.
 */
function ownBuffer(image: StoredImage): { image: StoredImage; transfer: ArrayBuffer } {
  const own = ('encoded' in image ? image.encoded : image.pixels.data).slice();
  const moved = 'encoded' in image ? { encoded: own } : { pixels: { ...image.pixels, data: own } };
  return { image: moved, transfer: own.buffer as ArrayBuffer };
}

/** The part with every image held in memory in a buffer of its own, and those buffers to transfer. */
function ownImages(part: BatchPart): { part: BatchPart; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const items = part.items.map((item): BatchItem => {
    if ('ref' in item) return item;
    const own = ownBuffer(item.image);
    transfer.push(own.transfer);
    return { ...item, image: own.image };
  });
  return { part: { ...part, items }, transfer };
}

// Built (dist/), the worker module runs as it is. From the TypeScript sources a worker thread starts
// without the parent's module hooks, so it goes through the plain-JS entry that registers tsx first.
const WORKER_ENTRY = import.meta.url.endsWith('.ts') ? new URL('./worker-entry.mjs', import.meta.url) : new URL('./worker.js', import.meta.url);

export class ImagePool {
  private workers: Worker[] = [];
  private load: number[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 0;
  private broken: Error | null = null;

  constructor(readonly size: number) {
    for (let k = 0; k < size; k++) {
      const w = new Worker(WORKER_ENTRY, { execArgv: [] });
      w.unref();
      w.on('message', (m: { id: number; ok: boolean; out?: Float32Array; user?: boolean; message?: string }) => this.settle(m));
      w.on('error', (e) => this.failWorker(k, e));
      this.workers.push(w);
      this.load.push(0);
    }
  }

  /** `part`'s images, [items, inputSize, inputSize, 3], made by the least busy worker. */
  run(part: BatchPart): Promise<Float32Array> {
    if (this.size === 0) return makeImages(part);
    if (this.broken) return Promise.reject(this.broken);
    let k = 0;
    for (let j = 1; j < this.size; j++) if (this.load[j] < this.load[k]) k = j;
    const id = this.nextId++;
    const own = ownImages(part);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: k });
      if (this.load[k]++ === 0) this.workers[k].ref();
      this.workers[k].postMessage({ id, part: own.part }, own.transfer);
    });
  }

  private settle(m: { id: number; ok: boolean; out?: Float32Array; user?: boolean; message?: string }): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (--this.load[p.worker] === 0) this.workers[p.worker].unref();
    if (m.ok) p.resolve(m.out!);
    else p.reject(m.user ? new UserError(m.message!) : new Error(m.message));
  }

  /** A worker that died takes the pool with it: its tasks and every later one fail with its error. */
  private failWorker(k: number, e: Error): void {
    this.broken = new Error(`image worker ${k} failed: ${e.message}`);
    for (const p of this.pending.values()) p.reject(this.broken);
    this.pending.clear();
  }

  /** Stops the workers; tasks still running fail. */
  async close(): Promise<void> {
    this.broken = new Error('the image pool was closed');
    for (const p of this.pending.values()) p.reject(this.broken);
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
