// The one module that imports ONNX Runtime. Everything else sees compile(graph) -> run(feeds) -> dispose().
// Sessions are cached by a hash of the graph's structure (constants by identity) and the options, and
// counted: every compile() gets its own handle, and the session closes when the last handle is disposed.
import './env.ts';
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { gemm64Model, halfProbeModel, identityModel, toOnnx, type WireType } from './onnx.ts';
import { cudaMissing, providerError } from './provider.ts';
import { graphText, sessionHandle, type Compiled, type HostData, type HostTensor } from './session.ts';
import type { Tensor } from '../graph/tensor.ts';
import { UserError } from '../errors.ts';

export type { Compiled, HostData, HostTensor } from './session.ts';

export interface RuntimeOptions {
  /** Intra-op threads; 0 lets ONNX Runtime choose (one per core). */
  threads?: number;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Execution provider: 'cpu' (default), 'cuda' or 'webgpu' where the installed runtime has them. */
  device?: Device;
  /**
   * Weights (constants over this many elements) are fed from our arrays at every run instead of being
   * copied into the session: one copy in memory however many sessions use them (a real run opens
   * five or more over one backbone). Infinity copies them into each session, which lets ONNX Runtime
   * pre-pack them. On 'webgpu' such weights are uploaded once into GPU buffers that every session of
   * the process is fed (one device copy, nothing crosses per run). (Default: 4096.)
   */
  constantsAsInputsOver?: number;
  /** ONNX Runtime's verbose log on stderr (node placements per provider among it), tagged with this id. */
  verboseLog?: string;
  /**
   * ONNX Runtime's CPU arena keeps the peak of every session's allocations for its lifetime; without
   * it, memory is returned as tensors die. (Default: process.env.L2P_CPU_ARENA === '1'.)
   */
  cpuArena?: boolean;
  /**
   * 'fp16': matmuls on float16 (the config key compute_precision; src/runtime/onnx.ts says what stays
   * float32). On WebGPU it needs the adapter's shader-f16, checked once before the first such session.
   * (Default 'fp32'.)
   */
  computePrecision?: 'fp32' | 'fp16';
  /** ONNX Runtime's memory pattern (default: on with the CPU arena or another provider, see sessionOptions). */
  memPattern?: boolean;
}

export type Device = 'cpu' | 'cuda' | 'webgpu';
export const DEVICES: readonly Device[] = ['cpu', 'cuda', 'webgpu'];


const ORT_TYPE: Record<WireType, ort.Tensor.Type> = { float32: 'float32', float16: 'float16', int32: 'int32', int64: 'int64', bool: 'bool', int8: 'int8' };

/** A stable identity of the graph: ops, attributes, shapes, wiring, constants by object or content. */
export function graphHash(outputs: Record<string, Tensor>, opts: RuntimeOptions): string {
  return createHash('sha256').update(graphText(outputs, opts)).digest('hex');
}

/** One open (or opening) session and the number of handles to it not yet disposed. */
interface Entry {
  session: Promise<Compiled>;
  refs: number;
}

const cache = new Map<string, Entry>();

/** The session options of every session compile() opens (bench/profile-step.ts adds profiling to them). */
export function sessionOptions(opts: RuntimeOptions): ort.InferenceSession.SessionOptions {
  const arena = opts.cpuArena ?? process.env.L2P_CPU_ARENA === '1';
  return {
    intraOpNumThreads: opts.threads ?? 0,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
    executionProviders: [opts.device ?? 'cpu'],
    enableCpuMemArena: arena,
    // The memory pattern plans one block for all of a run's intermediate tensors. Without the arena
    // that block is fresh memory at every run: its pages fault in again each time and it adds to the
    // peak. Off, the training step takes less CPU time and l2p bench's peak RSS drops by a quarter
    // (docs/benchmarks.md), so it is on only where the arena keeps the memory, or for another provider.
    enableMemPattern: opts.memPattern ?? (arena || (opts.device ?? 'cpu') !== 'cpu'),
    ...(opts.verboseLog !== undefined ? { logSeverityLevel: 0, logVerbosityLevel: 0, logId: opts.verboseLog } : {}),
  };
}

/**
 * Weights on the GPU, by the host array they were uploaded from: an upload session with
 * preferredOutputLocation 'gpu-buffer' returns them as device tensors, which any session on the same
 * provider takes as feeds. (onnxruntime-node 1.30 cannot read such a tensor back: getData() aborts.)
 */
