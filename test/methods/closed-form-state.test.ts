// The closed-form methods' refusals, each its exact one-line message, and RanPAC's state: a
// checkpoint's G, Q, count, λ and losses loaded and saved again, refused when missing or of another
// size, what it keeps at a size where the MiB are visible, and a λ at the grid's edge said on stderr.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { applyOverrides } from '../../src/config/index.ts';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { aper } from '../../src/methods/aper/index.ts';
import { methodOf } from '../../src/methods/index.ts';
import type { MethodModel, MethodState } from '../../src/methods/method.ts';
import { ranpac } from '../../src/methods/ranpac/index.ts';
import { simplecil } from '../../src/methods/simplecil/index.ts';
import { mulberry32 } from '../../src/random.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { evalClassMask } from '../../src/train/eval-classes.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

after(disposeAll);

const vit = decodeVariant('ViT-mu_8'); // D 48, the smoke presets' backbone
const loaded = { config: vit, numPatches: 16, params: randomViT(vit, 16, 1) };
const ranpacWith = (sets: string[], classes = 4) => ranpac.create(applyOverrides(getPreset('cifar100_ranpac_smoke'), sets), loaded, classes);
const exactly = (message: string) => (e: unknown) => {
  assert.ok(e instanceof UserError, String(e));
  assert.equal(e.message, message);
  return true;
};
const step = (m: MethodModel, taskId: number) => m.train({ params: m.params, taskId, batch: 2, imageSize: [32, 32], isTrained: () => true, weightDecay: 0 });

test('a closed-form method asked for a training step says why there is none, naming itself', () => {
  const simple = simplecil.create(getPreset('cifar100_simplecil_smoke'), loaded, 4);
  assert.throws(() => step(simple, 0), exactly("method 'simplecil' has no training step: each task is fitted in closed form from its features"));
  assert.throws(() => step(ranpacWith([]), 0), exactly("method 'ranpac' has no training step: each task is fitted in closed form from its features"));
  const ap = aper.create(getPreset('cifar100_aper_smoke'), loaded, 4);
  // Task 0 tunes; the step feeds nothing of its own, but a record: the data-parallel runner enumerates it (train/parallel.ts).
  assert.deepEqual(step(ap, 0).feeds(2), {});
  assert.throws(() => step(ap, 1), exactly("method 'aper' trains by gradient in task 0 only; task 1 is fitted in closed form from its features"));
  assert.throws(() => step(ranpacWith(['petl=vpt', 'vpt_type=deep', 'prompt_token_num=2']), 3), exactly("method 'ranpac' trains by gradient in task 0 only; task 3 is fitted in closed form from its features"));
});

