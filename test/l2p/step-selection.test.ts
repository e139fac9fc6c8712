// L2P's step graphs on the smoke backbone, through ONNX Runtime: fixed ids (use_prompt_mask) are the
// ids used; the diversified per-input selection follows the fed frequencies; an evaluation votes per
// device batch; the temperature divides the logits; the query comes from the frozen backbone, at the
// precision asked, as the query graph alone computes it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { buildEvalStep, buildTrainStep, type StepSpec } from '../../src/methods/l2p/step.ts';
import { compile, disposeAll, type HostTensor } from '../../src/runtime/ort.ts';
import type { StepGraph } from '../../src/methods/step.ts';
import { createLearner, modelOptions } from '../../src/train/experiment.ts';
import { buildQueryStep } from '../../src/vit/query.ts';
import type { Params } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

after(disposeAll);

const S = 32;
const c = getPreset('cifar100_l2p_smoke'); // ViT-mu_8, pool 4, top_k 2
const cfg = decodeVariant(c.model_name);
const learner = createLearner(c, { config: cfg, numPatches: (S / cfg.patch) ** 2, params: randomViT(cfg, (S / cfg.patch) ** 2, 3) }, 4);
const params = learner.params;
const model = modelOptions(c, cfg, 4);
const trainedHere = (k: string) => k.startsWith('prompt_pool/') || k.startsWith('head/');
// The head starts at zero; give it values so that logits differ.
params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = Math.sin(i)));

function images(b: number, seed: number): HostTensor {
  return { shape: [b, S, S, 3], data: Float32Array.from({ length: b * S * S * 3 }, (_, i) => Math.sin(i * 0.37 + seed * 1.7 + Math.floor(i / (S * S * 3)) * 2.9)) };
}

async function run(step: StepGraph, p: Params, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const all = { ...feeds };
  for (const t of step.trained) all[t.label!] = { shape: t.shape, data: p.get(t.label!)!.data };
  return (await compile(step.outputs)).run(all);
}
const rowsOf = (t: HostTensor) => Array.from({ length: t.shape[0] }, (_, i) => Array.from(t.data as ArrayLike<number | bigint>, Number).slice(i * t.shape[1], (i + 1) * t.shape[1]));

const base: Omit<StepSpec, 'selection'> = { model, batch: 4, imageSize: [S, S], trainMask: false, pull: 0, isTrained: trainedHere };
const labels = { shape: [4], data: Int32Array.of(0, 1, 2, 3) };

test('fixed selection: the fed ids are the ids used, whatever the keys would pick', async () => {
  const x = images(4, 1);
  const plain = await run(buildTrainStep(params, { ...base, selection: 'per_instance' }), params, { images: x, labels });
  const picked = rowsOf(plain.prompt_idx);
  // For each input, the two ids its keys did not pick.
  const fed = picked.map((r) => [0, 1, 2, 3].filter((i) => !r.includes(i)));
  const fixed = await run(buildTrainStep(params, { ...base, selection: 'fixed' }), params, { images: x, labels, prompt_ids: { shape: [4, 2], data: Int32Array.from(fed.flat()) } });
  assert.deepEqual(rowsOf(fixed.prompt_idx), fed);
  assert.notDeepEqual(fixed.loss.data, plain.loss.data);
});

test('diversified per-input selection: the least frequency-weighted distance (1 − cos) · h, from the fed h', async () => {
  const x = images(4, 2);
  const plain = await run(buildTrainStep(params, { ...base, selection: 'per_instance' }), params, { images: x, labels });
  const first = rowsOf(plain.prompt_idx)[0][0];
  // h: the first input's favourite prompt used almost always before, the others almost never.
  const h = Float32Array.from([0, 1, 2, 3], (i) => (i === first ? 0.97 : 0.01));
  const div = await run(buildTrainStep(params, { ...base, selection: 'per_instance', diversify: true, poolSize: 4 }), params, { images: x, labels, prompt_freq: { shape: [4], data: h } });
  const sim = rowsOf(div.sim);
  const want = sim.map((s) => s.map((v, i) => [-(1 - v) * h[i], i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 2).map((e) => e[1]));
  assert.deepEqual(rowsOf(div.prompt_idx), want);
  assert.ok(!rowsOf(div.prompt_idx)[0].includes(first), 'the favourite is passed over');
});

/** The official vote on rows of ids: the top_k ids chosen most often, ties to the lower id. */
function vote(rows: number[][], k: number): number[] {
  const counts = new Map<number, number>();
  rows.flat().forEach((i) => counts.set(i, (counts.get(i) ?? 0) + 1));
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k).map((e) => e[0]);
}

