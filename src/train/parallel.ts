// Data parallelism over worker processes, one per device. A process, not a thread: each has its own
// ONNX Runtime and so its own execution provider, and the Vulkan loader reads its environment (which
// driver, which adapter: docs/gpu.md) once per process. At each step the host sends every worker the
// trained tensors and its micro-batches (micro-batch j to worker j mod N; their images through files
// in shared memory, src/train/frozen-shm.ts); a worker runs their forward
// and backward passes on its own sessions and sends back each one's trained gradients; the learner
// sums them in the micro-batches' order, averages, clips and updates on the host, exactly as it does
// when it runs the micro-batches itself, one after another. The frozen gradients that the norm of
// grad_clip_scope 'all' takes in (hundreds of MB on ViT-B/16) never go through the pipes: the workers
// leave them in shared memory and reduce them there, each its slice (src/train/frozen-shm.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import type { LoadedViT } from '../vit/layout.ts';
import type { MicroBatch, MicroBatchRunner, MicroResult } from './learner.ts';
import { shareChunks } from './frozen-norm.ts';
import { defaultShmRoot, layoutBounds, openShmDir, readMean, writeFloatsAsync, type FrozenLayout, type Slice } from './frozen-shm.ts';
import type { Tensors } from './optim.ts';

/** One variable of the workers' environments: for every worker, or for one rank only. */
export interface WorkerEnvVar {
  rank: number | null;
  name: string;
  /** '{rank}' in it becomes the worker's index, 0 to N−1. */
  value: string;
}

export interface ParallelOptions {
  /** Worker processes (devices). */
  workers: number;
  env?: WorkerEnvVar[];
  /** The folder under which the frozen gradients are shared (default /dev/shm). */
  shmDir?: string;
}

/** What a worker builds its learner from: the run's config and the backbone as pretrained. */
export interface WorkerInit {
  config: L2PConfig;
  numClasses: number;
  backbone: LoadedViT;
  runtime: RuntimeOptions;
}

/**
 * Host to worker: its micro-batches, their images in files (the jobs' own images are empty), with the
 * files for their frozen gradients where they are kept; its slice of a reduction.
 */
export type ToWorker =
  | { type: 'init'; init: WorkerInit }
  | { type: 'step'; id: number; trained: Tensors; jobs: MicroBatch[]; imageFiles: string[]; frozenFiles: string[] | null }
  | { type: 'reduce'; id: number; slice: Slice };
/**
 * Worker to host: a step's results (with each micro-batch's frozen layout where they were kept), a
 * slice's chunk sums, or an error: a user's, a fault of the shared memory (the run keeps its last
 * checkpoint), or a bug.
 */
export type FromWorker =
  | { id: number; ok: true; results: MicroResult[]; layouts: FrozenLayout[] | null }
  | { id: number; ok: true; squares: number[] }
  | { id: number; ok: false; kind: 'user' | 'shm' | 'bug'; message: string };

/** A worker that died or failed to start: the run stops (and resumes from its checkpoint). */
export class WorkerLost extends UserError {
  override name = 'WorkerLost';
}

/** Refuses what the workers cannot do: a worker without a micro-batch. */
export function checkParallel(c: Pick<L2PConfig, 'num_devices' | 'per_device_batch_size'>, o: ParallelOptions): void {
  if (o.workers > c.num_devices) {
    throw new UserError(
      `--data-parallel ${o.workers}: a step has num_devices = ${c.num_devices} micro-batch(es) of per_device_batch_size ${c.per_device_batch_size}, so a worker would have none; use at most ${c.num_devices} workers or --set num_devices=${o.workers}`,
    );
  }
}

/** Parses `[RANK:]NAME=VALUE` (the --worker-env flag). */
export function parseWorkerEnv(spec: string, workers: number): WorkerEnvVar {
  const m = /^(?:(\d+):)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(spec);
  if (!m) throw new UserError(`--worker-env '${spec}': expected NAME=VALUE or RANK:NAME=VALUE (e.g. 1:MESA_VK_DEVICE_SELECT=10de:2330)`);
  const rank = m[1] === undefined ? null : Number(m[1]);
  if (rank !== null && rank >= workers) throw new UserError(`--worker-env '${spec}': rank ${rank} is not one of the ${workers} workers (0 to ${workers - 1})`);
  return { rank, name: m[2], value: m[3] };
}

/** The environment of worker `rank`: the host's, then the variables for all workers, then those for this rank. */
export function workerEnv(rank: number, vars: readonly WorkerEnvVar[], base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const v of [...vars.filter((x) => x.rank === null), ...vars.filter((x) => x.rank === rank)]) env[v.name] = v.value.replaceAll('{rank}', String(rank));
  return env;
}

