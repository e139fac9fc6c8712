// The run's expected time on this machine: one training step and one evaluation batch of the config's
// model, measured after a warm-up on random weights of its variant (the weights do not change the
// time), multiplied by the steps and evaluation batches the run's plan has. Data decoding is not
// counted, and a single measurement on a busy machine can be far off: an estimate, said so.
import { numTotalClasses, type L2PConfig } from '../config/l2p.ts';
import type { ContinualStream } from '../data/streams.ts';
import { mulberry32 } from '../random.ts';
import type { Device } from '../runtime/ort.ts';
import { evaluatesAt } from '../train/official-schedule.ts';
import { planTask } from '../train/plan.ts';
import { createLearner } from '../train/setup.ts';
import { randomViT } from '../vit/random.ts';
import { decodeVariant } from '../vit/variants.ts';
import { type Check, pass } from './check.ts';

/** Training steps and evaluated images of the whole run, from its plan and the stream's split sizes. */
export function runWork(c: L2PConfig, stream: ContinualStream): { steps: number; evalImages: number } {
  const evalBatch = c.per_device_batch_size * c.num_devices;
  let steps = 0;
  let evalImages = 0;
  stream.tasks.forEach((task, t) => {
    const plan = planTask(c, task.train.length, t);
    const seen = stream.tasks.slice(0, t + 1).reduce((a, k) => a + (c.num_eval_steps > 0 ? Math.min(k.test.length, c.num_eval_steps * evalBatch) : k.test.length), 0);
    for (let s = 1; s <= plan.steps; s++) if (evaluatesAt(c, t, steps + s, s === plan.steps, plan.evalEvery)) evalImages += seen;
    steps += plan.steps;
  });
  return { steps, evalImages };
}

/** Seconds of one call after one warm-up call. */
async function timed(f: () => Promise<unknown>): Promise<number> {
  await f();
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

/** One training step (one micro-batch, times num_devices) and one evaluation batch, in seconds. */
export async function measureStep(c: L2PConfig, device: Device): Promise<{ trainS: number; evalS: number }> {
  const vit = decodeVariant(c.model_name);
  const grid = c.input_size / vit.patch;
  const one = { ...c, num_devices: 1 };
  const learner = createLearner(one, { config: vit, numPatches: grid * grid, params: randomViT(vit, grid * grid, 1) }, numTotalClasses(c), { device });
  const b = c.per_device_batch_size;
  const r = mulberry32(1);
  const images = Float32Array.from({ length: b * c.input_size * c.input_size * 3 }, () => r());
  const classes = numTotalClasses(c);
  const labels = Int32Array.from({ length: b }, (_, i) => i % classes);
  const mask = Array.from({ length: classes }, (_, i) => i);
  const step = await timed(() => learner.trainStep(images, labels, 0, mask, 1e-3));
  const evalS = await timed(() => learner.evalBatch(images, labels, null));
  return { trainS: step * c.num_devices, evalS };
}

export function duration(s: number): string {
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(0)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function estimateCheck(c: L2PConfig, device: Device, stream: ContinualStream, m: { trainS: number; evalS: number }): Check {
  const { steps, evalImages } = runWork(c, stream);
  const total = steps * m.trainS + (evalImages / c.per_device_batch_size) * m.evalS;
  const micro = c.num_devices > 1 ? ` (${c.num_devices} micro-batches of ${c.per_device_batch_size})` : ` (batch ${c.per_device_batch_size})`;
  return pass(
    'estimated time',
    `about ${duration(total)} on ${device}: ${steps} training steps × ${m.trainS.toFixed(3)} s${micro} + ${evalImages} evaluated images at ${(m.evalS / c.per_device_batch_size).toFixed(4)} s each; an estimate from one step measured here on random ${c.model_name} weights after a warm-up, data decoding not included, grad_clip_scope '${c.grad_clip_scope}'`,
  );
}
