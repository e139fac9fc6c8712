// The per-class store built from gathered features, the centroid matrix of the contrast term, and the
// head step and contrast graphs compiled for ONNX Runtime agreeing with the float64 interpreter.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as g from '../../../src/graph/index.ts';
import { ClassFeatures } from '../../../src/methods/hide-prompt/class-features.ts';
import { ClassMoments } from '../../../src/methods/hide-prompt/class-moments.ts';
import { buildHeadStep, headShapes } from '../../../src/methods/hide-prompt/head.ts';
import { clusterMoments } from '../../../src/methods/hide-prompt/kmeans.ts';
import { taskPromptIds } from '../../../src/methods/hide-prompt/task-inference.ts';
import { prototypeContrast } from '../../../src/methods/hide-prompt/prototype-contrast.ts';
import { prototypeMatrix, storeCentroids, storeMoments } from '../../../src/methods/hide-prompt/store.ts';
import { storesOf, storesState } from '../../../src/methods/hide-prompt/state.ts';
import { compile, disposeAll, type HostTensor } from '../../../src/runtime/ort.ts';
import { rng, uniform } from '../../helpers/rng.ts';
import { throwsUser } from '../../helpers/errors.ts';
import { close } from './reference.ts';

after(disposeAll);

const D = 3;
const r = rng(9);
const feats = uniform(r, 48 * D);
const labels = Int32Array.from({ length: 48 }, (_, i) => [8, 2][i % 2]);

test('multi-centroid store: per class, the cluster moments of its own k-means labels; reproducible by seed', () => {
  const f = new ClassFeatures(D);
  f.add(feats, labels);
  const a = storeCentroids(f, 4, 1);
  const b = storeCentroids(f, 4, 1);
  assert.deepEqual([...a.keys()], [2, 8]);
  for (const cls of [2, 8]) {
    const s = a.get(cls)!;
    assert.equal(s.kind, 'multi-centroid');
    if (s.kind !== 'multi-centroid') return;
    assert.deepEqual(s, b.get(cls));
    assert.equal(s.c.counts.reduce((x, y) => x + y, 0), 24);
    // The moments are those of the rows each centroid is nearest to.
    const { n, data } = f.of(cls);
    const nearest = Int32Array.from({ length: n }, (_, i) => {
      const d2 = s.c.means.map((m) => m.reduce((acc, v, j) => acc + (data[i * D + j] - v) ** 2, 0));
      return d2.indexOf(Math.min(...d2));
    });
    const again = clusterMoments(data, n, D, nearest, 4);
    s.c.means.forEach((m, k) => close(m, again.means[k], 1e-12, `class ${cls} centroid ${k}`));
  }
  throwsUser(() => storeCentroids(f, 30, 1), /^class 2: 24 examples for 30 centroids/);
  const twoValues = new ClassFeatures(D);
  twoValues.add([1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2], [6, 6, 6, 6, 6]);
  throwsUser(() => storeCentroids(twoValues, 4, 1), /^class 6: k-means left centroid \d without examples \(fewer distinct features than centroids\)/);
});

test('the centroid matrix stacks every stored mean in storage order', () => {
  const m = new ClassMoments(D);
  m.add(feats, labels);
  const stores = storeMoments(m, 'variance');
  const x = Float32Array.of(0, 0, 0, 1, 1, 1, 5, 5, 5);
  stores.set(4, { kind: 'multi-centroid', c: clusterMoments(x, 3, D, [1, 0, 0], 2) });
  const p = prototypeMatrix(stores, [8, 4, 2], D);
  assert.equal(p.k, 4);
  close(p.data.subarray(0, D), m.stats(8, 'variance').mean, 1e-7, 'class 8');
  assert.deepEqual(Array.from(p.data.subarray(D, 3 * D)), [3, 3, 3, 0, 0, 0]); // class 4: cluster 0 then the one-row cluster 1
  close(p.data.subarray(3 * D), m.stats(2, 'variance').mean, 1e-7, 'class 2');
});

test('ONNX Runtime runs the head step, the contrast term and the TII prompt ids as the interpreter computes them', async () => {
  const B = 5;
  const C = 6;
  const Dm = 4;
  const step = buildHeadStep({ batch: B, dim: Dm, numClasses: C, mlpRatio: 2 });
  const shapes = headShapes({ dim: Dm, numClasses: C, mlpRatio: 2 });
  const host: Record<string, HostTensor> = {
    features: { shape: [B, Dm], data: uniform(r, B * Dm) },
    labels: { shape: [B], data: Int32Array.of(0, 2, 2, 5, 0) },
    class_mask: { shape: [C], data: Uint8Array.of(1, 0, 1, 0, 0, 1) },
  };
  for (const [k, s] of shapes) host[k] = { shape: s, data: uniform(r, s.reduce((a, b) => a * b, 1), -0.5, 0.5) };
  const protos = g.input('prototypes', [3, Dm]);
  const contrast = prototypeContrast(g.input('pre_logits', [B, Dm]), protos, 0.5);
  host.prototypes = { shape: [3, Dm], data: uniform(r, 3 * Dm) };
  host.pre_logits = host.features;
  const prompt_ids = taskPromptIds(step.outputs.logits, g.input('seen', [C], 'bool'), g.constant(Int32Array.of(0, 0, 1, 1, 2, 2), [C]));
  host.seen = host.class_mask;
  const outputs = { ...step.outputs, contrast, prompt_ids };
  const names = Object.keys(outputs);
  const want = g.interpret(Object.values(outputs), Object.fromEntries(Object.entries(host).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data as ArrayLike<number>) }])));
  const session = await compile(outputs);
  const got = await session.run(host);
  names.forEach((n, i) => close(got[n].data as Float32Array, want[i].data, 1e-4, n));
  await session.dispose();
});

test("checkpoint state round-trips, and a crafted one is one line naming the stage's arrays, not a TypeError", () => {
  const f = new ClassFeatures(D);
  f.add(feats, labels);
  const stored = storeCentroids(f, 4, 1);
  const state = storesState('tii', stored, D);
  const back = storesOf('tii', state, 'multi-centroid', D);
  assert.deepEqual([...back.keys()], [...stored.keys()]);
  for (const [cls, s] of stored) assert.deepEqual(back.get(cls), s);
  const crafted = (patch: Record<string, unknown>) => () => storesOf('tii', { ...state, ...patch } as typeof state, 'multi-centroid', D);
  throwsUser(crafted({ tii_counts: [[1, 2, 3, 4]] }), /^the checkpoint's HiDe-Prompt tii statistics .* have no finite counts for each of their 2 classes$/);
  throwsUser(crafted({ tii_counts: [[1, 2, 3, 4], [1, 2, 3, 4, 5]] }), /^the checkpoint's HiDe-Prompt tii statistics .* hold \[8,3\] and \[8,3\] where 9 rows of 3 and 3 belong$/);
  throwsUser(crafted({ tii_mean: [[0]] }), /are missing or not 3 wide$/);
});
