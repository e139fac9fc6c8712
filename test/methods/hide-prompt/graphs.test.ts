// The two graphs, on the float64 interpreter, against PyTorch autograd running the official modules:
// the prototype-contrast term (orth_loss) with and without stored centroids, and the head step
// (TII model: MlpMapping + LayerNorm + head; prompted model: head alone) with its masked cross-entropy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../../src/graph/index.ts';
import { buildHeadStep, headShapes } from '../../../src/methods/hide-prompt/head.ts';
import { prototypeContrast } from '../../../src/methods/hide-prompt/prototype-contrast.ts';
import { rng, uniform } from '../../helpers/rng.ts';
import { close, reference } from './reference.ts';

const r = rng(5);
const D = 6;
const B = 4;
const K = 3;
const C = 7;
// The interpreter is float64, but a graph's scalar constants (1/0.8, LayerNorm's eps) are float32.
const TOL = 1e-6;
const feats = uniform(r, B * D);
const protos = uniform(r, K * D);
const labels = Int32Array.from([1, 4, 4, 2]);
const mask = [1, 2, 4, 6];
const paramsFor = (ratio: number) =>
  Object.fromEntries([...headShapes({ dim: D, numClasses: C, mlpRatio: ratio })].map(([k, s]) => [k, uniform(r, s.reduce((a, b) => a * b, 1), -0.5, 0.5)]));
const heads = [2, 0].map((ratio) => ({ ratio, params: paramsFor(ratio) }));

const refs = reference([
  { op: 'contrast', dim: D, features: feats, prototypes: protos, reg: 0.1 },
  { op: 'contrast', dim: D, features: feats, prototypes: null, reg: 0.5 },
  ...heads.map((h) => ({ op: 'head', dim: D, num_classes: C, mlp_ratio: h.ratio, params: h.params, features: feats, labels, mask })),
]);

for (const [name, withProtos, reg, ref] of [['with stored centroids', true, 0.1, refs[0]], ['on the first task', false, 0.5, refs[1]]] as const) {
  test(`prototype contrast ${name}: value and feature gradient equal orth_loss under autograd`, () => {
    const f = g.input('features', [B, D]);
    const p = withProtos ? g.input('prototypes', [K, D]) : null;
    const loss = prototypeContrast(f, p, reg);
    const [grad] = g.grad(loss, [f]);
    const feeds = { features: { shape: [B, D], data: feats }, ...(withProtos ? { prototypes: { shape: [K, D], data: protos } } : {}) };
    const [l, gr] = g.interpret([loss, grad], feeds);
    close(l.data, [ref.loss], TOL, 'loss');
    close(gr.data, ref.grad, TOL, 'grad');
  });
}

heads.forEach(({ ratio, params }, k) => {
  test(`head step (${ratio ? 'TII model: MLP, LayerNorm, head' : 'prompted model: head alone'}): loss, logits and every gradient equal torch's`, () => {
    const ref = refs[2 + k];
    const step = buildHeadStep({ batch: B, dim: D, numClasses: C, mlpRatio: ratio });
    const shapes = headShapes({ dim: D, numClasses: C, mlpRatio: ratio });
    const classMask = Array.from({ length: C }, (_, c) => Number(mask.includes(c)));
    const feeds: g.Feeds = {
      features: { shape: [B, D], data: feats },
      labels: { shape: [B], data: labels },
      class_mask: { shape: [C], data: classMask },
      ...Object.fromEntries([...shapes].map(([key, s]) => [key, { shape: s, data: params[key] }])),
    };
    assert.deepEqual(step.feedsNeeded.sort(), Object.keys(feeds).sort());
    const names = ['loss', 'logits', ...[...shapes.keys()].map((p) => `grad/${p}`)];
    const out = g.interpret(names.map((n) => step.outputs[n]), feeds);
    close(out[0].data, [ref.loss], TOL, 'loss');
    close(out[1].data, ref.logits, TOL, 'logits');
    [...shapes.keys()].forEach((p, i) => close(out[2 + i].data, ref.grads[p], TOL, p));
  });
});
