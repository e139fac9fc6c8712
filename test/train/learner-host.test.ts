// The learner's host side on the smoke backbone: evaluation's masked predictions and losses against a
// float64 reference written here, phases (their paths, learning-rate factors, fresh optimiser and refusals),
// and the backbone copies a data-parallel worker builds from.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { GradientPhase } from '../../src/methods/index.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import type { StepTrace } from '../../src/train/learner.ts';
import { smokeConfig as c, smokeImages as images, smokeLearner as learnerFor, smokeViT as cfg } from '../helpers/smoke-learner.ts';

after(disposeAll);

/** Masked argmax (first of ties) and cross-entropy in float64, from the definitions. */
function reference(logits: Float32Array, labels: Int32Array, classes: number, allowed: readonly number[]) {
  const predictions: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    const best = allowed.reduce((a, k) => (row[k] > row[a] ? k : a), allowed[0]);
    const lse = Math.log(allowed.reduce((s, k) => s + Math.exp(row[k]), 0));
    predictions.push(best);
    losses.push(allowed.includes(labels[i]) ? lse - row[labels[i]] : Infinity);
  }
  return { predictions, losses };
}

test('evalBatch: every class ranked without a task mask; predictions, losses, their sum and the count of correct ones', async () => {
  const learner = learnerFor();
  const labels = Int32Array.of(0, 1, 2, 3, 1, 2, 3, 3);
  const r = await learner.evalBatch(images(8), labels, null);
  assert.equal(r.logits.length, 8 * 4);
  const want = reference(r.logits, labels, 4, [0, 1, 2, 3]);
  assert.deepEqual(Array.from(r.predictions), want.predictions);
  r.losses.forEach((l, i) => assert.ok(Math.abs(l - want.losses[i]) < 1e-5, `${l} vs ${want.losses[i]}`));
  assert.ok(Math.abs(r.lossSum - want.losses.reduce((a, b) => a + b, 0)) < 1e-4);
  assert.equal(r.correct, want.predictions.filter((p, i) => p === labels[i]).length);
  assert.equal(r.count, 8);
  assert.equal(r.promptIds.length, 8 * c.prompt_pool_param.top_k);
  assert.ok(r.promptIds.every((id) => id >= 0 && id < c.prompt_pool_param.pool_size));
});

test("evalBatch with a task mask ranks the task's classes only; a label outside it has an infinite loss", async () => {
  const learner = learnerFor();
  const labels = Int32Array.of(2, 3, 3, 0);
  const r = await learner.evalBatch(images(4), labels, [2, 3]);
  const want = reference(r.logits, labels, 4, [2, 3]);
  assert.deepEqual(Array.from(r.predictions), want.predictions);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(r.losses[i] - want.losses[i]) < 1e-5);
  assert.equal(r.losses[3], Infinity);
  assert.equal(r.correct, want.predictions.filter((p, i) => p === labels[i]).length);
});

const phase = (trains: string[], lrScale?: { pattern: string; scale: number }[]): GradientPhase => ({ kind: 'gradient', name: 'p1', trains, epochs: 1, lrAt: () => 0.1, ...(lrScale ? { lrScale } : {}) });

test("a phase steps its own paths only, at its lrScale (first match, else 1), with a fresh optimiser when it starts", async () => {
  const learner = learnerFor();
  const before = new Map([...learner.params].map(([k, v]) => [k, v.data.slice()] as const));
  await learner.trainStep(images(4), Int32Array.of(0, 1, 1, 1), 0, [0, 1], 0.01);
  assert.equal(learner.opt.kind, 'adam');
  assert.equal(learner.opt.state.step, 1);
  const planned: (string | undefined)[] = [];
  const train = learner.model.train.bind(learner.model);
  learner.model.train = (spec) => (planned.push(spec.phase), train(spec));
  learner.beginPhase(phase(['head/kernel', 'head/bias'], [{ pattern: 'head/bias', scale: 0 }, { pattern: 'head/*', scale: 3 }]), true);
  assert.equal(learner.opt.state.step, 0, 'a fresh optimiser');
  const mid = new Map([...learner.params].map(([k, v]) => [k, v.data.slice()] as const));
  assert.notDeepEqual(mid.get('prompt_pool/prompt'), before.get('prompt_pool/prompt'));
  await learner.trainStep(images(4), Int32Array.of(0, 1, 1, 1), 0, [0, 1], 0.01);
  assert.deepEqual(learner.params.get('prompt_pool/prompt')!.data, mid.get('prompt_pool/prompt'), 'outside the phase');
  assert.deepEqual(learner.params.get('prompt_pool/key')!.data, mid.get('prompt_pool/key'));
  assert.deepEqual(learner.params.get('head/bias')!.data, mid.get('head/bias'), 'scale 0');
  // Adam's first step moves each weight with a nonzero gradient by lr·scale·sign(g): 0.03.
  const moved = Array.from(learner.params.get('head/kernel')!.data, (v, i) => Math.abs(v - mid.get('head/kernel')![i]));
  assert.ok(moved.some((d) => Math.abs(d - 0.03) < 1e-5) && moved.every((d) => d < 0.03 + 1e-5), String(moved.slice(0, 8)));
  assert.deepEqual([...new Set(planned)], ['p1'], "the method's graph is told the phase");
  learner.beginPhase(phase(['head/*']), false);
  assert.equal(learner.opt.state.step, 1, 'resuming keeps the state');
  learner.beginPhase(null, false);
  await learner.trainStep(images(4), Int32Array.of(0, 1, 1, 1), 0, [0, 1], 0.01);
  assert.notDeepEqual(learner.params.get('prompt_pool/prompt')!.data, mid.get('prompt_pool/prompt'), 'null: every trained path again');
  assert.equal(planned.at(-1), undefined, 'and no phase named');
});

