// The matmuls of a ViT-B/16 L2P training step at batch 64 (222 tokens: 197 + 25 prompt tokens), each
// timed alone on a provider, in the forms our lowering could give them: 2-D against 3-D operands, a
// transposed weight made by a Transpose node against one stored transposed, attention at 222 tokens
// against 224. Operands are weights (uploaded once on 'webgpu'); the output is summed on the device,
// so only a scalar crosses per run. Prints one JSON line: TFLOP/s per form.
//   node l2p-gpu.mjs matmul <device> [iters]        (bench/gpu/entry.ts)
import * as g from '../../src/graph/index.ts';
import { compile, type Device } from '../../src/runtime/ort.ts';

const B = 64;
const N = 222;
const D = 768;
const F = 3072;
const H = 12;

function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (((i * 7919 + seed * 104729) % 2003) / 2003 - 0.5) * 0.1;
  return a;
}
const weight = (shape: number[], seed: number) => g.constant(values(shape.reduce((x, y) => x * y, 1), seed), shape);

interface Form {
  name: string;
  flops: number;
  build: () => g.Tensor;
}

const forms: Form[] = [
  { name: 'mlp_up_2d [14208,768]@[768,3072]', flops: 2 * B * N * D * F, build: () => g.matmul(weight([B * N, D], 1), weight([D, F], 2)) },
  { name: 'mlp_up_3d [64,222,768]@[768,3072]', flops: 2 * B * N * D * F, build: () => g.matmul(weight([B, N, D], 1), weight([D, F], 2)) },
  { name: 'mlp_down_2d [14208,3072]@[3072,768]', flops: 2 * B * N * D * F, build: () => g.matmul(weight([B * N, F], 3), weight([F, D], 4)) },
  { name: 'qkv_2d [14208,768]@[768,2304]', flops: 2 * B * N * D * 3 * D, build: () => g.matmul(weight([B * N, D], 1), weight([D, 3 * D], 5)) },
  { name: 'dx_transpose_node [14208,3072]@T([768,3072])', flops: 2 * B * N * D * F, build: () => g.matmul(weight([B * N, F], 3), g.swapLast(weight([D, F], 2))) },
  { name: 'dx_stored_transposed [14208,3072]@[3072,768]', flops: 2 * B * N * D * F, build: () => g.matmul(weight([B * N, F], 3), weight([F, D], 2)) },
  { name: 'dw T([14208,768])@[14208,3072]', flops: 2 * B * N * D * F, build: () => g.matmul(g.transpose(weight([B * N, D], 1), [1, 0]), weight([B * N, F], 3)) },
  { name: 'scores_222 [64,12,222,64]@[64,12,64,222]', flops: 2 * B * H * N * N * 64, build: () => g.matmul(weight([B, H, N, 64], 6), weight([B, H, 64, N], 7)) },
  { name: 'scores_224 [64,12,224,64]@[64,12,64,224]', flops: 2 * B * H * 224 * 224 * 64, build: () => g.matmul(weight([B, H, 224, 64], 6), weight([B, H, 64, 224], 7)) },
  { name: 'values_222 [64,12,222,222]@[64,12,222,64]', flops: 2 * B * H * N * N * 64, build: () => g.matmul(weight([B, H, N, N], 8), weight([B, H, N, 64], 9)) },
  { name: 'square_4096', flops: 2 * 4096 ** 3, build: () => g.matmul(weight([4096, 4096], 10), weight([4096, 4096], 11)) },
];

export async function matmulForms(device: Device, iters = 5): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  for (const f of forms) {
    try {
      const s = g.input('s', [1]);
      const p = f.build();
      const y = g.mul(g.sum(p, p.shape.map((_, i) => i)), s);
      const session = await compile({ y }, { device });
      const feeds = { s: { shape: [1], data: Float32Array.of(1) } };
      await session.run(feeds);
      let best = Infinity;
      for (let i = 0; i < iters; i++) {
        const t = performance.now();
        await session.run(feeds);
        best = Math.min(best, (performance.now() - t) / 1000);
      }
      await session.dispose();
      out[f.name] = f.flops / best / 1e12;
    } catch (e) {
      out[f.name] = `error: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  return out;
}
