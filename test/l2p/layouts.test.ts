// Token layouts and classifiers of the L2P model against the same computation written out by hand
// from the backbone's pieces, in the float64 interpreter; weight decay in the loss, by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import type { Tensor } from '../../src/graph/index.ts';
import { l2pForward, type Classifier, type PromptLayout } from '../../src/methods/l2p/model.ts';
import { buildTrainStep } from '../../src/methods/l2p/step.ts';
import { bindParams } from '../../src/vit/bind.ts';
import { embed, encode } from '../../src/vit/model.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { rng, uniform } from '../helpers/rng.ts';

const vit = decodeVariant('mu/8');
const r = rng(9);
const params = randomViT(vit, 16, 5);
params.set('prompt_pool/prompt', { shape: [1, 4, 2, 48], data: uniform(r, 4 * 2 * 48) });
params.set('prompt_pool/key', { shape: [4, 48], data: uniform(r, 4 * 48) });
params.set('head/kernel', { shape: [48, 6], data: uniform(r, 48 * 6) });
params.set('head/bias', { shape: [6], data: uniform(r, 6) });
const b = 2;
const imageData = uniform(r, b * 32 * 32 * 3, 0, 1);
const ids = [3, 1]; // the two prompts both inputs use, in this order

/** The prompted tokens and the pooled feature, written out from embed/encode for each layout. */
function byHand(p: (k: string) => Tensor, images: Tensor, layout: PromptLayout, classifier: Classifier): Tensor {
  const x0 = embed(p, vit, images); // [B, 17, D]: cls, patches; position embedding added
  const table = g.reshape(p('prompt_pool/prompt'), [4, 2, 48]);
  const picked = ids.map((i) => g.reshape(g.slice(table, 0, i, i + 1), [1, 2, 48]));
  const prompts = g.expand(g.concat(picked, 1), [b, 4, 48]); // [B, 4, D]
  const cls = g.slice(x0, 1, 0, 1);
  const patches = g.slice(x0, 1, 1, 17);
  const pos0 = g.slice(p('Transformer/posembed_input/pos_embedding'), 1, 0, 1);
  const tokens = layout === 'head' ? g.concat([prompts, cls, patches], 1) : g.concat([cls, g.add(prompts, pos0), patches], 1);
  const out = encode(p, vit, tokens); // [B, 21, D]
  const promptAt = layout === 'head' ? 0 : 1;
  const clsAt = layout === 'head' ? 4 : 0;
  const pick = (from: number, to: number) => g.mean(g.slice(out, 1, from, to), 1);
  const feature =
    classifier === 'prompt' ? pick(promptAt, promptAt + 4)
    : classifier === 'token' ? pick(clsAt, clsAt + 1)
    : classifier === 'gap' ? pick(0, 21)
    : pick(0, 5); // token+prompt: the class token and the four prompt tokens, adjacent in both layouts
  return g.dense(feature, p('head/kernel'), p('head/bias'));
}

for (const layout of ['head', 'cls_first'] as const) {
  for (const classifier of ['prompt', 'token', 'gap', 'token+prompt'] as const) {
    test(`layout ${layout}, classifier ${classifier}: logits as written out by hand`, () => {
      const { p } = bindParams(params, () => false);
      const images = g.input('images', [b, 32, 32, 3]);
      const fixed = g.input('ids', [b, 2], 'int32');
      const model = { vit, numClasses: 6, topK: 2, promptKey: true, layout, classifier, temperature: 1, normPreLogits: false };
      const got = l2pForward(p, model, images, { kind: 'fixed', ids: fixed }).logits;
      const want = byHand(p, images, layout, classifier);
      const [a, e] = g.interpret([got, want], { images: { shape: [b, 32, 32, 3], data: imageData }, ids: { shape: [b, 2], data: [...ids, ...ids] } });
      for (let i = 0; i < e.data.length; i++) assert.ok(Math.abs(a.data[i] - e.data[i]) < 1e-9, `logit ${i}: ${a.data[i]} vs ${e.data[i]}`);
    });
  }
}

test('weight decay adds 0.5 · wd · Σ‖W‖² over every matrix of the prompted model, frozen ones included, to the loss (official)', () => {
  const spec = {
    model: { vit, numClasses: 6, topK: 2, promptKey: true, layout: 'head' as const, classifier: 'prompt' as const, temperature: 1, normPreLogits: false },
    batch: b,
    imageSize: [32, 32] as [number, number],
    selection: 'per_instance' as const,
    trainMask: false,
    pull: 1,
    isTrained: (k: string) => k.startsWith('prompt_pool/') || k.startsWith('head/'),
  };
  const plain = buildTrainStep(params, spec);
  const decayed = buildTrainStep(params, { ...spec, weightDecay: 0.1 });
  const feeds = (s: typeof plain): g.Feeds => {
    const f: g.Feeds = { images: { shape: [b, 32, 32, 3], data: imageData }, labels: { shape: [b], data: [0, 4] } };
    for (const t of s.trained) f[t.label!] = { shape: t.shape, data: params.get(t.label!)!.data };
    return f;
  };
  const [l0] = g.interpret([plain.outputs.loss], feeds(plain));
  const [l1] = g.interpret([decayed.outputs.loss], feeds(decayed));
  let sq = 0;
  for (const v of params.values()) if (v.shape.length > 1) for (const x of v.data) sq += x * x;
  assert.ok(Math.abs(l1.data[0] - l0.data[0] - 0.05 * sq) < 1e-6 * Math.max(1, 0.05 * sq), `${l1.data[0] - l0.data[0]} vs ${0.05 * sq}`);
});