test('phases are refused data-parallel and when they train nothing, in one line each', () => {
  const learner = learnerFor();
  assert.throws(() => learner.beginPhase(phase(['nothing/*', 'cls']), true), { message: "phase 'p1' trains none of the method's parameters (nothing/*, cls)" });
  learner.devices = { run: async () => [] };
  assert.throws(() => learner.beginPhase(phase(['head/*']), true), { message: "method 'l2p' trains in phases, which run in this process only (not data-parallel)" });
  learner.beginPhase(null, true);
});

test('sgd: the optimiser the config names', () => {
  assert.equal(learnerFor({ ...c, optim: 'sgd' }).opt.kind, 'sgd');
  assert.equal(learnerFor({ ...c, optim: 'adamw' }).opt.kind, 'adam');
});

test('the pretrained backbone: the frozen tensors themselves; copies taken before training where the backbone trains', async () => {
  const frozen = learnerFor();
  const pre = frozen.pretrainedBackbone();
  assert.ok(!pre.has('head/kernel') && !pre.has('prompt_pool/prompt'));
  assert.equal(pre.get('cls')!.data, frozen.params.get('cls')!.data);
  const full = learnerFor({ ...c, freeze_part: [] });
  const cls = full.params.get('cls')!.data.slice();
  await full.trainStep(images(4), Int32Array.of(0, 1, 1, 1), 0, [0, 1], 0.01);
  assert.notDeepEqual(full.params.get('cls')!.data, cls, 'the backbone trained');
  assert.deepEqual(full.pretrainedBackbone().get('cls')!.data, cls);
  assert.ok(!full.pretrainedBackbone().has('head/kernel'));
});

test("a step's result from its micro-batches: mean loss, correct count, prompt ids in order; the trace holds the frozen means only where the norm took them as tensors", async () => {
  const run = async (n: number) => {
    const learner = learnerFor({ ...c, grad_clip_scope: 'all' });
    const traces: StepTrace[] = [];
    learner.onStep = (t) => traces.push(t);
    const labels = Int32Array.from({ length: n }, (_, i) => [0, 1, 1, 0, 1, 1, 1, 0][i]);
    const r = await learner.trainStep(images(n), labels, 0, [0, 1], 0.01);
    assert.equal(traces.length, 1);
    return { r, t: traces[0], labels };
  };
  const { r, t, labels } = await run(8); // 2 micro-batches of 4
  assert.equal(t.outputs.length, 2);
  const losses = t.outputs.map((o) => (o.loss.data as Float32Array)[0]);
  assert.ok(Math.abs(r.loss - (losses[0] + losses[1]) / 2) < 1e-7, `${r.loss} vs ${losses}`);
  const logits = new Float32Array([...(t.outputs[0].logits.data as Float32Array), ...(t.outputs[1].logits.data as Float32Array)]);
  const want = reference(logits, labels, 4, [0, 1]);
  assert.equal(r.correct, want.predictions.filter((p, i) => p === labels[i]).length);
  assert.ok(r.correct > 0 && r.correct < 8, String(want.predictions));
  assert.equal(r.count, 8);
  assert.deepEqual(Array.from(r.promptIds), [...(t.outputs[0].prompt_idx.data as Int32Array), ...(t.outputs[1].prompt_idx.data as Int32Array)]);
  assert.equal(r.promptIds.length, 8 * c.prompt_pool_param.top_k);
  assert.equal(r.gradNorm, t.norm);
  assert.ok(t.grads.has('cls') && t.grads.has('head/kernel'), 'the frozen means, averaged as tensors');
  const one = await run(4); // one micro-batch: the graph gives the frozen summed squares
  assert.ok(!one.t.grads.has('cls') && one.t.grads.has('head/kernel'));
  assert.equal(one.r.loss, (one.t.outputs[0].loss.data as Float32Array)[0]);
});