/** The array itself where it spans its buffer, else a copy: a posted view would carry its whole buffer. */
export function own<T extends Float32Array | Int32Array | Uint8Array | BigInt64Array>(a: T): T {
  return (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice()) as T;
}

// Built (dist/), the worker module runs as it is; from the TypeScript sources, through the plain-JS
// entry that registers tsx first.
const ENTRY = fileURLToPath(import.meta.url.endsWith('.ts') ? new URL('./parallel-entry.mjs', import.meta.url) : new URL('./parallel-worker.js', import.meta.url));

interface Waiting {
  resolve: (m: FromWorker & { ok: true }) => void;
  reject: (e: Error) => void;
  /** What the worker is doing, for the message if it dies. */
  during: string;
}

/** The frozen gradients of the last step, where the workers left them. */
interface Held {
  files: string[];
  writers: number[];
  layout: FrozenLayout;
}

export class DataParallel implements MicroBatchRunner {
  private readonly procs: ChildProcess[] = [];
  /** Per worker, the step it is running. */
  private readonly waiting: (Waiting | null)[] = [];
  private broken: Error | null = null;
  private closing = false;
  private nextId = 0;
  private readonly shmRoot: string;
  private shmDir: string | null = null;
  private held: Held | null = null;
  /** The host's image writes under way: the folder is removed only once they end (a file made after would stay). */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(init: WorkerInit, o: ParallelOptions) {
    this.shmRoot = o.shmDir ?? defaultShmRoot();
    // Without a thread count, the cores are shared out among the workers rather than each taking all.
    init = { ...init, runtime: { ...init.runtime, threads: init.runtime.threads || Math.max(1, Math.floor(availableParallelism() / o.workers)) } };
    for (let k = 0; k < o.workers; k++) {
      const p = fork(ENTRY, [], { env: workerEnv(k, o.env ?? []), execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      p.on('message', (m: FromWorker) => this.settle(k, m));
      p.on('exit', (code, signal) => this.lost(k, p.pid, code, signal));
      p.on('error', (e) => this.fail(new WorkerLost(`data-parallel worker ${k}: ${e.message}`)));
      p.send({ type: 'init', init } satisfies ToWorker);
      this.procs.push(p);
      this.waiting.push(null);
    }
  }

  get size(): number {
    return this.procs.length;
  }

  async run(jobs: MicroBatch[], trained: Tensors): Promise<MicroResult[]> {
    if (this.broken) throw this.broken;
    const n = this.procs.length;
    // The images go through shared memory too: a pipe would serialise them all here, one after another.
    // Every micro-batch's file is written at once on libuv's threads, while this thread copies the
    // tensors and sends each worker its step as soon as its own files are written.
    const dir = this.sharedDir();
    const images = jobs.map((_, j) => join(dir, `images-${j}.f32`));
    const written = jobs.map((b, j) => writeFloatsAsync(images[j], [b.images], `micro-batch ${j}'s images`));
    const allWritten = this.hostWrites(written);
    const state: Tensors = new Map([...trained].map(([k, v]) => [k, own(v)] as const));
    const keep = jobs.length > 0 && jobs[0].frozenGrads === 'tensors';
    const files = keep ? jobs.map((_, j) => join(dir, `micro-${j}.f32`)) : null;
    this.held = null;
    const parts = await Promise.all(
      this.procs.map(async (_, k) => {
        const mine = jobs.map((_, j) => j).filter((j) => j % n === k);
        if (mine.length === 0) return { results: [], layouts: null };
        const sent = mine.map((j) => {
          const b = jobs[j];
          return { ...b, images: new Float32Array(0), labels: own(b.labels), feeds: Object.fromEntries(Object.entries(b.feeds).map(([f, t]) => [f, { shape: t.shape, data: own(t.data) }])) };
        });
        const step = { type: 'step', id: 0, trained: state, jobs: sent, imageFiles: mine.map((j) => images[j]), frozenFiles: files && mine.map((j) => files[j]) } as const;
        // A write of this worker's that failed throws the step's one error (the first micro-batch's that failed).
        await Promise.all(mine.map((j) => written[j])).catch(() => allWritten);
        const m = await this.ask(k, 'during a training step', step);
        if (!('results' in m)) throw new Error(`data-parallel worker ${k}: a reduction's answer to a step`);
        return m;
      }),
    );
    const at = (j: number) => Math.floor(j / n);
    if (files) {
      const layouts = jobs.map((_, j) => parts[j % n].layouts?.[at(j)] ?? []);
      for (const [j, l] of layouts.entries()) {
        const diff = layoutDiff(l, layouts[0]);
        if (diff) this.fail(new WorkerLost(`data-parallel worker ${j % n}: micro-batch ${j}'s frozen gradients do not match micro-batch 0's from worker 0: ${diff}`));
      }
      if (this.broken) throw this.broken;
      this.held = { files, writers: jobs.map((_, j) => j % n), layout: layouts[0] };
    }
    return jobs.map((_, j) => parts[j % n].results[at(j)]);
  }

  /**
   * Settles when every micro-batch's images are written; where one failed, the pool stops (a worker
   * already sent its step is ended) with the first failed micro-batch's error in one line.
   */
  private hostWrites(written: Promise<void>[]): Promise<void> {
    const settled = Promise.allSettled(written);
    this.writing = settled;
    const all = settled.then((rs) => {
      const failed = rs.find((r) => r.status === 'rejected');
      if (!failed) return;
      const e = this.broken ?? new WorkerLost(`data-parallel host: ${(failed.reason as Error).message}`);
      this.fail(e);
      throw e;
    });
    // Awaited only where a write failed; the step's other promises carry the same error.
    all.catch(() => {});
    return all;
  }

  /**
   * The last step's mean frozen gradient's summed squares, chunk by chunk (src/train/frozen-norm.ts):
   * each worker reduces a run of chunks of every micro-batch's file and sends back their sums.
   */
  async frozenSquares(micro: number): Promise<number[]> {
    const held = this.heldFrozen();
    const bounds = layoutBounds(held.layout);
    const total = bounds[bounds.length - 1];
    const parts = await Promise.all(
      shareChunks(bounds, this.procs.length).map(async ([first, end], k) => {
        if (first === end) return [];
        const slice: Slice = { files: held.files, writers: held.writers, total, bounds: bounds.slice(first, end + 1), micro };
        const m = await this.ask(k, "during the frozen gradients' reduction", { type: 'reduce', id: 0, slice });
        if (!('squares' in m) || m.squares.length !== end - first) throw new Error(`data-parallel worker ${k}: not its ${end - first} chunk sums`);
        return m.squares;
      }),
    );
    return parts.flat();
  }

  /** The last step's mean frozen gradient itself, read here (a traced step). */
  async frozenMean(micro: number): Promise<Tensors> {
    const held = this.heldFrozen();
    try {
      return readMean(held.files, held.layout, micro);
    } catch (e) {
      throw new WorkerLost(`data-parallel host: ${(e as Error).message}`);
    }
  }

  private heldFrozen(): Held {
    if (this.broken) throw this.broken;
    if (!this.held) throw new Error('no frozen gradients kept by the workers: the last step did not ask for them');
    return this.held;
  }

  /** The pool's folder in shared memory, made at the first step that needs it. */
  private sharedDir(): string {
    if (!this.shmDir) {
      try {
        const dir = openShmDir(this.shmRoot);
        this.shmDir = dir;
        // Whatever ends this process, its shared memory goes with it (a killed host's is swept by the next pool).
        process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      } catch (e) {
        throw new WorkerLost(`data-parallel host: ${(e as Error).message}`);
      }
    }
    return this.shmDir;
  }

  private ask(k: number, during: string, m: Exclude<ToWorker, { type: 'init' }>): Promise<FromWorker & { ok: true }> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.waiting[k] = { resolve, reject, during };
      this.procs[k].send({ ...m, id: this.nextId++ });
    });
  }

  private settle(k: number, m: FromWorker): void {
    const w = this.waiting[k];
    if (!w) return;
    this.waiting[k] = null;
    if (m.ok) return w.resolve(m);
    const message = `data-parallel worker ${k}: ${m.message}`;
    if (m.kind === 'shm') {
      const e = new WorkerLost(message);
      w.reject(e);
      this.fail(e);
    } else w.reject(m.kind === 'user' ? new UserError(message) : new Error(message));
  }

  private lost(k: number, pid: number | undefined, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closing) return;
    const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
    const w = this.waiting[k];
    this.fail(new WorkerLost(`data-parallel worker ${k} (pid ${pid}) ${how}${w ? ` ${w.during}` : ''}`));
  }

  /** A worker lost takes the step under way and every later one with it. */
  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = e;
    for (const [k, w] of this.waiting.entries()) {
      this.waiting[k] = null;
      w?.reject(e);
    }
    void this.close();
  }

  /** Ends every worker (the ones still running are sent SIGTERM) and waits for them to exit. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
          }),
      ),
    );
    await this.writing;
    if (this.shmDir) rmSync(this.shmDir, { recursive: true, force: true });
  }
}

/** Where two frozen layouts differ, in words; null where they agree. */
export function layoutDiff(got: FrozenLayout, want: FrozenLayout): string | null {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const [g, w] = [got[i], want[i]];
    if (!g || !w || g[0] !== w[0]) return `tensor ${i} is ${g ? `'${g[0]}'` : 'missing'}, not ${w ? `'${w[0]}'` : 'absent'}`;
    if (g[1] !== w[1]) return `'${g[0]}' has ${g[1]} values, not ${w[1]}`;
  }
  return null;
}
