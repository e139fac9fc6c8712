// The one program bench/gpu/pack.sh bundles (with esbuild) for a GPU machine without Node:
//   node l2p-gpu.mjs bench [l2p bench options]   the L2P step's speed (l2p bench)
//   node l2p-gpu.mjs golden <device> [root]      golden agreement on a provider, as JSON
//   node l2p-gpu.mjs matmul <device> [iters]     the step's matmuls in the forms a lowering could give them
//   node l2p-gpu.mjs memory [bench/memory.ts options]   the sessions a real run opens (bench/memory.ts)
//   node l2p-gpu.mjs fp16demo [--device webgpu] [--workdir DIR] [--set key=value ...]
//                                                the demo in fp32 and fp16, compared, as JSON (fp16demo.ts)
import { run as bench } from '../../src/cli/bench.ts';
import { disposeAll, type Device } from '../../src/runtime/ort.ts';
import { fp16Demo } from './fp16demo.ts';
import { goldenAgreement } from './golden.ts';
import { matmulForms } from './matmul-shapes.ts';
import { memoryRun } from '../memory-run.ts';

const [what, ...rest] = process.argv.slice(2);
if (what === 'bench') {
  process.exitCode = await bench(rest);
} else if (what === 'golden') {
  const result = await goldenAgreement((rest[0] ?? 'webgpu') as Device, rest[1]);
  await disposeAll();
  console.log(JSON.stringify(result));
} else if (what === 'matmul') {
  const result = await matmulForms((rest[0] ?? 'webgpu') as Device, rest[1] ? Number(rest[1]) : 5);
  await disposeAll();
  console.log(JSON.stringify(result));
} else if (what === 'memory') {
  console.log(JSON.stringify(await memoryRun(rest)));
} else if (what === 'fp16demo') {
  console.log(JSON.stringify(await fp16Demo(rest)));
} else {
  console.error('usage: l2p-gpu.mjs bench [options] | golden <device> [root] | matmul <device> [iters] | memory [options] | fp16demo [--device D] [--workdir DIR] [--set key=value ...]');
  process.exitCode = 1;
}
