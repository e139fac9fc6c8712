// The closed-form methods' pure pieces, called directly: SimpleCIL's prototype sums and what a
// prototype head keeps, RanPAC's loader order and its pass's copies, the first session's initial
// tensors (against mulberry32 written again in Python), and a first-session step that keeps the head
// to the task's classes. Values are worked out by hand or by the Python below.
import assert from 'node:assert/strict';
import { runPython } from '../helpers/python-cache.ts';
import { after, test } from 'node:test';
import { applyOverrides } from '../../src/config/index.ts';
import { getPreset } from '../../src/config/presets.ts';
import { hostProducts, RidgeStats } from '../../src/linalg/index.ts';
import { loaderOrder, ridgePass } from '../../src/methods/ranpac/ridge-pass.ts';
import { prototypePass, prototypesKept } from '../../src/methods/simplecil/prototypes.ts';
import { initVptSessionParams } from '../../src/methods/vpt-session.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/experiment.ts';
import type { Params } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

after(disposeAll);

/** mulberry32 (the generator src/random.ts names) and the draws the tests compare, in plain Python integers. */
const PY_MULBERRY = `
import json, sys
import numpy as np
MASK = 0xFFFFFFFF
def imul(a, b):
    return (a * b) & MASK
def mulberry32(seed):
    a = seed & MASK
    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & MASK
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & MASK
        return ((t ^ (t >> 14)) & MASK) / 4294967296
    return nxt
d = json.load(sys.stdin)
out = {'orders': [], 'tune': []}
for n, seed, t in d['orders']:
    nxt = mulberry32(seed * 0x9E3779B1 + t)
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(nxt() * (i + 1))
        p[i], p[j] = p[j], p[i]
    out['orders'].append(p)
for D, C, seed in d['tune']:
    nxt = mulberry32(seed)
    bound = 1 / np.sqrt(D)
    # CosineLinear.reset_parameters: uniform(-1/sqrt(in_features), 1/sqrt(in_features)), here [D, C] row-major.
    out['tune'].append(np.array([(2 * nxt() - 1) * bound for _ in range(D * C)], dtype=np.float32).tolist())
json.dump(out, sys.stdout)
`;

