// Training steps of a small learner, in this process (the micro-batches one after another) or on
// data-parallel worker processes, for the tests that compare the two.
import { getPreset } from '../../src/config/presets.ts';
import type { L2PConfig } from '../../src/config/l2p.ts';
import type { RuntimeOptions } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/setup.ts';
import { DataParallel, type WorkerEnvVar } from '../../src/train/parallel.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

/** A smoke preset (default cifar100_l2p_smoke) with a global batch of 8 over `devices` micro-batches. */
export function stepConfig(over: Partial<L2PConfig> = {}, devices = 2, preset = 'cifar100_l2p_smoke'): L2PConfig {
  return { ...getPreset(preset), per_device_batch_size: 8 / devices, num_devices: devices, ...over };
}

export interface StepOptions {
  workers?: number;
  runtime?: RuntimeOptions;
  env?: WorkerEnvVar[];
  /**
   * Tasks of 2 classes each (4 classes in all), `steps` steps each, every task begun as the loop
   * begins it (the method's start-of-task hook). Without it: one task, all 4 classes trained.
   */
  tasks?: 1 | 2;
}

/** Runs the steps; returns the trained tensors, each step's loss, grad norm, count correct and prompt ids. */
export async function trainSteps(c: L2PConfig, steps: number, o: StepOptions = {}) {
  const cfg = decodeVariant(c.model_name);
  const backbone = { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) };
  const learner = createLearner(c, backbone, 4, o.runtime);
  const pool = o.workers ? new DataParallel({ config: c, numClasses: 4, backbone: { ...backbone, params: learner.pretrainedBackbone() }, runtime: o.runtime ?? {} }, { workers: o.workers, env: o.env }) : null;
  learner.devices = pool;
  const b = c.per_device_batch_size * c.num_devices;
  const log: { loss: number; gradNorm: number; correct: number; ids: number[] }[] = [];
  try {
    for (let t = 0; t < (o.tasks ?? 1); t++) {
      learner.beginTask(t, true);
      const classes = o.tasks ? [2 * t, 2 * t + 1] : [0, 1, 2, 3];
      for (let s = 0; s < steps; s++) {
        // Each micro-batch its own kind of image, so that the devices' batch-wise votes can differ.
        const px = 32 * 32 * 3;
        const per = c.per_device_batch_size;
        const images = Float32Array.from({ length: b * px }, (_, i) => Math.sin(i * (0.37 + 0.9 * Math.floor(i / px / per)) + s + t) * (1 + Math.floor(i / px / per)));
        const labels = Int32Array.from({ length: b }, (_, i) => classes[(i * 3 + s) % classes.length]);
        const r = await learner.trainStep(images, labels, t, classes, 0.05);
        log.push({ loss: r.loss, gradNorm: r.gradNorm, correct: r.correct, ids: [...r.promptIds] });
      }
    }
  } finally {
    await pool?.close();
  }
  return { trained: learner.trainedTensors, log };
}
