// A run's evaluations with and without the cached test-set queries (src/train/query-cache.ts): a
// stream of --tasks tasks of --images test images each, evaluated as the loop evaluates them (after
// task t, every task seen so far), L2P (cifar100_l2p settings, random weights, CPU provider). Prints
// the wall and CPU time of all the evaluations each way, run one after the other in this process, and
// the load average; on a loaded machine only the CPU times say much. Two more runs stand for a run
// resumed half-way (a new cache from the task --tasks/2 on): with the cache in memory only (the
// resumed process computes every seen test set's queries again) and kept in a folder (it reads them).
//
//   npx tsx bench/eval-query-cache.ts [--model Ti/16] [--image 224] [--tasks 5] [--images 32] [--batch 16] [--threads 1] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getPreset } from '../src/config/presets.ts';
import type { Source } from '../src/data/types.ts';
import { disposeAll } from '../src/runtime/ort.ts';
import { evaluateSource } from '../src/train/evaluate.ts';
import { QueryCache } from '../src/train/query-cache.ts';
import { createLearner } from '../src/train/setup.ts';
import { randomViT } from '../src/vit/random.ts';
import { decodeVariant } from '../src/vit/variants.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'Ti/16' },
    image: { type: 'string', default: '224' },
    tasks: { type: 'string', default: '5' },
    images: { type: 'string', default: '32' },
    batch: { type: 'string', default: '16' },
    threads: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const size = Number(values.image);
const vit = decodeVariant(values.model!);
const patches = (size / vit.patch) ** 2;
const tasks = Number(values.tasks);
const n = Number(values.images);
const batch = Number(values.batch);
const config = { ...getPreset('cifar100_l2p'), model_name: values.model!, input_size: size, resize_size: size, per_device_batch_size: batch, num_devices: 1 };
const learner = createLearner(config, { config: vit, numPatches: patches, params: randomViT(vit, patches, 1) }, 10 * tasks, { threads: Number(values.threads) });

function source(t: number): Source {
  const px = size * size * 3;
  return {
    description: `task ${t}`,
    length: n,
    label: (i) => 10 * t + (i % 10),
    get: async (i) => {
      const pixels = new Uint8Array(px);
      for (let k = 0; k < px; k++) pixels[k] = (k * 7 + i * 13 + t * 31) % 251;
      return { image: { pixels: { data: pixels, height: size, width: size, channels: 3 } }, label: 10 * t + (i % 10), origin: `task ${t} record ${i}` };
    },
  } as Source;
}

const resumeAt = Math.floor(tasks / 2);
const sources = Array.from({ length: tasks }, (_, t) => source(t));
const o = { batchSize: batch, resizeSize: size, inputSize: size, maxBatches: -1, poolSize: config.prompt_pool_param.pool_size, workers: 0 };

/** All the evaluations, with the cache `cacheAt(t)` gives from task t on (a new one stands for a resumed process). */
async function run(cacheAt: (t: number) => QueryCache | undefined): Promise<{ wall: number; cpu: number; accuracy: number[] }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const accuracy: number[] = [];
  let cache: QueryCache | undefined;
  for (let t = 0; t < tasks; t++) {
    if (t === 0 || t === resumeAt) cache = cacheAt(t);
    for (let s = 0; s <= t; s++) accuracy.push((await evaluateSource(learner, sources[s], null, { ...o, queryCache: cache })).accuracy);
  }
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, accuracy };
}

// Sessions compiled before timing: one evaluation each way.
await evaluateSource(learner, sources[0], null, o);
await evaluateSource(learner, sources[0], null, { ...o, queryCache: new QueryCache() });
const load = [loadavg()[0]];
const before = await run(() => undefined);
const after = await run(() => new QueryCache());
const resumedMemory = await run(() => new QueryCache());
const dir = mkdtempSync(join(tmpdir(), 'l2p-qc-bench-'));
const resumedDisk = await run(() => new QueryCache(undefined, { dir, warn: (w) => console.error(w) }));
rmSync(dir, { recursive: true, force: true });
load.push(loadavg()[0]);
await disposeAll();
for (const r of [after, resumedMemory, resumedDisk]) if (before.accuracy.join() !== r.accuracy.join()) throw new Error('the cached evaluations scored differently');
const out = {
  model: values.model,
  image: size,
  tasks,
  images_per_task: n,
  evaluations: (tasks * (tasks + 1)) / 2,
  load_average: load,
  uncached: { wall_s: before.wall, cpu_s: before.cpu },
  cached: { wall_s: after.wall, cpu_s: after.cpu },
  cpu_saved: 1 - after.cpu / before.cpu,
  resumed_at_task: resumeAt,
  resumed_memory_only: { wall_s: resumedMemory.wall, cpu_s: resumedMemory.cpu },
  resumed_kept_on_disk: { wall_s: resumedDisk.wall, cpu_s: resumedDisk.cpu },
};
if (values.json) console.log(JSON.stringify(out));
else {
  console.log(`${values.model} at ${size}², ${tasks} tasks × ${n} test images, ${out.evaluations} test-set evaluations; load average ${load.map((x) => x.toFixed(1)).join(' → ')}`);
  console.log(`uncached: ${before.wall.toFixed(2)} s wall, ${before.cpu.toFixed(2)} s CPU`);
  console.log(`cached:   ${after.wall.toFixed(2)} s wall, ${after.cpu.toFixed(2)} s CPU (${(100 * out.cpu_saved).toFixed(1)} % less CPU)`);
  console.log(`resumed at task ${resumeAt}, cache in memory only: ${resumedMemory.wall.toFixed(2)} s wall, ${resumedMemory.cpu.toFixed(2)} s CPU`);
  console.log(`resumed at task ${resumeAt}, cache kept on disk:   ${resumedDisk.wall.toFixed(2)} s wall, ${resumedDisk.cpu.toFixed(2)} s CPU`);
}
