// A training step of num_devices = 2 micro-batches on the CPU provider, timed in alternation (so a
// change of the machine's load reaches all alike; the first step of each, its compile, not timed):
// in one process, one micro-batch after the other, 1 ONNX Runtime thread; on two worker processes of
// 1 thread each (what splitting the cores between devices gives, and under --clip all what the
// frozen gradients' reduction in shared memory costs, timed on its own as well). --all-modes adds one
// process with --threads threads and one worker process with --threads threads (what the pipe and the
// host-side averaging cost). Prints the load average; --json prints one JSON object instead of a table.
//
//   npx tsx bench/data-parallel.ts [--model Ti/16] [--image 224] [--batch 4] [--clip all|trained]
//                                  [--rounds 5] [--threads 2] [--all-modes] [--json]
//
// --batch is the images per micro-batch (per_device_batch_size); a step has two micro-batches.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { getPreset } from '../src/config/presets.ts';
import { disposeAll } from '../src/runtime/ort.ts';
import type { Learner } from '../src/train/learner.ts';
import { DataParallel } from '../src/train/parallel.ts';
import { createLearner } from '../src/train/setup.ts';
import { randomViT } from '../src/vit/random.ts';
import { decodeVariant } from '../src/vit/variants.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'Ti/16' },
    image: { type: 'string', default: '224' },
    batch: { type: 'string', default: '4' },
    clip: { type: 'string', default: 'all' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    'all-modes': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
if (values.clip !== 'all' && values.clip !== 'trained') throw new Error(`--clip ${values.clip}: expected all or trained`);
const vit = decodeVariant(values.model!);
const size = Number(values.image);
const per = Number(values.batch);
const threads = Number(values.threads);
const patches = (size / vit.patch) ** 2;
const config = { ...getPreset('cifar100_l2p'), model_name: values.model!, input_size: size, per_device_batch_size: per, num_devices: 2, grad_clip_scope: values.clip as 'all' | 'trained' };
const b = 2 * per;
const backbone = { config: vit, numPatches: patches, params: randomViT(vit, patches, 1) };
const images = Float32Array.from({ length: b * size * size * 3 }, (_, i) => Math.sin(i * 0.013) * 0.5);
const labels = Int32Array.from({ length: b }, (_, i) => i % 10);
const mask = Array.from({ length: 10 }, (_, i) => i);

interface Mode {
  name: string;
  learner: Learner;
  pool: DataParallel | null;
  times: number[];
  /** The frozen gradients' reduction of each timed step (workers under --clip all). */
  reduce: number[];
}

function mode(name: string, workers: number, workerThreads: number, hostThreads = threads): Mode {
  const learner = createLearner(config, backbone, 100, { threads: hostThreads });
  const pool = workers > 0 ? new DataParallel({ config, numClasses: 100, backbone: { ...backbone, params: learner.pretrainedBackbone() }, runtime: { threads: workerThreads } }, { workers }) : null;
  learner.devices = pool;
  const m: Mode = { name, learner, pool, times: [], reduce: [] };
  if (pool) {
    const squares = pool.frozenSquares.bind(pool);
    pool.frozenSquares = async (micro) => {
      const t0 = performance.now();
      const out = await squares(micro);
      m.reduce.push((performance.now() - t0) / 1000);
      return out;
    };
  }
  return m;
}

const load = [loadavg()[0]];
const one = mode('here, 1 thread', 0, 0, 1);
const two = mode('2 workers, 1 thread each', 2, 1);
const modes = [one, two, ...(values['all-modes'] ? [mode(`here, ${threads} threads`, 0, 0), mode(`1 worker, ${threads} threads`, 1, threads)] : [])];
const step = (m: Mode) => m.learner.trainStep(images, labels, 0, mask, 0.01);
for (const m of modes) {
  await step(m);
  m.reduce.length = 0;
}
for (let r = 0; r < Number(values.rounds); r++) {
  for (const m of modes) {
    const t0 = performance.now();
    await step(m);
    m.times.push((performance.now() - t0) / 1000);
  }
}
load.push(loadavg()[0]);
for (const m of modes) await m.pool?.close();
await disposeAll();

const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)];
if (values.json) {
  const out = {
    model: values.model,
    image: size,
    batch_per_device: per,
    micro_batches: 2,
    clip: values.clip,
    rounds: Number(values.rounds),
    load_average: load,
    one_process_s_per_step: median(one.times),
    workers_s_per_step: median(two.times),
    workers_over_one_process: median(two.times) / median(one.times),
    workers_reduce_s_per_step: two.reduce.length > 0 ? median(two.reduce) : 0,
    ...Object.fromEntries(modes.slice(2).map((m) => [m.name, median(m.times)])),
  };
  console.log(JSON.stringify(out));
  process.exit(0);
}
console.log(`${values.model} at ${size}×${size}, global batch ${b} = 2 micro-batches of ${per}, ${values.rounds} rounds; load average ${load.map((x) => x.toFixed(1)).join(' → ')}`);
console.log('| mode | median s / step | best s / step |');
console.log('|---|---|---|');
for (const m of modes) console.log(`| ${m.name} | ${median(m.times).toFixed(3)} | ${Math.min(...m.times).toFixed(3)} |`);
if (two.reduce.length > 0) console.log(`frozen gradients' reduction on the 2 workers: median ${median(two.reduce).toFixed(3)} s / step`);
