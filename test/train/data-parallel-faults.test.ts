// Faults of the frozen gradients' reduction in shared memory that a run cannot provoke on purpose,
// provoked here between a worker's answer and the host: workers whose frozen gradients differ in
// size, and a micro-batch's file cut short before the reduction. Each stops the step with one line
// naming the worker and the cause, as a WorkerLost (the run keeps its last checkpoint).
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { disposeAll } from '../../src/runtime/ort.ts';
import { DataParallel, WorkerLost, type FromWorker } from '../../src/train/parallel.ts';
import { createLearner } from '../../src/train/setup.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { stepConfig } from '../helpers/parallel-step.ts';

/** A learner on 2 workers under grad_clip_scope 'all', whose workers' answers pass through `tamper` first. */
function setup(shmDir: string, tamper: (k: number, m: FromWorker) => FromWorker) {
  const c = stepConfig({ grad_clip_scope: 'all', grad_clip_max_norm: 1 });
  const cfg = decodeVariant(c.model_name);
  const backbone = { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) };
  const learner = createLearner(c, backbone, 4);
  const pool = new DataParallel({ config: c, numClasses: 4, backbone: { ...backbone, params: learner.pretrainedBackbone() }, runtime: {} }, { workers: 2, shmDir });
  const inner = pool as unknown as { settle(k: number, m: FromWorker): void };
  const settle = inner.settle.bind(pool);
  inner.settle = (k, m) => settle(k, tamper(k, m));
  learner.devices = pool;
  const images = Float32Array.from({ length: 8 * 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37));
  const step = () => learner.trainStep(images, Int32Array.from({ length: 8 }, (_, i) => i % 4), 0, [0, 1, 2, 3], 0.05);
  return { pool, step };
}

test("workers whose frozen gradients differ in size: one line naming the worker, the micro-batch and the tensor", async (t) => {
  t.after(disposeAll);
  const { pool, step } = setup(tempDir('dpf-shm'), (k, m) => {
    if (k !== 1 || !m.ok || !('layouts' in m) || !m.layouts) return m;
    return { ...m, layouts: m.layouts.map((l) => l.map(([p, n], i) => (i === 2 ? [p, n + 1] : [p, n]) as [string, number])) };
  });
  try {
    await assert.rejects(step(), (e: Error) => e instanceof WorkerLost && /^data-parallel worker 1: micro-batch 1's frozen gradients do not match micro-batch 0's from worker 0: '.+' has \d+ values, not \d+$/.test(e.message));
  } finally {
    await pool.close();
  }
});

test("a micro-batch's file cut short before the reduction: one line naming the worker that wrote it and the sizes; the pool's folder is removed", async (t) => {
  t.after(disposeAll);
  const shm = tempDir('dpf-shm2');
  const { pool, step } = setup(shm, (k, m) => {
    if (k === 1 && m.ok && 'layouts' in m && m.layouts) {
      const [dir] = readdirSync(shm);
      truncateSync(join(shm, dir, 'micro-1.f32'), 8);
    }
    return m;
  });
  try {
    await assert.rejects(step(), (e: Error) => e instanceof WorkerLost && /^data-parallel worker \d: micro-batch 1's frozen gradients from worker 1 are 8 bytes, not the \d+ of the step's \(.*micro-1\.f32\)$/.test(e.message));
  } finally {
    await pool.close();
  }
  assert.deepEqual(readdirSync(shm), []);
});

test("a micro-batch's images that the host cannot write (its file a folder): one line naming the micro-batch and the file, the first that failed; the pool stops and its folder is removed", async (t) => {
  t.after(disposeAll);
  for (const bad of [[1], [0, 1]]) {
    const shm = tempDir('dpf-shm3');
    const { pool, step } = setup(shm, (_, m) => m);
    try {
      await step();
      const [dir] = readdirSync(shm);
      for (const j of bad) {
        rmSync(join(shm, dir, `images-${j}.f32`));
        mkdirSync(join(shm, dir, `images-${j}.f32`));
      }
      const j = bad[0];
      const want = new RegExp(`^data-parallel host: cannot write micro-batch ${j}'s images \\(0\\.0 MB\\) to .*images-${j}\\.f32: EISDIR[^\\n]*$`);
      await assert.rejects(step(), (e: Error) => e instanceof WorkerLost && want.test(e.message));
      await assert.rejects(step(), (e: Error) => e instanceof WorkerLost && want.test(e.message), 'the pool stays stopped');
    } finally {
      await pool.close();
    }
    assert.deepEqual(readdirSync(shm), []);
  }
});