test("the config's weight decay reaches the optimiser: adamw moves each trained weight by a further −lr·wd·p", async () => {
  const step = async (weight_decay: number) => {
    const learner = learnerFor({ ...c, optim: 'adamw', weight_decay });
    const p0 = learner.params.get('head/kernel')!.data.slice();
    await learner.trainStep(images(4), Int32Array.of(0, 1, 1, 1), 0, [0, 1], 0.01);
    return { p0, p: learner.params.get('head/kernel')!.data };
  };
  const plain = await step(0);
  const decayed = await step(0.5);
  decayed.p.forEach((v, i) => assert.ok(Math.abs(v - (plain.p[i] - 0.01 * 0.5 * plain.p0[i])) < 1e-6, `${i}: ${v}`));
});

test("beginTask runs the method's start-of-task hook only when the task starts fresh", () => {
  const learner = learnerFor();
  const calls: number[] = [];
  learner.model.startTask = (_p, t) => calls.push(t);
  learner.beginTask(2, true);
  learner.beginTask(3, false);
  learner.beginTask(4, true);
  assert.deepEqual(calls, [2, 4]);
});

test('setTrained writes the trained tensors, and those only, in place', () => {
  const learner = learnerFor();
  const trained = learner.trainedTensors;
  assert.deepEqual([...trained.keys()], ['prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias']);
  const cls = learner.params.get('cls')!.data;
  const values = new Map([...trained].map(([k, v]) => [k, v.map((_, i) => i + 0.5)] as const));
  learner.setTrained(new Map([...values, ['cls', new Float32Array(cls.length).fill(9)]]));
  for (const [k, v] of values) assert.deepEqual(learner.params.get(k)!.data, v, k);
  assert.ok(!cls.includes(9));
  assert.equal(learner.params.get('head/kernel')!.data, trained.get('head/kernel'), 'the same arrays');
});

test('the query comes from the pretrained backbone even after the backbone has trained', async () => {
  const untrained = await learnerFor({ ...c, freeze_part: [] }).query(images(4), 4);
  const full = learnerFor({ ...c, freeze_part: [] });
  await full.trainStep(images(4), Int32Array.of(0, 1, 1, 1), 0, [0, 1], 0.01);
  assert.equal(untrained.length, 4 * cfg.hidden);
  assert.deepEqual(await full.query(images(4), 4), untrained);
  // An evaluation that is fed the query gives what one that computes it gives.
  const q = await full.query(images(4), 4);
  const fed = await full.evalBatch(images(4), Int32Array.of(0, 1, 2, 3), null, q);
  const own = await full.evalBatch(images(4), Int32Array.of(0, 1, 2, 3), null);
  assert.deepEqual(fed.promptIds, own.promptIds);
  fed.logits.forEach((v, i) => assert.ok(Math.abs(v - own.logits[i]) < 1e-5));
});

test('queries of different batch sizes each get their own graph; the query is per image', async () => {
  const learner = learnerFor();
  const four = await learner.query(images(4), 4);
  const eight = await learner.query(images(8), 8);
  assert.equal(eight.length, 8 * cfg.hidden);
  Array.from(four).forEach((v, i) => assert.ok(Math.abs(v - eight[i]) < 1e-5, `${i}: ${v} vs ${eight[i]}`));
});

test('query_precision int8 quantises the query backbone: close to the fp32 query, not equal to it', async () => {
  const q32 = await learnerFor().query(images(4), 4);
  const q16 = await learnerFor({ ...c, query_precision: 'int8' }).query(images(4), 4);
  assert.notDeepEqual(q16, q32);
  q16.forEach((v, i) => assert.ok(Math.abs(v - q32[i]) < 0.05, `${i}: ${v} vs ${q32[i]}`));
});

test("a fed query is the one selection uses: another batch's query selects that batch's prompts", async () => {
  const learner = learnerFor({ ...c, test_time_selection: 'per_instance' });
  const a = images(4);
  const b = Float32Array.from(a, (v, i) => Math.cos(i * 1.7 + v) * 0.5 + 0.5);
  // Keys that are batch a's queries: each image of a selects its own key first.
  learner.params.get('prompt_pool/key')!.data.set(await learner.query(a, 4));
  const own = await learner.evalBatch(b, Int32Array.of(0, 1, 2, 3), null);
  const other = await learner.evalBatch(a, Int32Array.of(0, 1, 2, 3), null);
  assert.notDeepEqual(own.promptIds, other.promptIds, 'the two batches select differently');
  const fed = await learner.evalBatch(a, Int32Array.of(0, 1, 2, 3), null, await learner.query(b, 4));
  assert.deepEqual(fed.promptIds, own.promptIds);
});
