// The share of the matmul ceiling that the L2P step reaches, in CPU time, so that it holds on a machine
// other processes share: the step's matmul FLOPs per CPU-second over ONNX Runtime's own matmul rate on
// the ViT-B/16 shapes (bench/matmul.ts), both measured in this process: the ceiling right before and
// after each graph, round after round.
// With one intra-op thread (the default) CPU time is the work done, not time spent waiting for a core;
// with more, ORT's spinning threads count too (the ratio then also measures the threads' efficiency).
//
// --mem-pattern on|off overrides the runtime's choice of ONNX Runtime's memory pattern (for comparing it).
//
//   npx tsx bench/ceiling-share.ts [--model B/16] [--batch 8] [--threads 1] [--rounds 3] [--iters 2] [--mem-pattern on|off] [--json]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { getPreset } from '../src/config/presets.ts';
import * as g from '../src/graph/index.ts';
import { queryOf } from '../src/vit/query.ts';
import { mulberry32 } from '../src/random.ts';
import { compile, disposeAll, type RuntimeOptions } from '../src/runtime/ort.ts';
import { createLearner } from '../src/train/experiment.ts';
import { bindParams } from '../src/vit/bind.ts';
import { randomViT } from '../src/vit/random.ts';
import { decodeVariant } from '../src/vit/variants.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'B/16' },
    batch: { type: 'string', default: '8' },
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    iters: { type: 'string', default: '2' },
    'mem-pattern': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const vit = decodeVariant(values.model!);
const b = Number(values.batch);
const pattern = values['mem-pattern'];
if (pattern !== undefined && pattern !== 'on' && pattern !== 'off') throw new Error(`--mem-pattern must be on or off, got '${pattern}'`);
const runtime: RuntimeOptions = { threads: Number(values.threads), ...(pattern ? { memPattern: pattern === 'on' } : {}) };
const size = 224;
const grid = size / vit.patch;
const base = getPreset('cifar100_l2p');
// l2p bench's prompt shape (pool 10, length 5, top-k 5): the step the benchmark tables report.
const config = { ...base, model_name: values.model!, input_size: size, per_device_batch_size: b, num_devices: 1, prompt_pool_param: { ...base.prompt_pool_param, pool_size: 10, length: 5, top_k: 5 } };
const backbone = { config: vit, numPatches: grid * grid, params: randomViT(vit, grid * grid, 1) };
const all = createLearner({ ...config, grad_clip_scope: 'all' }, backbone, 100, runtime);
const trained = createLearner({ ...config, grad_clip_scope: 'trained' }, backbone, 100, runtime);
const r = mulberry32(2);
const head = all.params.get('head/kernel')!.data;
for (let i = 0; i < head.length; i++) head[i] = 0.02 * (r() - 0.5);
trained.params.get('head/kernel')!.data.set(head);
const images = Float32Array.from({ length: b * size * size * 3 }, () => r());
const labels = Int32Array.from({ length: b }, (_, i) => i % 10);
const classMask = Array.from({ length: 10 }, (_, i) => i);

const common = { params: all.params, taskId: 0, batch: b, imageSize: [size, size] as [number, number], isTrained: (k: string) => all.model.params.has(k) };
const flopsOf = (plan: { build: () => { outputs: Record<string, g.Tensor> } }) => g.matmulFlops(Object.values(plan.build().outputs));

interface Item {
  name: string;
  flops: number;
  run: () => Promise<unknown>;
}
const items: Item[] = [];

