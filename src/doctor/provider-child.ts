// Run in a child process by provider.ts: a tiny graph on one execution provider (argv[2]), then the
// float16 check, printing one JSON line. A separate process, because a provider that fails can abort
// its process, and so that the Vulkan loader's log of the devices it offers is this run's alone.
import * as g from '../graph/index.ts';
import { compile, disposeAll, requireFloat16, type Device } from '../runtime/ort.ts';

export interface ProbeResult {
  ran: boolean;
  error?: string;
  /** Whether float16 kernels run (on WebGPU: the adapter's shader-f16). */
  f16?: boolean;
  f16Error?: string;
}

async function probe(device: Device): Promise<ProbeResult> {
  const x = Float32Array.of(1, -2, 0.5);
  let out: Float32Array;
  try {
    const s = await compile({ y: g.add(g.mul(g.input('x', [3]), 3), 1) }, { device, threads: 1 });
    out = (await s.run({ x: { shape: [3], data: x } })).y.data as Float32Array;
  } catch (e) {
    return { ran: false, error: (e as Error).message.split('\n')[0] };
  }
  if (out[0] !== 4 || out[1] !== -5 || out[2] !== 2.5) return { ran: false, error: `3x + 1 gave [${[...out].join(', ')}], not [4, -5, 2.5]` };
  try {
    await requireFloat16(device);
    return { ran: true, f16: true };
  } catch (e) {
    return { ran: true, f16: false, f16Error: (e as Error).message.split('\n')[0] };
  }
}

const result = await probe(process.argv[2] as Device);
await disposeAll();
process.stdout.write(`${JSON.stringify(result)}\n`);