let onDevice = new WeakMap<object, Promise<ort.Tensor>>();
const uploaded: Promise<ort.Tensor>[] = [];
const uploaders: ort.InferenceSession[] = [];

function deviceTensors(consts: ReturnType<typeof toOnnx>['constantInputs'], opts: RuntimeOptions): Promise<ort.Tensor>[] {
  if (consts.length === 0) return [];
  const missing = consts.filter((c) => !onDevice.has(c.value));
  if (missing.length > 0) {
    // One upload session for the missing ones: inputs w0..wn, outputs d0..dn (Identity each).
    const spec = { executionProviders: [opts.device ?? 'cpu'], preferredOutputLocation: 'gpu-buffer' as const };
    const all = (async () => {
      const session = await ort.InferenceSession.create(identityModel(missing), spec);
      const feeds: Record<string, ort.Tensor> = {};
      missing.forEach((c, i) => (feeds[`w${i}`] = new ort.Tensor(ORT_TYPE[c.dtype], c.value, [...c.shape])));
      // The session stays open until disposeAll: its outputs' buffers are its allocations.
      uploaders.push(session);
      return session.run(feeds);
    })();
    missing.forEach((c, i) => {
      const t = all.then((res) => res[`d${i}`]);
      onDevice.set(c.value, t);
      uploaded.push(t);
    });
  }
  return consts.map((c) => onDevice.get(c.value)!);
}

/**
 * Lowers the graph to ONNX and opens a session, or shares the open one of an identical graph. The
 * handle's dispose() gives up this caller's share; the session closes with the last share.
 */
export async function compile(outputs: Record<string, Tensor>, opts: RuntimeOptions = {}): Promise<Compiled> {
  // What CUDA lacks is said before ONNX Runtime is asked, which would log its own error besides.
  const lacking = opts.device === 'cuda' ? cudaMissing() : null;
  if (lacking) throw new UserError(lacking);
  // A session opened for its placement log (bench/gpu/placement.ts) is placed whether or not it can run.
  if (opts.computePrecision === 'fp16' && opts.verboseLog === undefined) await requireFloat16(opts.device ?? 'cpu');
  const key = graphHash(outputs, opts);
  let entry = cache.get(key);
  if (!entry) {
    const made: Entry = { session: open(outputs, opts), refs: 0 };
    cache.set(key, made);
    made.session.catch(() => cache.get(key) === made && cache.delete(key));
    entry = made;
  }
  entry.refs++;
  const shared = entry;
  const session = await shared.session;
  let disposed = false;
  return {
    inputs: session.inputs,
    outputs: session.outputs,
    run(feeds) {
      if (disposed) return Promise.reject(new Error('run() on a disposed session'));
      return session.run(feeds);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (--shared.refs > 0) return;
      if (cache.get(key) === shared) cache.delete(key);
      await session.dispose();
    },
  };
}

const halfChecks = new Map<Device, Promise<void>>();

/**
 * Whether the provider runs float16 kernels: a float16 Cast and Add, once per process and provider.
 * The WebGPU provider compiles them only where the adapter has shader-f16 (SwiftShader has not).
 * ONNX Runtime's CPU provider runs float16 graphs, computing most float16 ops in float32 by casts it
 * inserts itself: a check of the lowering, not a speed-up.
 */
export function requireFloat16(device: Device): Promise<void> {
  let check = halfChecks.get(device);
  if (!check) {
    check = (async () => {
      let session: ort.InferenceSession;
      try {
        // Quiet: a refusal is this function's one line, not ONNX Runtime's log of the failed kernel.
        session = await ort.InferenceSession.create(halfProbeModel(4), { executionProviders: [device], logSeverityLevel: 4 });
      } catch (e) {
        if (device !== 'cpu') throw new UserError(providerError(device, e as Error));
        throw e;
      }
      try {
        const x = new ort.Tensor('float32', Float32Array.from([1, 0.5, -2, 1e-3]), [4]);
        const y = (await session.run({ x })).y.data as Float32Array;
        if (y[0] !== 2 || y[2] !== -4) throw new Error(`float16 1 + 1 gave ${y[0]}`);
      } catch (e) {
        const m = (e as Error).message;
        const why = /requires f16|f16/.test(m) ? "the WebGPU adapter lacks the 'shader-f16' feature" : m.split('\n')[0];
        throw new UserError(`compute_precision 'fp16' cannot run on the '${device}' provider: ${why} (use compute_precision 'fp32', or a GPU whose adapter has shader-f16)`);
      } finally {
        await session.release();
      }
    })();
    check.catch(() => halfChecks.get(device) === check && halfChecks.delete(device));
    halfChecks.set(device, check);
  }
  return check;
}

