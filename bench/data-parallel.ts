// A training step of num_devices = 2 micro-batches four ways on the CPU provider: here, one micro-batch
// after another (the learner's own loop), with --threads and with one thread; on one data-parallel worker process (what the pipe and the
// host-side averaging cost); on two worker processes, one ONNX Runtime thread each (what splitting
// the cores between devices gives). Timed in alternation, so a change of the machine's load reaches
// all alike; the first step of each (its compile) is not timed. Prints the load average.
//
//   npx tsx bench/data-parallel.ts [--model Ti/16] [--image 224] [--per-device 4] [--rounds 5] [--threads 2]
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
    'per-device': { type: 'string', default: '4' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
  },
});
const vit = decodeVariant(values.model!);
const size = Number(values.image);
const per = Number(values['per-device']);
const threads = Number(values.threads);
const patches = (size / vit.patch) ** 2;
const config = { ...getPreset('cifar100_l2p'), model_name: values.model!, input_size: size, per_device_batch_size: per, num_devices: 2 };
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
}

function mode(name: string, workers: number, workerThreads: number, hostThreads = threads): Mode {
  const learner = createLearner(config, backbone, 100, { threads: hostThreads });
  const pool = workers > 0 ? new DataParallel({ config, numClasses: 100, backbone: { ...backbone, params: learner.pretrainedBackbone() }, runtime: { threads: workerThreads } }, { workers }) : null;
  learner.devices = pool;
  return { name, learner, pool, times: [] };
}

const load = [loadavg()[0]];
const modes = [mode(`here, ${threads} threads`, 0, 0), mode('here, 1 thread', 0, 0, 1), mode(`1 worker, ${threads} threads`, 1, threads), mode('2 workers, 1 thread each', 2, 1)];
const step = (m: Mode) => m.learner.trainStep(images, labels, 0, mask, 0.01);
for (const m of modes) await step(m);
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
console.log(`${values.model} at ${size}×${size}, global batch ${b} = 2 micro-batches of ${per}, ${values.rounds} rounds; load average ${load.map((x) => x.toFixed(1)).join(' → ')}`);
console.log('| mode | median s / step | best s / step |');
console.log('|---|---|---|');
for (const m of modes) console.log(`| ${m.name} | ${median(m.times).toFixed(3)} | ${Math.min(...m.times).toFixed(3)} |`);
