// The DualPrompt graph's options the golden cases leave at their defaults (temperature, norm_pre_logits,
// no prompt at all, the query from other weights or fed), in the float64 interpreter against the
// backbone's own pieces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { dualPromptForward } from '../../src/methods/dualprompt/model.ts';
import { initDualPromptParams } from '../../src/methods/dualprompt/init.ts';
import type { DualPromptOptions } from '../../src/methods/dualprompt/options.ts';
import { bindParams } from '../../src/vit/bind.ts';
import { embed, encode } from '../../src/vit/model.ts';
import { randomViT } from '../../src/vit/random.ts';
import { rng, uniform } from '../helpers/rng.ts';

const vit = { hidden: 8, heads: 2, mlp: 16, depth: 2, patch: 8 };
const b = 2;
const r = rng(3);
const imageData = uniform(r, b * 16 * 16 * 3, 0, 1);
const base: DualPromptOptions = {
  vit,
  numClasses: 3,
  g: { length: 2, layers: [0], prefixTune: true, sameKeyValue: false },
  e: { length: 2, layers: [1], poolSize: 3, topK: 1, prefixTune: true },
  classifier: 'token',
  temperature: 1,
  normPreLogits: false,
};

function paramsFor(o: DualPromptOptions, seed = 5) {
  const params = randomViT(vit, 4, seed);
  for (const [k, v] of initDualPromptParams(o, { initializer: 'uniform', keyInit: 'uniform', seed: 2 })) params.set(k, v);
  params.set('head/kernel', { shape: [8, 3], data: uniform(r, 24) });
  params.set('head/bias', { shape: [3], data: uniform(r, 3) });
  return params;
}
const params = paramsFor(base);
const feeds = { images: { shape: [b, 16, 16, 3], data: imageData } };

function run(o: DualPromptOptions, pick: (out: ReturnType<typeof dualPromptForward>) => g.Tensor[], p = params) {
  const { p: fn } = bindParams(p, () => false);
  const images = g.input('images', [b, 16, 16, 3]);
  return g.interpret(pick(dualPromptForward(fn, o, images, o.e ? { kind: 'per_instance' } : null)), feeds).map((a) => Array.from(a.data));
}

const close = (a: number[], e: number[], what: string) => {
  assert.equal(a.length, e.length, what);
  for (let i = 0; i < e.length; i++) assert.ok(Math.abs(a[i] - e[i]) < 1e-9, `${what} ${i}: ${a[i]} vs ${e[i]}`);
};

test('temperature divides the logits, bias included (official logits / temperature)', () => {
  const [one] = run(base, (o) => [o.logits]);
  const [two] = run({ ...base, temperature: 2 }, (o) => [o.logits]);
  close(two, one.map((x) => x / 2), 'logits at temperature 2');
  assert.ok(one.some((x) => Math.abs(x) > 1e-3));
});

test('norm_pre_logits: the head sees the feature divided by its L2 norm', () => {
  const [feat] = run(base, (o) => [o.feature]);
  const [nf, logits] = run({ ...base, normPreLogits: true }, (o) => [o.feature, o.logits]);
  const kernel = params.get('head/kernel')!.data;
  const bias = params.get('head/bias')!.data;
  for (let i = 0; i < b; i++) {
    const row = feat.slice(i * 8, i * 8 + 8);
    const norm = Math.hypot(...row);
    close(nf.slice(i * 8, i * 8 + 8), row.map((x) => x / norm), `normalised feature ${i}`);
    const want = [0, 1, 2].map((c) => bias[c] + row.reduce((s, x, j) => s + (x / norm) * kernel[j * 3 + c], 0));
    assert.ok(want.every((w, c) => Math.abs(logits[i * 3 + c] - w) < 1e-6), `logits ${i}`);
  }
});

test('no g-prompt and no e-prompt: the plain backbone class token under the head, no query selection', () => {
  const o = { ...base, g: null, e: null };
  const plain = paramsFor(o);
  const { p } = bindParams(plain, () => false);
  const images = g.input('images', [b, 16, 16, 3]);
  const out = dualPromptForward(p, o, images, null);
  assert.equal(out.selection, null);
  const cls = g.reshape(g.slice(encode(p, vit, embed(p, vit, images)), 1, 0, 1), [b, 8]);
  const [got, want] = g.interpret([out.logits, g.dense(cls, p('head/kernel'), p('head/bias'))], feeds);
  close(Array.from(got.data), Array.from(want.data), 'logits');
});

test('an e-prompt without a selection is a programming error', () => {
  const { p } = bindParams(params, () => false);
  assert.throws(() => dualPromptForward(p, base, g.input('images', [b, 16, 16, 3]), null), /^Error: DualPrompt with an e-prompt needs a selection$/);
});

test('the query comes from the query backbone (its own embedding too), or is taken as fed', () => {
  const other = randomViT(vit, 4, 11);
  const { p } = bindParams(params, () => false);
  const { p: pq } = bindParams(other, () => false);
  const images = g.input('images', [b, 16, 16, 3]);
  const out = dualPromptForward(p, base, images, { kind: 'per_instance' }, pq);
  const want = g.reshape(g.slice(encode(pq, vit, embed(pq, vit, images)), 1, 0, 1), [b, 8]);
  const [q, w] = g.interpret([out.query, want], feeds);
  close(Array.from(q.data), Array.from(w.data), 'query');
  const fed = g.input('query', [b, 8]);
  const viaFed = dualPromptForward(p, base, images, { kind: 'per_instance' }, p, fed);
  assert.equal(viaFed.query, fed);
});

test('a g-prompt alone: the training step under any selection feeds no prompt ids and outputs no selection; the eval step too', async () => {
  const { buildDualPromptEvalStep, buildDualPromptTrainStep } = await import('../../src/methods/dualprompt/step.ts');
  const o = { ...base, e: null };
  const gOnly = paramsFor(o);
  const isTrained = (k: string) => k === 'prefix' || k.startsWith('head/');
  for (const selection of ['mask', 'per_instance', 'batchwise'] as const) {
    const step = buildDualPromptTrainStep(gOnly, { model: o, batch: b, imageSize: [16, 16], selection, trainMask: false, pull: 0.1, isTrained });
    assert.deepEqual(step.feedsNeeded, ['images', 'labels'], selection);
    assert.deepEqual(Object.keys(step.outputs).filter((k) => !k.startsWith('grad/')).sort(), ['ce', 'logits', 'loss', 'pre_logits'], selection);
    assert.deepEqual(step.gradPaths.sort(), ['head/bias', 'head/kernel', 'prefix'], selection);
  }
  const ev = buildDualPromptEvalStep(gOnly, { model: o, batch: b, imageSize: [16, 16], selection: 'mask', isTrained });
  assert.deepEqual(ev.feedsNeeded, ['images']);
});