function python(input: object): { orders: number[][]; tune: number[][] } {
  const r = runPython(['-c', PY_MULBERRY], JSON.stringify(input));
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const kernelOf = (d: number, c: number, fill = 0): Params => new Map([['head/kernel', { shape: [d, c], data: new Float32Array(d * c).fill(fill) }]]);

test("prototypes: each task's class means over its batches, written as columns; a class not in the task keeps its column", async () => {
  const pass = prototypePass(1, 2, 3);
  pass.add(Float32Array.of(1, 2, 3, 4), Int32Array.of(0, 0)); // class 0: (1, 2), (3, 4)
  pass.add(Float32Array.of(5, -6, 7, 8), Int32Array.of(1, 0)); // class 1: (5, -6); class 0: (7, 8)
  const params = kernelOf(2, 3, 9); // an earlier prototype 9 in every column
  await pass.finish(params, { run: () => Promise.reject(new Error('no graph')) });
  // [D, C] row-major: row k holds feature k of each class. Class 0: (11/3, 14/3); class 2 not seen here.
  assert.deepEqual(Array.from(params.get('head/kernel')!.data), [11 / 3, 5, 9, 14 / 3, -6, 9].map(Math.fround));
});

test('a prototype head keeps the classes with a non-zero column, each once, and says its size', () => {
  const d = 512;
  const params = kernelOf(d, 3);
  const k = params.get('head/kernel')!.data;
  k[5 * 3 + 0] = 0.5; // class 0: non-zero at feature 5 only
  k[0 * 3 + 2] = -1; // class 2: at features 0 and 1
  k[1 * 3 + 2] = 2;
  const kept = prototypesKept(params, 'APER');
  assert.deepEqual(kept.values, { prototypes: 2, width: 512, classes: [0, 2] });
  // 2 prototypes × 512 float32 = 4096 bytes.
  assert.equal(kept.text, 'APER keeps 2 class prototypes of width 512 (float32, 4.0 KiB), the class means of the features its cosine head ranks');
});

test("RanPAC's loader order: the Fisher–Yates permutation of mulberry32 on (seed · 0x9e3779b1 + task), as Python draws it", () => {
  const cases: [number, number, number][] = [[10, 1993, 0], [10, 1993, 3], [25, 7, 1], [2, 0, 5], [1, 4, 0]];
  const want = python({ orders: cases, tune: [] }).orders;
  cases.forEach(([n, seed, t], i) => assert.deepEqual(Array.from(loaderOrder(n, seed, t)), want[i], `n ${n}, seed ${seed}, task ${t}`));
  assert.notDeepEqual(want[0], want[1], 'the task changes the order');
});

/** A RanPAC pass over rows h [20, 3] (labels in 0…1) for task t, fitted into a head [2, 3]; the notices it gave. */
async function ridgeFit(h: Float32Array, labels: Int32Array, t: number, batches: number[] = [20], mutateAfterAdd = false) {
  const notices: (string | null)[] = [];
  const pass = ridgePass(t, { stats: new RidgeStats(3, 2, hostProducts), products: hostProducts, seed: 5, fitted: (_t, f) => notices.push(f.notice) });
  let at = 0;
  for (const n of batches) {
    pass.add(h.subarray(3 * at, 3 * (at + n)), labels.subarray(at, at + n));
    at += n;
  }
  if (mutateAfterAdd) {
    h.fill(1);
    labels.fill(0);
  }
  const params = new Map([['head/kernel', { shape: [2, 3], data: new Float32Array(6) }]]);
  await pass.finish(params, { run: () => Promise.reject(new Error('no graph')) });
  return { wo: Array.from(params.get('head/kernel')!.data), notices };
}

/** 20 noisy rows of two classes, both on each side of the 80 % split in any order: λ inside the grid. */
const noisy = () => {
  const labels = Int32Array.from({ length: 20 }, (_, i) => i % 2);
  const h = Float32Array.from({ length: 60 }, (_, k) => {
    const [r, j] = [Math.floor(k / 3), k % 3];
    return (j === labels[r] ? 1 : 0) + 0.4 * Math.sin(7.1 * k + 1.3) + (j === 2 ? 0.5 : 0);
  });
  return { h, labels };
};

test('a RanPAC pass keeps copies of its batches in order: three batches whose buffers the caller reuses fit as one batch', async () => {
  const a = noisy();
  const want = await ridgeFit(a.h.slice(), a.labels.slice(), 2);
  const got = await ridgeFit(a.h, a.labels, 2, [12, 5, 3], true);
  assert.deepEqual(got.wo, want.wo);
  // Both classes' labels reached the fit: each has a non-zero row of Wo [2, 3].
  for (const row of [want.wo.slice(0, 3), want.wo.slice(3)]) assert.ok(row.some((v) => v !== 0), `${row}`);
});

test('a task whose λ falls inside the grid with both classes on both sides gives no notice', async () => {
  const { h, labels } = noisy();
  // Both classes on both sides of the split in the order the loader gives task 2 (seed 5).
  const order = Array.from(loaderOrder(20, 5, 2));
  const fitSide = new Set(order.slice(0, 16).map((i) => labels[i]));
  const valSide = new Set(order.slice(16).map((i) => labels[i]));
  assert.deepEqual([fitSide.size, valSide.size], [2, 2]);
  const { notices } = await ridgeFit(h, labels, 2);
  assert.deepEqual(notices, [null]);
});

test("the first session's tensors: zero prompts [L, P, D], the tuning head uniform ±1/√D from mulberry32(seed), sigma 1", () => {
  const vit = decodeVariant('ViT-mu_8'); // D 48, depth 2
  const deep = initVptSessionParams({ vit, numClasses: 5, vptType: 'deep', tokens: 3 }, 11);
  const shallow = initVptSessionParams({ vit, numClasses: 5, vptType: 'shallow', tokens: 4 }, 11);
  const want = python({ orders: [], tune: [[48, 5, 11]] }).tune[0];
  for (const [p, layers, tokens] of [[deep, 2, 3], [shallow, 1, 4]] as const) {
    assert.deepEqual([...p.keys()], ['vpt/prompts', 'tune_head/kernel', 'tune_head/sigma']);
    const prompts = p.get('vpt/prompts')!;
    assert.deepEqual(prompts.shape, [layers, tokens, 48]);
    assert.equal(prompts.data.length, layers * tokens * 48);
    assert.ok(prompts.data.every((v) => v === 0));
    const tune = p.get('tune_head/kernel')!;
    assert.deepEqual(tune.shape, [48, 5]);
    assert.deepEqual(Array.from(tune.data), want);
    assert.deepEqual([p.get('tune_head/sigma')!.shape, Array.from(p.get('tune_head/sigma')!.data)], [[1], [1]]);
  }
});

test('a first-session step moves the prompts, sigma and the task classes\' tuning columns only, at either batch size', async () => {
  const c = applyOverrides(getPreset('cifar100_aper_smoke'), ['weight_decay=0']);
  const vit = decodeVariant(c.model_name);
  const size = c.input_size;
  const grid = (size / vit.patch) ** 2;
  const learner = createLearner(c, { config: vit, numPatches: grid, params: randomViT(vit, grid, 3) }, 4);
  const D = vit.hidden;
  const tune = learner.params.get('tune_head/kernel')!; // [D, 4]
  const column = (k: number) => Array.from({ length: D }, (_, j) => tune.data[j * 4 + k]);
  const before = [0, 1, 2, 3].map(column);
  const embed = learner.params.get('embedding/kernel')!.data.slice();
  const image = (n: number) => Float32Array.from({ length: n * size * size * 3 }, (_, i) => Math.sin(i * 0.29) * 0.5 + 0.5);
  for (const n of [4, 2]) {
    const r = await learner.trainStep(image(n), Int32Array.from({ length: n }, (_, i) => i % 2), 0, [0, 1], 0.05);
    assert.ok(Number.isFinite(r.loss), `batch ${n}`);
  }
  // The class mask (update_fc(init_cls)): classes 2 and 3 have no logit in task 0, so no gradient.
  assert.deepEqual([column(2), column(3)], [before[2], before[3]]);
  for (const k of [0, 1]) assert.notDeepEqual(column(k), before[k], `class ${k} trains`);
  assert.notEqual(learner.params.get('tune_head/sigma')!.data[0], 1);
  assert.ok(learner.params.get('vpt/prompts')!.data.some((v) => v !== 0));
  assert.deepEqual(learner.params.get('embedding/kernel')!.data, embed, 'the backbone stays frozen');
});