// The ceiling: the three matmul shapes of a ViT-B/16 block at this batch (197 tokens), weights fed.
const rows = b * (grid * grid + 1);
const d = vit.hidden;
const ceilingParts: Item[] = [];
for (const [m, k, n] of [[rows, d, 3 * d], [rows, d, vit.mlp], [rows, vit.mlp, d]]) {
  const a = g.input('a', [m, k]);
  const w = g.constant(Float32Array.from({ length: k * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), [k, n]);
  // One row comes back: the product is computed and allocated as inside a model, not copied to the host.
  const s = await compile({ y: g.slice(g.matmul(a, w), 0, 0, 1) }, runtime);
  const feeds = { a: { shape: [m, k], data: Float32Array.from({ length: m * k }, (_, i) => ((i * 104729) % 1000) / 1000) } };
  ceilingParts.push({ name: `${m}x${k}x${n}`, flops: 2 * m * k * n, run: () => s.run(feeds) });
}
items.push({ name: 'ceiling', flops: ceilingParts.reduce((s, p) => s + p.flops, 0), run: async () => { for (const p of ceilingParts) await p.run(); } });

const { p } = bindParams(backbone.params, () => false);
const x = g.input('images', [b, size, size, 3]);
const queryGraph = { pre_logits: queryOf(p, { vit, queryPrecision: 'fp32' }, x) };
const query = await compile(queryGraph, runtime);
items.push({ name: 'query', flops: g.matmulFlops(Object.values(queryGraph)), run: () => query.run({ images: { shape: [b, size, size, 3], data: images } }) });
items.push({ name: 'train_all', flops: flopsOf(all.model.train({ ...common, weightDecay: 0, frozenGrads: 'sum_squares' })), run: () => all.trainStep(images, labels, 0, classMask, 1e-3) });
items.push({ name: 'train_trained', flops: flopsOf(trained.model.train({ ...common, weightDecay: 0 })), run: () => trained.trainStep(images, labels, 0, classMask, 1e-3) });
items.push({ name: 'eval', flops: flopsOf(all.model.eval({ ...common, queryFed: false })), run: () => all.evalBatch(images, labels, null) });

/** CPU seconds (user + system, every thread of the process) and wall seconds of `iters` runs. */
async function measure(item: Item, iters: number): Promise<{ cpu: number; wall: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await item.run();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6 / iters, wall: (performance.now() - t0) / 1000 / iters };
}

const say = (s: string) => !values.json && console.log(s);
say(`ViT-${values.model}, batch ${b}, ${runtime.threads} intra-op thread(s); GFLOP per run: ${items.map((i) => `${i.name} ${(i.flops / 1e9).toFixed(1)}`).join(', ')}`);
for (const item of items) await item.run(); // warm-up: sessions open, first allocations
const rounds: Record<string, { cpu: number; wall: number }>[] = [];
const loads: number[] = [];
for (let k = 0; k < Number(values.rounds); k++) {
  const round: Record<string, { cpu: number; wall: number }> = {};
  const ceilings: number[] = [];
  // The ceiling right before and after each graph: the graph is set against their mean. One ceiling
  // run is about a tenth of a second, too short alone for a steady CPU-time reading.
  const ceilingIters = 5 * Number(values.iters);
  let before = await measure(items[0], ceilingIters);
  for (const item of items.slice(1)) {
    const m = await measure(item, Number(values.iters));
    const after = await measure(items[0], ceilingIters);
    round[item.name] = m;
    round[`ceiling:${item.name}`] = { cpu: (before.cpu + after.cpu) / 2, wall: (before.wall + after.wall) / 2 };
    ceilings.push(before.cpu, after.cpu);
    before = after;
  }
  round.ceiling = { cpu: ceilings.reduce((s, c) => s + c, 0) / ceilings.length, wall: 0 };
  rounds.push(round);
  loads.push(loadavg()[0]);
  const rate = (name: string) => items.find((i) => i.name === name)!.flops / round[name].cpu / 1e9;
  const share = (name: string) => (100 * round[`ceiling:${name}`].cpu * items.find((i) => i.name === name)!.flops) / (round[name].cpu * items[0].flops);
  say(`round ${k + 1} (load ${loadavg()[0].toFixed(1)}): ceiling ${rate('ceiling').toFixed(1)} GFLOP/cpu-s; ` +
    items.slice(1).map((i) => `${i.name} ${rate(i.name).toFixed(1)} (${share(i.name).toFixed(1)} %)`).join(', '));
}
const median = (xs: number[]) => [...xs].sort((u, v) => u - v)[Math.floor(xs.length / 2)];
const result: Record<string, number | string> = { model: values.model!, batch: b, threads: runtime.threads!, load_min: Math.min(...loads), load_max: Math.max(...loads) };
const loadText = `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
for (const item of items) {
  const rates = rounds.map((rd) => item.flops / rd[item.name].cpu / 1e9);
  result[`${item.name}_gflops_per_cpu_s`] = median(rates);
  result[`${item.name}_cpu_s_per_img`] = median(rounds.map((rd) => rd[item.name].cpu)) / b;
  if (item.name !== 'ceiling') result[`${item.name}_share`] = median(rounds.map((rd) => (rd[`ceiling:${item.name}`].cpu * item.flops) / (rd[item.name].cpu * items[0].flops)));
}
if (values.json) console.log(JSON.stringify(result));
else {
  say(`median share of the ceiling (CPU time): ${items.slice(1).map((i) => `${i.name} ${(100 * (result[`${i.name}_share`] as number)).toFixed(1)} %`).join(', ')}`);
  say(`median CPU s per image: ${items.slice(1).map((i) => `${i.name} ${(result[`${i.name}_cpu_s_per_img`] as number).toFixed(4)}`).join(', ')}; load average ${loadText}`);
}
await disposeAll();
