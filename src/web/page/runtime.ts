// The page's one runtime module: the browser counterpart of src/runtime/ort.ts, on onnxruntime-web.
// The bundler (src/web/bundle.ts) points every import of runtime/ort.ts at this file, so the learner
// and the step graphs run unchanged: compile(graph) -> run(feeds) -> dispose().
// Two builds: the plain WASM one for 'cpu' (the WebGPU build is compiled with asyncify, measured as
// fast at one thread and up to 1.35x slower at two: docs/web.md, "Speed") and the WebGPU one. Each session uses its own build's Tensor.
import * as ortWasm from 'onnxruntime-web/wasm';
import * as ortGpu from 'onnxruntime-web/webgpu';
import { toOnnx, type WireType } from '../../runtime/onnx.ts';
import { graphText, sessionHandle, type Compiled, type HostData } from '../../runtime/session.ts';
import type { Tensor } from '../../graph/tensor.ts';
import { UserError } from '../../errors.ts';

export type { Compiled, HostData, HostTensor } from '../../runtime/session.ts';

export interface RuntimeOptions {
  /** WASM threads; 0 lets the page choose (the configured default). */
  threads?: number;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** 'cpu' runs on WASM; 'webgpu' where the browser offers an adapter. */
  device?: 'cpu' | 'cuda' | 'webgpu';
  constantsAsInputsOver?: number;
  cpuArena?: boolean;
  /** The page computes in float32: 'fp16' (the config key compute_precision) is refused. */
  computePrecision?: 'fp32' | 'fp16';
}


type Ort = typeof ortWasm;
const ortFor = (device: string): Ort => (device === 'webgpu' ? (ortGpu as unknown as Ort) : ortWasm);

const ORT_TYPE: Record<WireType, ortWasm.Tensor.Type> = { float32: 'float32', float16: 'float16', int32: 'int32', int64: 'int64', bool: 'bool', int8: 'int8' };

/** The provider every compile() of the page uses unless its options name one. */
let defaultDevice: 'cpu' | 'webgpu' = 'cpu';

/** Where the .wasm files are served, the thread count, and the page's provider. */
export function configureRuntime(o: { wasmPaths: string; threads: number; device: 'cpu' | 'webgpu' }): void {
  for (const ort of [ortWasm, ortGpu]) {
    ort.env.wasm.wasmPaths = o.wasmPaths;
    ort.env.wasm.numThreads = o.threads;
  }
  defaultDevice = o.device;
}

/** 'wasm' or 'webgpu': the provider the page's sessions open on. */
export function providerName(): 'wasm' | 'webgpu' {
  return defaultDevice === 'webgpu' ? 'webgpu' : 'wasm';
}

/** Two 32-bit FNV-1a lanes over the same text as the Node runtime's sha256 (no crypto module here). */
function textHash(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0') + s.length.toString(16);
}

export function graphHash(outputs: Record<string, Tensor>, opts: RuntimeOptions): string {
  return textHash(graphText(outputs, opts));
}

const cache = new Map<string, Promise<Compiled>>();

export function compile(outputs: Record<string, Tensor>, opts: RuntimeOptions = {}): Promise<Compiled> {
  const key = graphHash(outputs, opts);
  const hit = cache.get(key);
  if (hit) return hit;
  const made = open(key, outputs, opts);
  cache.set(key, made);
  made.catch(() => cache.delete(key));
  return made;
}

async function open(key: string, outputs: Record<string, Tensor>, opts: RuntimeOptions): Promise<Compiled> {
  const device = opts.device ?? defaultDevice;
  if (opts.computePrecision === 'fp16') throw new UserError("compute_precision 'fp16' is not supported on the page, which computes in float32; use l2p train --device webgpu");
  // Lowered for its provider: on WebGPU the index ops stay int32 (src/graph/ops/indexing.ts).
  const model = toOnnx(outputs, { constantsAsInputsOver: opts.constantsAsInputsOver, target: device === 'webgpu' ? 'webgpu' : 'cpu' });
  const { inputs, outputs: outs } = model;
  const ort = ortFor(device);
  const constantFeeds: Record<string, ortWasm.Tensor> = {};
  for (const c of model.constantInputs) constantFeeds[c.name] = new ort.Tensor(ORT_TYPE[c.dtype], c.value, [...c.shape]);
  let session: ortWasm.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model.bytes, {
      executionProviders: [device === 'webgpu' ? 'webgpu' : 'wasm'],
      graphOptimizationLevel: opts.optimization ?? 'all',
      executionMode: 'sequential',
    });
  } catch (e) {
    if (device !== 'cpu') throw new UserError(`execution provider '${device}' is not available in this browser: ${(e as Error).message}`);
    throw e;
  }
  // Outputs on the GPU are read back; on WASM this is the tensor's own array.
  const read = async (t: ortWasm.Tensor) => (t.location === 'cpu' ? t.data : await t.getData(true)) as HostData;
  return sessionHandle(session, { inputs, outputs: outs }, constantFeeds, (dtype, data, shape) => new ort.Tensor(ORT_TYPE[dtype], data, shape), read, () => cache.delete(key));
}

export async function disposeAll(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) {
    try {
      await (await p).dispose();
    } catch {
      // a session that failed to open holds nothing
    }
  }
}

export { openGemm64, type Gemm64 } from './gemm64.ts';
