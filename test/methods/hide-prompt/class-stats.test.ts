// Class-wise statistics against the official _compute_mean's torch.cov (+ 1e-4·I), accumulated here
// batch by batch; and the two bad inputs: a class with one example, a NaN feature.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClassFeatures } from '../../../src/methods/hide-prompt/class-features.ts';
import { ClassMoments } from '../../../src/methods/hide-prompt/class-moments.ts';
import { rng, uniform } from '../../helpers/rng.ts';
import { throwsUser } from '../../helpers/errors.ts';
import { close, reference } from './reference.ts';

const D = 6;
const r = rng(7);
// Features far from the origin, as pre_logits are: a naive Σxxᵀ − nμμᵀ in float32 would cancel.
const features = Float32Array.from(uniform(r, 40 * D), (v, i) => 30 + (i % D) + v);
const labels = Int32Array.from({ length: 40 }, (_, i) => [3, 5, 9][i % 3]);

const KINDS = ['covariance', 'variance'] as const;
const refs = reference(KINDS.map((kind) => ({ op: 'moments', dim: D, kind, features, labels })));

KINDS.forEach((kind, k) => {
  test(`'${kind}' statistics equal the official torch.cov + 1e-4·I, batch by batch`, () => {
    const m = new ClassMoments(D);
    for (const [lo, hi] of [[0, 7], [7, 8], [8, 40]]) m.add(features.subarray(lo * D, hi * D), labels.subarray(lo, hi));
    const ref = refs[k];
    assert.deepEqual(m.classes(), [3, 5, 9]);
    for (const c of m.classes()) {
      const s = m.stats(c, kind);
      close(s.mean, ref[c].mean, 1e-12, `class ${c} mean`);
      close(s.cov, ref[c].cov, 1e-10, `class ${c} ${kind}`);
    }
  });
});

test('ClassFeatures keeps each class its rows in arrival order', () => {
  const f = new ClassFeatures(D);
  f.add(features.subarray(0, 10 * D), labels.subarray(0, 10));
  f.add(features.subarray(10 * D), labels.subarray(10));
  const five = f.of(5);
  const expected = [...labels.keys()].filter((i) => labels[i] === 5).flatMap((i) => Array.from(features.subarray(i * D, (i + 1) * D)));
  assert.equal(five.n, expected.length / D);
  assert.deepEqual(Array.from(five.data), expected);
});

test('a class with one example: one line naming the class', () => {
  const m = new ClassMoments(2);
  m.add([1, 2, 3, 4, 5, 6], [0, 1, 0]);
  assert.equal(m.stats(0, 'covariance').count, 2);
  throwsUser(() => m.stats(1, 'covariance'), /^class statistics: class 1 has 1 example; its covariance .* is undefined/);
});

test('NaN features: one line naming the batch, the row and the class; nothing added', () => {
  const m = new ClassMoments(2);
  throwsUser(() => m.add([1, 2, 3, NaN], [4, 4], 'task 2 batch 7'), "task 2 batch 7: row 1 (class 4) has feature 1 = NaN; class statistics need finite features");
  assert.deepEqual(m.classes(), []);
  throwsUser(() => new ClassFeatures(2).add([Infinity, 0], [1]), /row 0 \(class 1\) has feature 0 = Infinity/);
});
