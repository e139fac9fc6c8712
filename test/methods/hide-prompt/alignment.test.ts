// The classifier alignment's data and optimiser against the official train_task_adaptive_prediction:
// one epoch's batches for each storage, from fed noise and a fed permutation (the official draws its
// own: the comparison is of everything but the draws); the cosine schedule and SGD with momentum; and
// the two small host steps around it, task-identity inference and the end-of-task prompt momentum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignmentComponents, alignmentEpoch, drawAlignmentEpoch, cosineAnnealingLr, crctNum, seenClassMask, type ClassStore } from '../../../src/methods/hide-prompt/alignment.ts';
import { ClassMoments } from '../../../src/methods/hide-prompt/class-moments.ts';
import { clusterMoments } from '../../../src/methods/hide-prompt/kmeans.ts';
import { momentumPool, promptMomentum } from '../../../src/methods/hide-prompt/prompt-momentum.ts';
import { fromCovariance, sampleComponent, standardNormal } from '../../../src/methods/hide-prompt/sampling.ts';
import { inferTasks, taskInferenceAccuracy, taskPromptIds } from '../../../src/methods/hide-prompt/task-inference.ts';
import { permutation, Rng } from '../../../src/data/rng.ts';
import { sgdInit, sgdStep } from '../../../src/train/optim.ts';
import * as g from '../../../src/graph/index.ts';
import { rng, uniform } from '../../helpers/rng.ts';
import { throwsUser } from '../../helpers/errors.ts';
import { close, reference } from './reference.ts';

const D = 5;
const PER = 4; // samples per component (official: batch_size · 5 = 120; the TII stage: batch_size = 24)
const classMask = [[0, 3], [1, 4], [2]];
const TASK = 2;
const r = rng(3);
const features = uniform(r, 90 * D, -2, 2);
const labels = Int32Array.from({ length: 90 }, (_, i) => i % 5);

function stores(kind: 'covariance' | 'variance' | 'multi-centroid'): Map<number, ClassStore> {
  const out = new Map<number, ClassStore>();
  if (kind !== 'multi-centroid') {
    const m = new ClassMoments(D);
    m.add(features, labels);
    for (const c of m.classes()) out.set(c, { kind, g: m.stats(c, kind) });
    return out;
  }
  for (let c = 0; c < 5; c++) {
    const rows = Float32Array.from([...labels.keys()].filter((i) => labels[i] === c).flatMap((i) => Array.from(features.subarray(i * D, (i + 1) * D))));
    // Three clusters, the last a single row: its variance is 0 and the official loop skips it.
    const lab = Int32Array.from({ length: rows.length / D }, (_, i) => (i === 0 ? 2 : i % 2));
    const centroids = clusterMoments(rows, rows.length / D, D, lab, 3);
    // A nearly constant cluster: its samples' spread is the 1e-4 ridge's, which the comparison then sees.
    if (c === 0) centroids.vars[0].fill(1e-9);
    out.set(c, { kind, c: centroids });
  }
  return out;
}

function asJson(s: Map<number, ClassStore>): Record<string, unknown> {
  return Object.fromEntries([...s].map(([c, v]) => [c, v.kind === 'multi-centroid' ? { kind: v.kind, means: v.c.means, vars: v.c.vars } : { kind: v.kind, mean: v.g.mean, cov: v.g.cov }]));
}

const KINDS = ['covariance', 'variance', 'multi-centroid'] as const;
const cases = KINDS.map((kind) => {
  const s = stores(kind);
  const comps = alignmentComponents(classMask, TASK, s);
  const noise = standardNormal(new Rng(1), new Float64Array(comps.length * PER * D));
  const perm = permutation(comps.length * PER, new Rng(2));
  return { kind, s, comps, noise, perm };
});
const grads = Array.from({ length: 3 * 2 }, () => Array.from(uniform(r, 3)));
const prompt = uniform(r, 2 * 2 * 4 * 3 * 2, -1, 1); // [layers 2, 2, pool 4, length 3, heads·hd 2]
const logits = uniform(r, 6 * 5);
const taskOf = [0, 1, 2, 0, 1];
const refs = reference([
  ...cases.map((c) => ({ op: 'alignment', dim: D, per_component: PER, task_id: TASK, class_mask: classMask, stores: asJson(c.s), noise: c.noise, perm: c.perm })),
  { op: 'sgd', param: [0.5, -1, 2], lr: 0.005, epochs: 3, steps_per_epoch: 2, grads },
  { op: 'momentum', prompt, shape: [2, 2, 4, 3, 2], task: 2, m: 0.01 },
  { op: 'tii', logits, num_classes: 5, task_id: 1, class_mask: classMask, target_task_map: taskOf },
]);

cases.forEach(({ kind, comps, noise, perm }, k) => {
  test(`'${kind}': one epoch's alignment batches equal the official loop's, fed the same noise and shuffle`, () => {
    const ref = refs[k];
    assert.equal(ref.crct_num, crctNum(classMask, TASK));
    const batches = alignmentEpoch(comps, PER, noise, perm, crctNum(classMask, TASK));
    assert.equal(batches.length, ref.batches.length);
    batches.forEach((b, i) => {
      assert.deepEqual(Array.from(b.labels), ref.batches[i].labels);
      close(b.features, ref.batches[i].features, 1e-4, `batch ${i}`);
    });
  });
});

