// Full fine-tuning (freeze_part = []): the step's gradients toward backbone weights, against central
// differences of the loss in the float64 interpreter. The query keeps the original weights, as the
// official code's separate `original_vit`, so perturbing a trained weight moves only the prompted path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { readNpz } from '../../src/io/npz.ts';
import { buildTrainStep } from '../../src/methods/l2p/step.ts';
import { loadViT, type Params } from '../../src/vit/params.ts';
import { rng } from '../helpers/rng.ts';

const dir = 'test/fixtures/golden/d';

test('gradients toward backbone weights match central differences', () => {
  const vit = loadViT(`${dir}/vit.npz`);
  const l2p = readNpz(`${dir}/l2p.npz`);
  const batch = readNpz(`${dir}/batch.npz`);
  const params: Params = new Map(vit.params);
  for (const [k, a] of l2p) params.set(k, { shape: a.shape, data: a.data as Float32Array });
  const original: Params = new Map([...vit.params].map(([k, v]) => [k, { shape: v.shape, data: v.data.slice() }] as const));
  const images = batch.get('images')!;
  const b = images.shape[0];
  const watched = ['embedding/kernel', 'Transformer/encoderblock_1/MlpBlock_3/Dense_0/kernel', 'Transformer/encoderblock_0/LayerNorm_0/scale', 'cls'];
  const step = buildTrainStep(params, {
    model: { vit: vit.config, numClasses: 5, topK: 1, promptKey: true, layout: 'head', classifier: 'prompt', temperature: 1, normPreLogits: false },
    batch: b,
    imageSize: [images.shape[1], images.shape[2]],
    selection: 'per_instance',
    trainMask: false,
    pull: 0.1,
    isTrained: () => true,
    original,
  });
  const feeds: g.Feeds = {
    images: { shape: images.shape, data: images.data as Float32Array },
    labels: { shape: [b], data: batch.get('labels')!.data as Int32Array },
  };
  for (const t of step.trained) feeds[t.label!] = { shape: t.shape, data: Float64Array.from(params.get(t.label!)!.data) };
  const grads = g.interpret(watched.map((k) => step.outputs[`grad/${k}`]), feeds);
  const r = rng(3);
  const eps = 1e-5;
  watched.forEach((k, w) => {
    const base = feeds[k].data as Float64Array;
    for (let n = 0; n < 4; n++) {
      const i = Math.floor(r() * base.length);
      const at = (delta: number) => {
        const v = Float64Array.from(base);
        v[i] += delta;
        return g.interpret([step.outputs.loss], { ...feeds, [k]: { shape: feeds[k].shape, data: v } })[0].data[0];
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const analytic = grads[w].data[i];
      assert.ok(Math.abs(analytic - numeric) <= 1e-6 + 1e-4 * Math.abs(numeric), `${k}[${i}]: analytic ${analytic}, numeric ${numeric}`);
    }
  });
});
