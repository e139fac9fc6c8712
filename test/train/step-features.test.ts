// A method that asks for its training steps' features (`trainFeatures`) gets them in `observe`, with
// the step's labels and prompt ids: the features its head saw, [B, D], as the step's graph output them.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import type { StepObservation } from '../../src/methods/index.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

after(disposeAll);

test('observe receives the features of every micro-batch of a step, in batch order', async () => {
  const c = { ...getPreset('cifar100_l2p_smoke'), per_device_batch_size: 2, num_devices: 2 };
  const vit = decodeVariant(c.model_name);
  const grid = (c.input_size / vit.patch) ** 2;
  const learner = createLearner(c, { config: vit, numPatches: grid, params: randomViT(vit, grid, 5) }, 4);
  const seen: StepObservation[] = [];
  learner.model.trainFeatures = true;
  learner.model.observe = (_t, step) => seen.push(step);
  const traced: Float32Array[] = [];
  learner.onStep = (t) => t.outputs.forEach((o) => traced.push(o.features.data as Float32Array));
  const images = Float32Array.from({ length: 4 * c.input_size * c.input_size * 3 }, (_, i) => Math.cos(i * 0.11));
  const labels = Int32Array.of(0, 1, 1, 0);
  await learner.trainStep(images, labels, 0, [0, 1], 0.01);
  assert.equal(seen.length, 1);
  assert.deepEqual([...seen[0].labels], [...labels]);
  assert.equal(traced.length, 2, 'two micro-batches');
  const f = seen[0].features!;
  assert.equal(f.length, 4 * vit.hidden);
  assert.deepEqual([...f], [...traced[0], ...traced[1]]);
  assert.ok(f.every(Number.isFinite) && f.some((v) => v !== 0));
});
