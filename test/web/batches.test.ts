// The page's input streams (src/web/page/batches.ts, the code the page runs) against the Node
// pipeline on the same examples, stream and seed: the same pixels and labels batch after batch,
// with augmentation (train_augment) and through evaluation under eval_augment, and without.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseL2PConfig, type L2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { Pipeline } from '../../src/data/pipeline.ts';
import type { Source } from '../../src/data/types.ts';
import { evalOptionsOf, evalPipeline } from '../../src/train/evaluate.ts';
import { trainSeed } from '../../src/train/seeds.ts';
import { evalStream, TrainStream, type Example } from '../../src/web/page/batches.ts';
import { pattern } from '../fixtures/data/write.ts';

// 37 examples (no whole number of batches), grey and colour, larger than the input so crops differ.
const examples: Example[] = Array.from({ length: 37 }, (_, i) => ({ pixels: pattern(i, 32, 30, i % 3 === 0 ? 3 : 1), label: i % 4 }));
const source: Source = {
  description: 'examples in memory',
  length: examples.length,
  label: (i) => examples[i].label,
  get: async (i) => ({ image: { pixels: examples[i].pixels }, label: examples[i].label, origin: `example ${i}` }),
};

function config(set: Partial<L2PConfig>): L2PConfig {
  const base = getPreset('split_mnist_l2p');
  return parseL2PConfig({ ...base, seed: 7, shuffle_buffer_size: 10, resize_size: 32, input_size: 24, ...set });
}

for (const augment of [true, false]) {
  test(`training batches: the page's stream equals the Node pipeline's, pixel for pixel (train_augment ${augment})`, async () => {
    const c = config({ train_augment: augment });
    const t = 2;
    const pipe = new Pipeline(source, { batchSize: c.per_device_batch_size * c.num_devices, train: true, augment, seed: trainSeed(c, t), shuffleBuffer: c.shuffle_buffer_size, preprocess: { resizeSize: c.resize_size, inputSize: c.input_size }, workers: 0 });
    const page = new TrainStream(examples, c, t);
    // Five batches of 16 cross two epoch boundaries.
    for (let step = 0; step < 5; step++) {
      const node = (await pipe.next())!;
      const mine = page.batch(step);
      assert.deepEqual(mine.labels, node.labels, `labels of batch ${step}`);
      assert.deepEqual(mine.images, node.images, `pixels of batch ${step}`);
    }
    await pipe.close();
    // Augmentation moves pixels: the first batch is not the central crops of the same examples.
    const plain = new TrainStream(examples, { ...c, train_augment: false }, t).batch(0);
    assert.equal(augment ? plain.images.some((v, i) => v !== page.batch(0).images[i]) : true, true);
  });
}

for (const augment of [true, false]) {
  test(`evaluation: the page visits the test examples as src/train/evaluate.ts (eval_augment ${augment})`, async () => {
    const c = config({ eval_augment: augment, eval_pad_last_batch: true });
    const pipe = evalPipeline(source, { ...evalOptionsOf(c), maxBatches: -1, workers: 0 });
    const visit = evalStream(examples, c);
    const nodeImages: number[] = [];
    const nodeLabels: number[] = [];
    for await (const b of pipe) {
      nodeImages.push(...b.images);
      nodeLabels.push(...b.labels);
    }
    // Augmented evaluation drops the remainder (32 of 37); plain evaluation keeps all 37 in stored order.
    assert.equal(visit.examples.length, augment ? 32 : 37);
    assert.deepEqual(visit.examples.map((e) => e.label), nodeLabels);
    const mine = visit.examples.flatMap((_, k) => [...visit.input(k)]);
    assert.deepEqual(mine, nodeImages);
    if (!augment) assert.deepEqual(visit.examples, examples);
  });
}