test('drawn epochs: reproducible by seed, each batch row labelled by the component its permuted row belongs to', () => {
  const { comps } = cases[2];
  const batches = crctNum(classMask, TASK);
  const a = [...drawAlignmentEpoch(comps, PER, batches, new Rng(4))];
  const b = [...drawAlignmentEpoch(comps, PER, batches, new Rng(4))];
  assert.deepEqual(a, b);
  assert.equal(a.length, batches);
  const perm = permutation(comps.length * PER, new Rng(4));
  assert.deepEqual(a.flatMap((x) => Array.from(x.labels)), Array.from(perm.subarray(0, batches * PER), (row) => comps[Math.floor(row / PER)].label));
});

test('sampling: 20000 draws of a full-covariance component have its mean and covariance', () => {
  const mean = Float64Array.of(3, -1);
  const cov = Float64Array.of(2, 0.6, 0.6, 0.5);
  const n = 20000;
  const x = sampleComponent(fromCovariance(0, mean, cov), n, standardNormal(new Rng(9), new Float64Array(2 * n)));
  const m = [0, 1].map((j) => x.filter((_, i) => i % 2 === j).reduce((a, v) => a + v, 0) / n);
  const c = (p: number, q: number) => x.reduce((acc, _, i) => (i % 2 === 0 ? acc + (x[i + p] - m[p]) * (x[i + q] - m[q]) : acc), 0) / (n - 1);
  close(m, mean, 0.03, 'mean');
  close([c(0, 0), c(0, 1), c(1, 1)], [2, 0.6, 0.5], 0.05, 'covariance');
});

test('multi-centroid: a one-row cluster (variance 0) is not sampled', () => {
  assert.equal(cases[2].comps.length, 5 * 2);
  assert.deepEqual(cases[0].comps.map((c) => c.label), [0, 3, 1, 4, 2]);
});

test("the alignment's SGD (momentum 0.9, weight decay 0) under CosineAnnealingLR equals torch's", () => {
  const p = new Map([['w', Float32Array.from([0.5, -1, 2])]]);
  const state = sgdInit(p);
  const lrs: number[] = [];
  for (let e = 0, s = 0; e < 3; e++) {
    lrs.push(cosineAnnealingLr(0.005, e, 3));
    for (let i = 0; i < 2; i++) sgdStep(p, new Map([['w', Float32Array.from(grads[s++])]]), state, lrs[e], 0.9, false);
  }
  close(lrs, refs[3].lrs, 1e-12, 'lr');
  close(p.get('w')!, refs[3].param, 1e-6, 'param');
});

test('the end-of-task prompt momentum mixes slot t toward the mean of the earlier slots', () => {
  const p = Float32Array.from(prompt);
  promptMomentum(p, [2, 2, 4, 3, 2], 2, 0.01);
  close(p, refs[4].prompt, 1e-6, 'prompt');
});

test("the forward's momentum pool: slot t mixed as at the task's end, gradient (1 − m) to P[t] and none through the mean", () => {
  const shape = [2, 2, 4, 3, 2];
  for (const task of [2, 3]) {
    const pool = g.input('pool', shape);
    const w = uniform(r, prompt.length);
    const out = momentumPool(pool, task, 0.01);
    const loss = g.sum(g.mul(out, g.constant(w, shape)), [0, 1, 2, 3, 4]);
    const [value, grad] = g.interpret([out, g.grad(loss, [pool])[0]], { pool: { shape, data: prompt } });
    const p = Float32Array.from(prompt);
    promptMomentum(p, shape, task, 0.01);
    close(value.data, p, 1e-6, `task ${task} pool`);
    const inner = 3 * 2;
    const expected = Array.from(w, (v, i) => (Math.floor(i / inner) % 4 === task ? 0.99 * v : v));
    close(grad.data, expected, 1e-6, `task ${task} gradient`);
  }
});

test("task-identity inference: the arg-max seen class's task, as the official evaluate", () => {
  const seen = seenClassMask(classMask, 1, 5);
  assert.deepEqual(Array.from(seen), [1, 1, 0, 1, 1]);
  const tasks = inferTasks(logits, 6, seen, taskOf);
  assert.deepEqual(Array.from(tasks), refs[5].prompt_id);
  const ids = taskPromptIds(g.input('logits', [6, 5]), g.input('seen', [5], 'bool'), g.constant(Int32Array.from(taskOf), [5]));
  const [inGraph] = g.interpret([ids], { logits: { shape: [6, 5], data: logits }, seen: { shape: [5], data: seen } });
  assert.deepEqual(inGraph.shape, [6, 1]);
  assert.deepEqual(Array.from(inGraph.data), refs[5].prompt_id);
  assert.equal(taskInferenceAccuracy([0, 1, 1], [0, 4, 2], taskOf), (200 / 3));
});

test('no component to sample: one line', () => {
  throwsUser(() => alignmentEpoch([], PER, new Float64Array(0), [], 1), /^classifier alignment: no class has a component to sample/);
  throwsUser(() => alignmentComponents([[0], [7]], 1, stores('variance')), 'classifier alignment: class 7 of task 1 has no stored statistics');
});
