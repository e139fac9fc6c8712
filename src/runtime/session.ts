// What the Node runtime (src/runtime/ort.ts) and the page's (src/web/page/runtime.ts) share, ONNX
// Runtime itself aside: the host tensors and the compiled graph's interface, the text that identifies
// a graph in their session caches, and the handle around an open session (feeds checked, constant
// feeds added, outputs read back). Browser-safe: no ONNX Runtime import.
import type { DType, Shape, Tensor } from '../graph/tensor.ts';
import { topoSort } from '../graph/tensor.ts';
import { checkedFeed } from './feeds.ts';
import type { WireType } from './onnx.ts';

export type HostData = Float32Array | Int32Array | BigInt64Array | Uint8Array;
export interface HostTensor {
  shape: Shape;
  data: HostData;
}

export interface Compiled {
  readonly inputs: { name: string; shape: Shape; dtype: DType }[];
  readonly outputs: { name: string; shape: Shape; dtype: DType }[];
  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
  dispose(): Promise<void>;
}

/** A graph's identity for a session cache: ops, attributes, shapes, wiring, outputs, and the options. */
export function graphText(outputs: Record<string, Tensor>, opts: object): string {
  const lines: string[] = [];
  const order = topoSort(Object.values(outputs));
  const pos = new Map<number, number>();
  order.forEach((t, i) => {
    pos.set(t.id, i);
    lines.push(`${t.op}|${t.attrKey}|${t.label ?? ''}|${t.dtype}|${t.shape.join(',')}|${t.inputs.map((x) => pos.get(x.id)).join(',')}`);
  });
  for (const [name, t] of Object.entries(outputs)) lines.push(`out ${name}=${pos.get(t.id)}`);
  lines.push(JSON.stringify(opts));
  return lines.join('\n');
}

/** The part of an ONNX Runtime session (onnxruntime-node's or -web's) a handle uses. */
interface OrtSession<T, R> {
  run(feeds: Record<string, T>): Promise<Record<string, R>>;
  release(): Promise<void>;
}

/**
 * A Compiled over an open session: each run checks its feeds against the graph's inputs, makes them
 * tensors with `tensor`, adds `constantFeeds`, and reads every output back with `read`; dispose
 * releases the session once (then `onDispose`).
 */
export function sessionHandle<T, R extends { dims: readonly number[] }>(
  session: OrtSession<T, R>,
  io: Pick<Compiled, 'inputs' | 'outputs'>,
  constantFeeds: Record<string, T>,
  tensor: (dtype: WireType, data: HostData, shape: number[]) => T,
  read: (t: R) => HostData | Promise<HostData>,
  onDispose: () => void = () => {},
): Compiled {
  let disposed = false;
  return {
    inputs: io.inputs,
    outputs: io.outputs,
    async run(feeds) {
      if (disposed) throw new Error('run() on a disposed session');
      const ortFeeds: Record<string, T> = { ...constantFeeds };
      for (const spec of io.inputs) {
        const f = checkedFeed(spec, feeds[spec.name]);
        ortFeeds[spec.name] = tensor(spec.dtype, f.data, [...f.shape]);
      }
      const res = await session.run(ortFeeds);
      const out: Record<string, HostTensor> = {};
      for (const o of io.outputs) out[o.name] = { shape: res[o.name].dims, data: await read(res[o.name]) };
      return out;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      onDispose();
      await session.release();
    },
  };
}
