// Data parallelism over worker processes, one per device. A process, not a thread: each has its own
// ONNX Runtime and so its own execution provider, and the Vulkan loader reads its environment (which
// driver, which adapter: docs/gpu.md) once per process. At each step the host sends every worker the
// trained tensors and its micro-batches (micro-batch j to worker j mod N); a worker runs their forward
// and backward passes on its own sessions and sends back each one's gradients; the learner sums them
// in the micro-batches' order, averages, clips and updates on the host, exactly as it does when it runs
// the micro-batches itself, one after another.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import type { LoadedViT } from '../vit/layout.ts';
import type { MicroBatch, MicroBatchRunner, MicroResult } from './learner.ts';
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
}

/** What a worker builds its learner from: the run's config and the backbone as pretrained. */
export interface WorkerInit {
  config: L2PConfig;
  numClasses: number;
  backbone: LoadedViT;
  runtime: RuntimeOptions;
}

/** Host to worker. */
export type ToWorker = { type: 'init'; init: WorkerInit } | { type: 'step'; id: number; trained: Tensors; jobs: MicroBatch[] };
/** Worker to host, for a step. */
export type FromWorker = { id: number; ok: true; results: MicroResult[] } | { id: number; ok: false; user: boolean; message: string };

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
  resolve: (r: MicroResult[]) => void;
  reject: (e: Error) => void;
}

export class DataParallel implements MicroBatchRunner {
  private readonly procs: ChildProcess[] = [];
  /** Per worker, the step it is running. */
  private readonly waiting: (Waiting | null)[] = [];
  private broken: Error | null = null;
  private closing = false;
  private nextId = 0;

  constructor(init: WorkerInit, o: ParallelOptions) {
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
    const state: Tensors = new Map([...trained].map(([k, v]) => [k, own(v)] as const));
    const shares = this.procs.map((_, k) => jobs.filter((_, j) => j % n === k));
    const parts = await Promise.all(
      shares.map((share, k) => {
        if (share.length === 0) return Promise.resolve([]);
        const id = this.nextId++;
        const sent = share.map((j) => ({ ...j, images: own(j.images), labels: own(j.labels), feeds: Object.fromEntries(Object.entries(j.feeds).map(([f, t]) => [f, { shape: t.shape, data: own(t.data) }])) }));
        return new Promise<MicroResult[]>((resolve, reject) => {
          this.waiting[k] = { resolve, reject };
          this.procs[k].send({ type: 'step', id, trained: state, jobs: sent } satisfies ToWorker);
        });
      }),
    );
    return jobs.map((_, j) => parts[j % n][Math.floor(j / n)]);
  }

  private settle(k: number, m: FromWorker): void {
    const w = this.waiting[k];
    if (!w) return;
    this.waiting[k] = null;
    if (m.ok) w.resolve(m.results);
    else w.reject(m.user ? new UserError(`data-parallel worker ${k}: ${m.message}`) : new Error(`data-parallel worker ${k}: ${m.message}`));
  }

  private lost(k: number, pid: number | undefined, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closing) return;
    const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
    this.fail(new WorkerLost(`data-parallel worker ${k} (pid ${pid}) ${how}${this.waiting[k] ? ' during a training step' : ''}`));
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
  }
}
