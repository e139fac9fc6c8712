// A graph's identity (the session cache's key): constants of up to 64 values count by content, larger
// ones by the array object, so two graphs over the same weights share a session without hashing them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { graphHash } from '../../src/runtime/ort.ts';

const hashOver = (value: Float32Array) => graphHash({ y: g.add(g.input('x', [value.length]), g.constant(value, [value.length])) }, {});
const filled = (n: number) => Float32Array.from({ length: n }, (_, i) => i / 7);

test('constants of up to 64 values are identified by content', () => {
  for (const n of [1, 64]) {
    assert.equal(hashOver(filled(n)), hashOver(filled(n)), `${n} values, two arrays`);
    const other = filled(n);
    other[n - 1] = 99;
    assert.notEqual(hashOver(filled(n)), hashOver(other), `${n} values, one differs`);
  }
  assert.notEqual(
    graphHash({ y: g.constant(Int32Array.of(1, 2), [2]) }, {}),
    graphHash({ y: g.constant(Float32Array.of(1, 2), [2]) }, {}),
    'the same numbers in two dtypes',
  );
  assert.notEqual(hashOver(Float32Array.of(1, 23)), hashOver(Float32Array.of(12, 3)), 'values run together');
});

test('constants of more than 64 values are identified by their array object', () => {
  const w = filled(65);
  assert.equal(hashOver(w), hashOver(w), 'the same array twice');
  assert.notEqual(hashOver(w), hashOver(filled(65)), 'two arrays of equal content');
  const v = filled(100);
  assert.equal(hashOver(v), hashOver(v));
  assert.notEqual(hashOver(v), hashOver(filled(100)));
});

test('a reduction is the same graph whatever the order or repetition of its axes', () => {
  const x = g.input('x', [2, 3, 4]);
  const h = (axes: number[]) => graphHash({ y: g.sum(x, axes, true) }, {});
  assert.equal(h([2, 0]), h([0, 2]));
  assert.equal(h([-1, 0, 2]), h([0, 2]));
  assert.notEqual(h([0, 1]), h([0, 2]));
});
