// The page's closed-form task (src/web/page/run.ts, closed-form.ts) under Node, without a browser:
// a SimpleCIL PageRun learns two tasks with no step; each class's head column is the mean of its
// training examples' features taken one at a time, the snapshot keeps the fitted head, and a
// restored run (the snapshot into a new PageRun) predicts as the first.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseL2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import type { Pixels } from '../../src/data/types.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { backboneFor } from '../../src/train/experiment.ts';
import { PACKAGE_ROOT } from '../../src/web/bundle.ts';
import { toInput } from '../../src/web/page/batches.ts';
import { PageRun, type Example } from '../../src/web/page/run.ts';

after(() => disposeAll());

/** A white bar on black, 28 × 28 RGB: vertical (class 0), horizontal (1) or diagonal (2), moved by k. */
function bar(label: number, k: number): Example {
  const data = new Uint8Array(28 * 28 * 3);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const on = label === 0 ? Math.abs(x - 14 - k) < 2 : label === 1 ? Math.abs(y - 14 - k) < 2 : Math.abs(x - y - k) < 2;
      if (on) data.fill(255, 3 * (y * 28 + x), 3 * (y * 28 + x) + 3);
    }
  }
  return { pixels: { data, height: 28, width: 28, channels: 3 } as Pixels, label };
}

test('a SimpleCIL task in the page learns without steps: class means of the features, kept in the snapshot and restored', async () => {
  const base = getPreset('split_mnist_simplecil');
  const config = parseL2PConfig({ ...base, init_checkpoint: join(PACKAGE_ROOT, base.init_checkpoint!), eval_pad_last_batch: true, continual: { ...base.continual, num_tasks: 4, num_classes_per_task: 1 } });
  const backbone = backboneFor(config, () => {});
  const run = PageRun.fresh(config, backbone, ['v', 'h', 'd']);
  assert.equal(run.closedForm, true);
  const examples = (label: number) => [-5, -3, -1, 1, 3, 5].map((k) => bar(label, k));
  run.snap.tasks.push({ classMask: [0, 1], train: [...examples(0).slice(0, 5), ...examples(1).slice(0, 5)], test: [examples(0)[5], examples(1)[5]] });
  const r0 = await run.trainTask(0, { onStep: () => assert.fail('a closed-form task takes no step') });
  assert.equal(r0.fit?.examples, 10);
  assert.equal(run.snap.globalStep, 0);
  run.snap.tasks.push({ classMask: [2], train: examples(2).slice(0, 5), test: [examples(2)[5]] });
  const r1 = await run.trainTask(1);
  assert.equal(r1.fit?.examples, 5);
  // Each class's column: the mean of its examples' features, each example through the graph alone.
  const D = backbone.config.hidden;
  const C = run.numClasses;
  const head = run.snap.trained['head/kernel'];
  for (const label of [0, 1, 2]) {
    const mean = new Float64Array(D);
    for (const e of examples(label).slice(0, 5)) {
      const f = await run.learner.features(toInput(e.pixels, config), Int32Array.of(label));
      for (let d = 0; d < D; d++) mean[d] += f[d] / 5;
    }
    for (let d = 0; d < D; d++) assert.ok(Math.abs(head[d * C + label] - mean[d]) < 1e-5 * (1 + Math.abs(mean[d])), `class ${label} [${d}]: ${head[d * C + label]} vs ${mean[d]}`);
  }
  for (let d = 0; d < D; d++) assert.equal(head[d * C + 3], 0, 'the unseen class has no prototype');
  // The metrics are the matrix's: avg_acc the mean of column 1.
  const m = run.snap.accMatrix;
  assert.equal(r1.avg_acc, (m[0][1] + m[1][1]) / 2);
  // A run restored from the snapshot (as IndexedDB gives it back) predicts as this one.
  const restored = new PageRun(structuredClone(run.snap), backbone);
  const probe = [bar(0, 0), bar(1, 0), bar(2, 0)].map((e) => e.pixels);
  assert.deepEqual((await restored.predict(probe)).classes, (await run.predict(probe)).classes);
  assert.deepEqual((await run.predict(probe)).classes, [0, 1, 2]);
});
