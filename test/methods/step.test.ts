// The step skeleton's contract with a method's forward pass: trained parameters are fed and
// differentiated, fitted ones fed and never differentiated, frozen ones constants whose gradients
// (grad_clip_scope 'all') come as tensors or as their summed squares; hand-computed values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { evalGraph, pullTerm, trainGraph, type ForwardFn } from '../../src/methods/step.ts';

// logits = x · W + b + c, x the first two pixels of each image; W trained, b fitted, c frozen.
const params = new Map([
  ['W', { shape: [2, 2], data: Float32Array.of(1, 0, 0, 1) }],
  ['b', { shape: [2], data: Float32Array.of(0.5, -0.5) }],
  ['c', { shape: [2, 2], data: Float32Array.of(0, 0, 0, 0) }],
]);
const forward: ForwardFn = (x) => {
  const feat = g.slice(g.reshape(x.images, [x.batch, 3]), 1, 0, 2); // [B, 2]
  const cc = g.sum(x.p('c'), 0); // [2]
  return { logits: g.add(g.add(g.matmul(feat, x.p('W')), x.p('b')), cc), features: feat };
};
const spec = { batch: 1, imageSize: [1, 1] as [number, number], numClasses: 2, trainMask: false, isTrained: (p: string) => p === 'W', isFitted: (p: string) => p === 'b', features: true };

test('fitted parameters are graph inputs without gradients; frozen ones give tensors or summed squares', () => {
  const tensors = trainGraph(params, { ...spec, frozenGrads: 'tensors' }, forward);
  assert.deepEqual(tensors.trained.map((t) => t.label), ['W', 'b']);
  assert.deepEqual(tensors.gradPaths, ['W', 'c']);
  assert.ok(!('grad/b' in tensors.outputs));
  assert.deepEqual(tensors.feedsNeeded, ['images', 'labels']);
  // x = (1, 2), label 0: logits (1.5, 1.5), softmax (½, ½); dL/dlogits = (−½, ½).
  const feeds = { images: { shape: [1, 1, 1, 3], data: Float32Array.of(1, 2, 3) }, labels: { shape: [1], data: Int32Array.of(0) }, W: { shape: [2, 2], data: params.get('W')!.data }, b: { shape: [2], data: params.get('b')!.data } };
  const names = ['loss', 'grad/W', 'grad/c', 'features'];
  const [loss, gW, gc, feat] = g.interpret(names.map((n) => tensors.outputs[n]), feeds);
  assert.ok(Math.abs(loss.data[0] - Math.LN2) < 1e-6);
  assert.deepEqual([...gW.data], [-0.5, 0.5, -1, 1]);
  assert.deepEqual([...gc.data], [-0.5, 0.5, -0.5, 0.5]);
  assert.deepEqual([...feat.data], [1, 2]);
  const squares = trainGraph(params, { ...spec, frozenGrads: 'sum_squares' }, forward);
  assert.deepEqual(squares.gradPaths, ['W']);
  const [sq] = g.interpret([squares.outputs.frozen_grad_sq], feeds);
  assert.ok(Math.abs(sq.data[0] - 1) < 1e-6, 'Σ of the frozen gradient squared: 4 · ¼');
});

test("outputs: the query, features and selection only where they apply; an evaluation has no gradients", () => {
  const plain = trainGraph(params, { ...spec, features: false }, forward);
  assert.deepEqual(Object.keys(plain.outputs).sort(), ['ce', 'grad/W', 'logits', 'loss']);
  const withQuery: ForwardFn = (x) => ({ ...forward(x), query: g.reshape(x.images, [x.batch, 3]) });
  assert.ok('pre_logits' in trainGraph(params, spec, withQuery).outputs);
  assert.ok(!('pre_logits' in trainGraph(params, spec, forward).outputs));
  // A selecting forward: every selection output in training, only the ids in evaluation.
  const selecting: ForwardFn = (x) => {
    const s = g.reshape(x.images, [x.batch, 3]);
    return { ...forward(x), selection: { idx: x.input('ids', [x.batch, 1], 'int32'), sim: s, reduceSim: g.sum(s, [0, 1]) } };
  };
  const train = trainGraph(params, spec, selecting);
  assert.deepEqual(['prompt_idx', 'reduce_sim', 'sim'].filter((k) => k in train.outputs), ['prompt_idx', 'reduce_sim', 'sim']);
  assert.deepEqual(train.feedsNeeded, ['images', 'labels', 'ids']);
  const evalSpec = { ...spec, hidden: 3 };
  const ev = evalGraph(params, { ...evalSpec, features: false }, selecting);
  assert.deepEqual(Object.keys(ev.outputs).sort(), ['logits', 'prompt_idx']);
  assert.deepEqual(ev.gradPaths, []);
  assert.deepEqual(ev.feedsNeeded, ['images', 'ids']);
  assert.deepEqual(Object.keys(evalGraph(params, evalSpec, forward).outputs).sort(), ['features', 'logits']);
  const fed = evalGraph(params, { ...evalSpec, queryFed: true }, (x) => ({ logits: g.matmul(x.query!, g.constant(new Float32Array(6), [3, 2])) }));
  assert.deepEqual(fed.feedsNeeded, ['images', 'query']);
  assert.deepEqual(fed.outputs.logits.shape, [1, 2]);
});

test('the pull constraint −pull · reduce_sim, none without a selection or a coefficient', () => {
  const r = g.input('r', []);
  const [v] = g.interpret([pullTerm(r, 0.5)!], { r: { shape: [], data: Float32Array.of(0.8) } });
  assert.ok(Math.abs(v.data[0] + 0.4) < 1e-7);
  assert.equal(pullTerm(undefined, 0.5), null);
  assert.equal(pullTerm(r, 0), null);
});

test("weight decay: 0.5 · wd · Σ‖W‖² over the forward's matrices, frozen ones included, vectors not", () => {
  // W = I (Σ 2), c = 0 (Σ 0), b a vector: loss = ln 2 + 0.5 · 0.1 · 2.
  const wd = trainGraph(params, { ...spec, weightDecay: 0.1 }, forward);
  const feeds = { images: { shape: [1, 1, 1, 3], data: Float32Array.of(1, 2, 3) }, labels: { shape: [1], data: Int32Array.of(0) }, W: { shape: [2, 2], data: params.get('W')!.data }, b: { shape: [2], data: params.get('b')!.data } };
  const [loss, gW] = g.interpret([wd.outputs.loss, wd.outputs['grad/W']], feeds);
  assert.ok(Math.abs(loss.data[0] - (Math.LN2 + 0.1)) < 1e-6, `${loss.data[0]}`);
  assert.deepEqual([...gW.data].map((v) => Math.round(v * 1e6) / 1e6), [-0.4, 0.5, -1, 1.1]);
  // A forward that uses no matrix: nothing to decay, the loss is the cross-entropy alone.
  const vectorOnly = trainGraph(params, { ...spec, isTrained: (p: string) => p === 'b', isFitted: undefined, weightDecay: 0.1 }, (x) => ({ logits: g.reshape(g.add(x.p('b'), g.sum(x.images, [1, 2, 3])), [1, 2]) }));
  const [ce] = g.interpret([vectorOnly.outputs.loss], { ...feeds, b: { shape: [2], data: Float32Array.of(0, 0) } });
  assert.ok(Math.abs(ce.data[0] - Math.LN2) < 1e-6, `${ce.data[0]}`);
});