/** Sessions open (or opening) now: one per distinct graph with a handle not yet disposed. */
export function openSessions(): number {
  return cache.size;
}

async function open(outputs: Record<string, Tensor>, opts: RuntimeOptions): Promise<Compiled> {
  const device = opts.device ?? 'cpu';
  const gpu = device === 'webgpu';
  const constantsAsInputsOver = opts.constantsAsInputsOver ?? 4096;
  let model: ReturnType<typeof toOnnx> | undefined = toOnnx(outputs, { constantsAsInputsOver, target: gpu ? 'webgpu' : 'cpu', precision: opts.computePrecision });
  const { inputs, outputs: outs } = model;
  const constantFeeds: Record<string, ort.Tensor> = {};
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model.bytes, sessionOptions(opts));
  } catch (e) {
    if (device !== 'cpu') throw new UserError(providerError(device, e as Error));
    throw e;
  }
  // onnxruntime-node makes GPU tensors of float32 and float16 (not int8): the rest is fed from the host.
  const toGpu = gpu ? model.constantInputs.filter((c) => c.dtype === 'float32' || c.dtype === 'float16') : [];
  const onGpu = await Promise.all(deviceTensors(toGpu, opts));
  toGpu.forEach((c, i) => (constantFeeds[c.name] = onGpu[i]));
  for (const c of model.constantInputs) constantFeeds[c.name] ??= new ort.Tensor(ORT_TYPE[c.dtype], c.value, [...c.shape]);
  model = undefined; // the runtime holds its own copy of the weights now
  return sessionHandle(session, { inputs, outputs: outs }, constantFeeds, (dtype, data, shape) => new ort.Tensor(ORT_TYPE[dtype], data, shape), (t) => t.data as HostData);
}

/** y = c − op(a) op(b) in float64, op(a) [m, k], op(b) [k, n], c [m, n], m and k free per call (onnx.ts gemm64Model). */
export interface Gemm64 {
  run(a: Float64Array, b: Float64Array, c: Float64Array, m: number, k: number): Promise<Float64Array>;
  dispose(): Promise<void>;
}

/** A float64 Gemm session for n columns, outside compile()'s cache: the caller disposes it. */
export async function openGemm64(n: number, trans: { a: boolean; b: boolean }, opts: RuntimeOptions = {}): Promise<Gemm64> {
  const session = await ort.InferenceSession.create(gemm64Model(n, trans), sessionOptions(opts));
  const tensor = (data: Float64Array, dims: number[]) => new ort.Tensor('float64', data, dims);
  return {
    async run(a, b, c, m, k) {
      const res = await session.run({ a: tensor(a, trans.a ? [k, m] : [m, k]), b: tensor(b, trans.b ? [n, k] : [k, n]), c: tensor(c, [m, n]) });
      return res.y.data as Float64Array;
    },
    dispose: () => session.release(),
  };
}

/**
 * Closes every session, whatever handles remain (end of a command, tests), then frees the weights
 * uploaded to a GPU; release errors are thrown after all are tried.
 */
export async function disposeAll(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  const errors: unknown[] = [];
  for (const entry of all) {
    let session: Compiled;
    try {
      session = await entry.session;
    } catch {
      continue; // a session that failed to open holds nothing; compile() reported its error
    }
    try {
      await session.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  // Weights on a GPU last: no session is left to read them; their upload sessions own the buffers.
  onDevice = new WeakMap();
  for (const t of uploaded.splice(0)) {
    try {
      (await t).dispose();
    } catch {
      // an upload that failed holds nothing
    }
  }
  for (const s of uploaders.splice(0)) {
    try {
      await s.release();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} ONNX Runtime sessions failed to close`);
}

/** onnxruntime-node's version and the execution providers its build lists (bundled: shipped in the npm package). */
export function runtimeInfo(): { version: string; providers: { name: string; bundled: boolean }[] } {
  return { version: ort.env.versions.node ?? ort.env.versions.common, providers: ort.listSupportedBackends().map(({ name, bundled }) => ({ name, bundled })) };
}
