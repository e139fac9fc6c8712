// The machine's matmul ceiling through ONNX Runtime, on the shapes a ViT-B/16 step multiplies
// (batch 8 × 197 tokens): the rate the model's big matmuls are compared with.
//
//   npx tsx bench/matmul.ts [--iters 10]
import { parseArgs } from 'node:util';
import * as g from '../src/graph/index.ts';
import { compile, disposeAll } from '../src/runtime/ort.ts';

const { values } = parseArgs({ options: { iters: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } } });
const shapes: [number, number, number][] = [
  [1576, 768, 2304], // fused q, k, v projection
  [1576, 768, 3072], // MLP up
  [1576, 3072, 768], // MLP down
  [2048, 2048, 2048],
];
const out: { m: number; k: number; n: number; gflops_per_s: number }[] = [];
for (const [m, k, n] of shapes) {
  const a = g.input('a', [m, k]);
  const w = g.constant(Float32Array.from({ length: k * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), [k, n]);
  const s = await compile({ y: g.matmul(a, w) });
  const feeds = { a: { shape: [m, k], data: Float32Array.from({ length: m * k }, (_, i) => ((i * 104729) % 1000) / 1000) } };
  await s.run(feeds);
  let best = Infinity;
  for (let i = 0; i < Number(values.iters); i++) {
    const t = performance.now();
    await s.run(feeds);
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  out.push({ m, k, n, gflops_per_s: (2 * m * k * n) / best / 1e9 });
  if (!values.json) console.log(`[${m}, ${k}] @ [${k}, ${n}]: ${((2 * m * k * n) / best / 1e9).toFixed(1)} GFLOP/s`);
  await s.dispose();
}
if (values.json) console.log(JSON.stringify(out));
await disposeAll();
