// The measurement behind bench/memory.ts (also bundled for a GPU machine: bench/gpu/entry.ts).
import { parseArgs } from 'node:util';
import { getPreset } from '../src/config/presets.ts';
import { disposeAll, type Device } from '../src/runtime/ort.ts';
import { createLearner } from '../src/train/experiment.ts';
import { mulberry32 } from '../src/random.ts';
import { randomViT } from '../src/vit/random.ts';
import { decodeVariant } from '../src/vit/variants.ts';

export async function memoryRun(argv: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'B/16' },
      batch: { type: 'string', default: '8' },
      image: { type: 'string', default: '224' },
      weights: { type: 'string', default: 'shared' },
      device: { type: 'string', default: 'cpu' },
    },
  });
  const b = Number(values.batch);
  const size = Number(values.image);
  const vit = decodeVariant(values.model!);
  const grid = size / vit.patch;
  const base = getPreset('cifar100_l2p');
  const config = { ...base, model_name: values.model!, input_size: size, per_device_batch_size: b, num_devices: 1 };
  const backbone = { config: vit, numPatches: grid * grid, params: randomViT(vit, grid * grid, 1) };
  const runtime = { device: values.device as Device, constantsAsInputsOver: values.weights === 'copied' ? Infinity : 4096 };
  const learner = createLearner(config, backbone, 100, runtime);
  const r = mulberry32(2);
  const images = Float32Array.from({ length: b * size * size * 3 }, () => r());
  const labels = Int32Array.from({ length: b }, (_, i) => i % 10);
  const classMask = Array.from({ length: 10 }, (_, i) => i);
  const t0 = performance.now();
  const mb = (x: number) => Math.round(x / 2 ** 20);
  const phases: Record<string, { rss_mb: number; peak_mb: number }> = {};
  const mark = (name: string) => (phases[name] = { rss_mb: mb(process.memoryUsage().rss), peak_mb: mb(process.resourceUsage().maxRSS * 1024) });
  mark('start');
  await learner.trainStep(images, labels, 0, classMask, 1e-3);
  mark('train');
  for (const n of [b, Math.max(1, b - 3)]) {
    const q = await learner.query(images.subarray(0, n * size * size * 3), n);
    mark(`query ${n}`);
    await learner.evalBatch(images.subarray(0, n * size * size * 3), labels.subarray(0, n), null, q);
    mark(`eval ${n}`);
  }
  await learner.trainStep(images, labels, 0, classMask, 1e-3);
  mark('train again');
  const result = {
    model: values.model,
    batch: b,
    weights: values.weights,
    device: values.device,
    sessions: 5,
    seconds: (performance.now() - t0) / 1000,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    phases,
  };
  await disposeAll();
  return result;
}
