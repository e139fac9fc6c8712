// The step skeleton's contract with a method's forward pass: trained parameters are fed and
// differentiated, fitted ones fed and never differentiated, frozen ones constants whose gradients
// (grad_clip_scope 'all') come as tensors or as their summed squares; hand-computed values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { trainGraph, type ForwardFn } from '../../src/methods/step.ts';

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