test("RanPAC's settings it has no graph for: each refusal is its one line", () => {
  assert.throws(() => ranpacWith(['use_RP=false']), exactly("config key 'use_RP' = false: method 'ranpac' is the use_RP head; the official use_RP false head is SimpleCIL's prototypes (method 'simplecil')"));
  const { use_RP: _, ...unset } = getPreset('cifar100_ranpac_smoke');
  assert.throws(() => ranpac.create(unset as L2PConfig, loaded, 4), exactly("config key 'use_RP' = undefined: method 'ranpac' is the use_RP head; the official use_RP false head is SimpleCIL's prototypes (method 'simplecil')"));
  assert.throws(() => ranpacWith(['petl=adapter']), exactly("config key 'petl' = 'adapter': RanPAC's first session with an AdaptFormer adapter (the 'adapter' rows 5–7 of cifar224, cub, core50, domainnet, cddb) is not implemented; 'vpt' (the rows of cars, omnibenchmark) and 'ncm' are"));
  assert.throws(() => ranpacWith(['petl=ssf']), exactly("config key 'petl' = 'ssf': RanPAC's first session with SSF scale-and-shift (the 'ssf' rows 5–7 of imagenetr, imageneta, vtab) is not implemented; 'vpt' (the rows of cars, omnibenchmark) and 'ncm' are"));
  const required = "config keys 'vpt_type' and 'prompt_token_num' are required by method 'ranpac' with petl 'vpt' (official: deep, 5)";
  assert.throws(() => ranpacWith(['petl=vpt']), exactly(required));
  assert.throws(() => ranpacWith(['petl=vpt', 'vpt_type=deep']), exactly(required));
  assert.throws(() => ranpacWith(['petl=vpt', 'prompt_token_num=5']), exactly(required));
  // Without petl (its default 'ncm') or with it named, a VPT key is refused, the first one set named.
  for (const petl of [[], ['petl=ncm']]) {
    assert.throws(() => ranpacWith([...petl, 'prompt_token_num=5']), exactly("config key 'prompt_token_num' is read by method 'ranpac' only with petl 'vpt' (its first session); petl is 'ncm'"));
    assert.throws(() => ranpacWith([...petl, 'prompt_token_num=5', 'vpt_type=shallow']), exactly("config key 'vpt_type' is read by method 'ranpac' only with petl 'vpt' (its first session); petl is 'ncm'"));
  }
  const plain = ranpacWith(['petl=ncm']);
  assert.deepEqual([plain.phases!(0), plain.trains, plain.usesQuery], [['statistics'], [], true]);
  const vpt = ranpacWith(['petl=vpt', 'vpt_type=shallow', 'prompt_token_num=3']);
  assert.deepEqual([vpt.phases!(0), vpt.phases!(1), vpt.usesQuery], [['gradient', 'statistics'], ['statistics'], false]);
  assert.deepEqual(vpt.params.get('vpt/prompts')!.shape, [1, 3, 48]);
});

test('the keys the closed-form methods read and hold: refused elsewhere with the reader named, the held value kept', () => {
  const refused = (name: string, set: string, message: string) => assert.throws(() => applyOverrides(getPreset(name), [set]), exactly(message), `${name} ${set}`);
  // APER's and RanPAC's first session clips nothing: the norm is over the trained tensors, 'trained' held.
  const held = (m: string) => `config key 'grad_clip_scope' = "all" is not read by method '${m}' (method=l2p, dualprompt, shared_prompt, head_only, joint read it): leave it at "trained"`;
  refused('cifar100_aper_smoke', 'grad_clip_scope=all', held('aper'));
  refused('cifar100_ranpac_smoke', 'grad_clip_scope=all', held('ranpac'));
  refused('cifar100_ranpac_vpt_smoke', 'grad_clip_scope=all', held('ranpac'));
  refused('cifar100_aper_smoke', 'M=8', "config key 'M' = 8 is not read by method 'aper' (method=ranpac reads it): leave it unset");
  refused('cifar100_l2p_smoke', 'use_RP=true', "config key 'use_RP' = true is not read by method 'l2p' (method=ranpac reads it): leave it unset");
  refused('cifar100_simplecil_smoke', 'M=8', "config key 'M' = 8 is not read by method 'simplecil' (method=ranpac reads it): leave it unset");
  assert.equal(applyOverrides(getPreset('cifar100_ranpac_smoke'), ['petl=ncm', 'M=4']).M, 4);
});

/** A state for M 3 and 2 classes, as a checkpoint holds it. */
const STATE = (): MethodState => ({
  ridge_G: { shape: [3, 3], data: Float64Array.of(4, 1, 2, 0, 5, 3, 0, 0, 6) },
  ridge_Q: { shape: [3, 2], data: Float64Array.of(1, 2, 3, 4, 5, 6) },
  ridge_count: [[7]],
  ridge_lambda: [[1e-8, 100]],
  ridge_losses: [[0.5, 0.25], [0.125, 0.0625]],
});