test('evaluation votes per device batch: a batch of 4 over per-device batches of 2 holds two votes', async () => {
  const x = images(4, 0);
  assert.equal(learner.model.evalSelection, 'batchwise');
  const own = rowsOf((await run(buildEvalStep(params, { model, batch: 4, imageSize: [S, S], selection: 'per_instance', isTrained: trainedHere }), params, { images: x })).prompt_idx);
  const want = [vote(own.slice(0, 2), 2), vote(own.slice(0, 2), 2), vote(own.slice(2), 2), vote(own.slice(2), 2)];
  assert.notDeepEqual(vote(own, 2), want[0], 'one vote over the batch would differ from the first device’s');
  assert.notDeepEqual(want[0], want[2], "the devices' votes differ");
  assert.equal(c.per_device_batch_size, 4);
  const plan = learner.model.eval({ params, taskId: 0, batch: 4, imageSize: [S, S], isTrained: trainedHere, queryFed: false });
  const twoDevices = createLearner({ ...c, per_device_batch_size: 2 }, { config: cfg, numPatches: 16, params }, 4);
  const plan2 = twoDevices.model.eval({ params, taskId: 0, batch: 4, imageSize: [S, S], isTrained: trainedHere, queryFed: false });
  assert.deepEqual(rowsOf((await run(plan2.build(), params, { images: x })).prompt_idx), want);
  assert.deepEqual(rowsOf((await run(plan.build(), params, { images: x })).prompt_idx)[0], vote(own, 2));
});

test('temperature divides the logits', async () => {
  const x = images(2, 4);
  const step = (temperature: number) => buildEvalStep(params, { model: { ...model, temperature }, batch: 2, imageSize: [S, S], selection: 'per_instance', isTrained: trainedHere });
  const one = (await run(step(1), params, { images: x })).logits.data as Float32Array;
  const two = (await run(step(2), params, { images: x })).logits.data as Float32Array;
  assert.ok(one.some((v) => Math.abs(v) > 1e-3));
  one.forEach((v, i) => assert.ok(Math.abs(two[i] - v / 2) <= 1e-6 * Math.abs(v) + 1e-7, `${i}: ${two[i]} vs ${v / 2}`));
});

test("the query: the frozen backbone's class token as the query graph computes it, from the original weights and at the precision asked", async () => {
  const x = images(2, 5);
  const spec = { ...base, batch: 2, selection: 'per_instance' as const };
  const queryAlone = async (backbone: Params, precision: 'fp32' | 'int8') => (await run(buildQueryStep(backbone, { batch: 2, imageSize: [S, S], model: { vit: cfg, queryPrecision: precision } }), backbone, { images: x })).query.data as Float32Array;
  const close = (a: Float32Array, b: Float32Array, what: string) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5 * (1 + Math.abs(b[i])), `${what} ${i}: ${v} vs ${b[i]}`));
  const l2 = { shape: [2], data: Int32Array.of(0, 1) };
  // Model options as a hand-built caller gives them, with no embedding key: the class token.
  const { embeddingKey: _, ...noKey } = model;
  const fp32 = (await run(buildTrainStep(params, { ...spec, model: noKey }), params, { images: x, labels: l2 })).pre_logits.data as Float32Array;
  close(fp32, await queryAlone(params, 'fp32'), 'fp32');
  const int8 = (await run(buildTrainStep(params, { ...spec, model: { ...model, queryPrecision: 'int8' } }), params, { images: x, labels: l2 })).pre_logits.data as Float32Array;
  const int8Alone = await queryAlone(params, 'int8');
  close(int8, int8Alone, 'int8');
  assert.ok(int8Alone.some((v, i) => Math.abs(v - fp32[i]) > 1e-4), 'int8 differs from fp32 here');
  // The backbone trains (freeze_part []): the query keeps the original weights.
  const moved: Params = new Map([...params].map(([k, v]) => [k, { shape: v.shape, data: k === 'embedding/kernel' ? v.data.map((e) => e * 1.5) : v.data }]));
  const fromOriginal = (await run(buildTrainStep(moved, { ...spec, isTrained: () => true, original: params }), moved, { images: x, labels: l2 })).pre_logits.data as Float32Array;
  close(fromOriginal, fp32, 'original');
});