test('RanPAC state: loaded and saved again unchanged, kept as loaded; no state is no change', () => {
  const m = ranpacWith(['M=3'], 2);
  const fresh = m.saveState!();
  m.loadState!(undefined);
  assert.deepEqual(m.saveState!(), fresh);
  assert.deepEqual([fresh.ridge_count, fresh.ridge_lambda, fresh.ridge_losses], [[[0]], [[]], []]);
  m.loadState!(STATE());
  assert.deepEqual(m.saveState!(), STATE());
  const kept = m.kept!([], m.params);
  assert.deepEqual(kept.values, { M: 3, G_shape: [3, 3], Q_shape: [3, 2], examples: 7, ridge_lambda: [1e-8, 100], ridge_losses: [[0.5, 0.25], [0.125, 0.0625]] });
  assert.equal(kept.text, 'RanPAC keeps G 3×3 and Q 3×2 (float64, 0.0 MiB) over 7 examples; ridge λ per task: 1e-8, 1e+2');
  // A state saved, and what is kept, are snapshots: loading another afterwards leaves them as they were.
  const saved = m.saveState!();
  m.loadState!({ ...STATE(), ridge_lambda: [[3]], ridge_losses: [[1]] });
  assert.deepEqual(saved.ridge_lambda, [[1e-8, 100]]);
  assert.deepEqual(saved.ridge_losses, [[0.5, 0.25], [0.125, 0.0625]]);
  assert.deepEqual([kept.values.ridge_lambda, kept.values.ridge_losses], [[1e-8, 100], [[0.5, 0.25], [0.125, 0.0625]]]);
  assert.deepEqual(m.kept!([], m.params).values.ridge_lambda, [3]);
  // A state without λ or losses (none chosen yet) loads as none.
  const { ridge_lambda: _l, ridge_losses: _s, ...bare } = STATE();
  m.loadState!(bare);
  assert.deepEqual([m.saveState!().ridge_lambda, m.saveState!().ridge_losses], [[[]], []]);
});

test("RanPAC state: a checkpoint without G or Q, or of another M or class count, is refused in one line", () => {
  const m = ranpacWith(['M=3'], 2);
  const { ridge_G: _g, ...noG } = STATE();
  const { ridge_Q: _q, ...noQ } = STATE();
  const missing = "the checkpoint's RanPAC state has no G or Q ('method/ridge_G', 'method/ridge_Q')";
  assert.throws(() => m.loadState!(noG), exactly(missing));
  assert.throws(() => m.loadState!(noQ), exactly(missing));
  assert.throws(() => m.loadState!({ ...STATE(), ridge_Q: [[1, 2]] }), exactly(missing));
  assert.throws(() => m.loadState!({ ...STATE(), ridge_G: { shape: [2, 2], data: new Float64Array(4) } }), exactly("the checkpoint's RanPAC G [2,2] / Q [3,2] do not match M = 3 and 2 classes"));
  assert.throws(() => m.loadState!({ ...STATE(), ridge_Q: { shape: [3, 3], data: new Float64Array(9) } }), exactly("the checkpoint's RanPAC G [3,3] / Q [3,3] do not match M = 3 and 2 classes"));
  assert.deepEqual(m.saveState!().ridge_count, [[0]], 'nothing refused was loaded');
});

test('what RanPAC keeps at the official size: 8 bytes × M × (M + C) in MiB', () => {
  // M 10,000 and 100 classes (cifar100_ranpac): 8 · 10^4 · 10,100 B = 770.6 MiB. A smaller M keeps the test light: 512, 100 → 2.4 MiB.
  const m = ranpacWith(['M=512'], 100);
  assert.equal(m.kept!([], m.params).text, 'RanPAC keeps G 512×512 and Q 512×100 (float64, 2.4 MiB) over 0 examples; ridge λ per task: ');
  assert.deepEqual(m.params.get('rp/w_rand')!.shape, [48, 512]);
  assert.deepEqual(m.params.get('head/kernel')!.shape, [100, 512]);
});

/** RanPAC's statistics pass of task t over rows h and labels, fitted; what it wrote to stderr (console.warn). */
async function fitWarned(m: MethodModel, t: number, h: Float32Array, labels: Int32Array): Promise<string[]> {
  const warned: string[] = [];
  const warn = console.warn;
  console.warn = (s: string) => warned.push(s);
  try {
    const pass = m.statistics!(t);
    pass.add(h, labels);
    await pass.finish(m.params, { run: () => Promise.reject(new Error('no graph')) });
  } finally {
    console.warn = warn;
  }
  return warned;
}

test("a λ at the grid's edge is a notice on stderr naming the task, and the head is fitted", async () => {
  const m = ranpacWith(['M=0'], 2); // the head reads the 48 features themselves
  // Separable rows: class y is e_y. The least regularisation scores best.
  const n = 10;
  const h = new Float32Array(n * 48);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  labels.forEach((y, i) => (h[i * 48 + y] = 1));
  const warned = await fitWarned(m, 4, h, labels);
  assert.equal(warned.length, 1);
  assert.match(warned[0], /^notice: task 4: .*ridge λ = 1e-8 is the grid's lower edge/);
  const values = m.kept!([], m.params).values as { ridge_lambda: number[]; ridge_losses: number[][] };
  assert.deepEqual([values.ridge_lambda.length, values.ridge_lambda[4], values.ridge_losses[4].length], [5, 1e-8, 17], 'kept as task 4');
  const wo = m.params.get('head/kernel')!.data; // [2, 48]
  assert.ok(Math.abs(wo[0] - 1) < 1e-6 && Math.abs(wo[48 + 1] - 1) < 1e-6, `${wo[0]}, ${wo[49]}`);
});

test('a λ inside the grid with both classes on both sides of the split says nothing on stderr', async () => {
  const m = ranpacWith(['M=0'], 2);
  // 100 noisy rows (80 fitted, more than the 48 features): class y near e_y, noise enough that neither edge of the grid scores best.
  const next = mulberry32(3);
  const labels = Int32Array.from({ length: 100 }, (_, i) => i % 2);
  const h = Float32Array.from({ length: 100 * 48 }, (_, k) => (k % 48 === labels[Math.floor(k / 48)] ? 1 : 0) + 0.8 * (next() - 0.5));
  const warned = await fitWarned(m, 0, h, labels);
  const values = m.kept!([], m.params).values as { ridge_lambda: number[] };
  assert.deepEqual(warned, [], `λ ${values.ridge_lambda[0]}`);
  assert.equal(values.ridge_lambda.length, 1);
});

test("the closed-form methods through the learner's interface: seen classes ranked, no prompt selection, tasks in turn, any batch size", async () => {
  const widths = { cifar100_simplecil_smoke: 48, cifar100_aper_smoke: 96, cifar100_ranpac_smoke: 16 } as const;
  const image = (n: number) => Float32Array.from({ length: n * 32 * 32 * 3 }, (_, i) => Math.cos(i * 0.13) * 0.5 + 0.5);
  for (const [name, width] of Object.entries(widths)) {
    const c = getPreset(name);
    const method = methodOf(c);
    const learner = createLearner(c, loaded, 4);
    // summary.json: test-time selection 'none' and no selection accuracy (null, not absent).
    assert.equal(learner.evalSelection(), 'none', name);
    assert.equal(learner.model.selectionAccuracy([[1, 2]]), null, name);
    // Evaluation may feed the frozen query it cached instead of a second backbone pass.
    assert.equal(learner.usesQuery, true, name);
    // Each task trained in turn and evaluated after it, on the classes seen so far.
    const tasks = [{ classMask: [0, 1], train: 'a', test: 'a' }, { classMask: [2, 3], train: 'b', test: 'b' }];
    assert.deepEqual(method.trainTasks(tasks, () => 'joint'), tasks, name);
    assert.equal(method.sequential, true, name);
    assert.deepEqual(evalClassMask(c, tasks[0], tasks), [0, 1, 2, 3], name);
    // Graphs per batch size: features of 2, then logits of 3.
    assert.equal((await learner.features(image(2), Int32Array.of(0, 1))).length, 2 * width, name);
    assert.equal((await learner.evalBatch(image(3), Int32Array.of(0, 1, 2), null)).logits.length, 3 * 4, name);
  }
  assert.match(simplecil.summary, /^SimpleCIL: .*prototypes/);
  assert.match(aper.summary, /^APER: VPT tuned on task 0, prototypes of \[frozen, adapted\] features/);
  assert.match(ranpac.summary, /^RanPAC: ridge head on random-projected/);
  // What the prototype heads keep, before any class is seen: the width is APER's 2D.
  const simple = simplecil.create(getPreset('cifar100_simplecil_smoke'), loaded, 4);
  assert.match(simple.kept!([], simple.params).text, /^SimpleCIL keeps 0 class prototypes of width 48 /);
  const ap = aper.create(getPreset('cifar100_aper_smoke'), loaded, 4);
  assert.match(ap.kept!([], ap.params).text, /^APER keeps 0 class prototypes of width 96 /);
  // APER tunes in task 0 only; every task's pass averages the 2D-wide [frozen, adapted] features.
  assert.deepEqual([ap.phases!(0), ap.phases!(1), ap.phases!(2)], [['gradient', 'statistics'], ['statistics'], ['statistics']]);
  const pass = ap.statistics!(1);
  pass.add(Float32Array.from({ length: 2 * 96 }, (_, i) => (i < 96 ? i : 1)), Int32Array.of(3, 3)); // rows (0, 1, …, 95) and ones
  await pass.finish(ap.params, { run: () => Promise.reject(new Error('no graph')) });
  const kernel = ap.params.get('head/kernel')!; // [2D, C]
  assert.deepEqual(Array.from({ length: 96 }, (_, k) => kernel.data[k * 4 + 3]), Array.from({ length: 96 }, (_, k) => (k + 1) / 2));
});

test('the fitted head is fed to the evaluation graph, not built into it: a fit after the first evaluation changes the logits', async () => {
  const image = (n: number, s: number) => Float32Array.from({ length: n * 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37 + s) * 0.5 + 0.5);
  for (const name of ['cifar100_simplecil_smoke', 'cifar100_aper_smoke', 'cifar100_ranpac_smoke', 'cifar100_ranpac_m0_smoke']) {
    const learner = createLearner(getPreset(name), loaded, 4);
    // M = 0: no projection; the ridge head reads the 48 pre_logits.
    if (name.includes('ranpac')) assert.deepEqual([learner.params.has('rp/w_rand'), learner.params.get('head/kernel')!.shape], name.includes('m0') ? [false, [4, 48]] : [true, [4, 16]], name);
    if (name !== 'cifar100_aper_smoke') assert.deepEqual(learner.model.phases!(0), ['statistics'], name);
    const before = await learner.evalBatch(image(3, 9), Int32Array.of(0, 1, 2), null);
    assert.ok(before.logits.every((v) => v === 0), `${name}: no class fitted yet`);
    const labels = Int32Array.from({ length: 10 }, (_, i) => i % 2);
    const pass = learner.model.statistics!(0);
    pass.add(await learner.features(image(10, 1), labels), labels);
    const warn = console.warn;
    console.warn = () => {}; // RanPAC's notices on 10 rows
    try {
      await pass.finish(learner.params, learner.graphs);
    } finally {
      console.warn = warn;
    }
    const after = (await learner.evalBatch(image(3, 9), Int32Array.of(0, 1, 2), null)).logits; // [3, 4]
    for (let i = 0; i < 3; i++) {
      assert.ok(after[i * 4] !== 0 && after[i * 4 + 1] !== 0, `${name}: classes 0 and 1 fitted (${after.subarray(i * 4, i * 4 + 4)})`);
      assert.deepEqual([after[i * 4 + 2], after[i * 4 + 3]], [0, 0], `${name}: classes 2 and 3 not seen`);
    }
  }
});
