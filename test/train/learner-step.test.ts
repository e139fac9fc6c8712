// The learner's training step on the smoke backbone against updates worked out here: SGD with and
// without Nesterov momentum, a global batch whose last micro-batch is short, and a micro-batch runner
// that keeps the frozen gradients where they ran (as the data-parallel workers do).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { disposeAll } from '../../src/runtime/ort.ts';
import { chunkBounds, chunkSquares, meanInPlace } from '../../src/train/frozen-norm.ts';
import type { Learner, MicroBatchRunner, MicroResult, StepTrace } from '../../src/train/learner.ts';
import type { Tensors } from '../../src/train/optim.ts';
import { smokeConfig, smokeImages as images, smokeLearner } from '../helpers/smoke-learner.ts';

after(disposeAll);

const c = { ...smokeConfig, weight_decay: 0 };
const learnerFor = (config = c) => smokeLearner(config);
const labels = Int32Array.of(0, 1, 1, 0, 1, 0);

/** One traced step; the trained tensors before it. */
async function traced(learner: Learner, n: number) {
  const before = new Map([...learner.trainedTensors].map(([k, v]) => [k, v.slice()] as const));
  const traces: StepTrace[] = [];
  learner.onStep = (t) => traces.push(t);
  const r = await learner.trainStep(images(n), labels.subarray(0, n), 0, [0, 1], 0.01);
  assert.equal(traces.length, 1);
  return { r, t: traces[0], before };
}

test("optim 'sgd' from zero momentum: v = g', and each trained weight moves by −lr·(g' + μ·v) with Nesterov, −lr·v without (g' the clipped gradient)", async () => {
  for (const nesterov of [true, false]) {
    const learner = learnerFor({ ...c, optim: 'sgd', sgd_momentum: 0.9, grad_clip_max_norm: 0.05, optim_config: { ...c.optim_config, nesterov } });
    const { t, before } = await traced(learner, 4);
    assert.ok(t.factor < 1, `the clip binds (factor ${t.factor})`);
    for (const [k, p] of learner.trainedTensors) {
      const g = t.grads.get(k)!;
      assert.ok(g.some((x) => x !== 0), k);
      p.forEach((v, i) => {
        const gc = g[i] * t.factor;
        const want = before.get(k)![i] - 0.01 * (nesterov ? gc + 0.9 * gc : gc);
        assert.ok(Math.abs(v - want) < 1e-6, `${nesterov ? 'nesterov' : 'plain'} ${k}[${i}]: ${v} vs ${want}`);
      });
    }
  }
});

test('a global batch that is no multiple of per_device_batch_size: micro-batches of that size and a shorter last one, their gradients averaged as equals', async () => {
  // The shared prompt feeds prompt ids of the micro-batch's size, so a last micro-batch fed for a full one fails.
  const shared = { ...c, method: 'shared_prompt' as const, grad_clip_scope: 'trained' as const, prompt_pool_param: { ...c.prompt_pool_param, pool_size: 1, top_k: 1 } };
  const learner = learnerFor({ ...shared, per_device_batch_size: 4, num_devices: 2 });
  const { r, t, before } = await traced(learner, 6);
  assert.deepEqual(t.outputs.map((o) => o.logits.shape), [[4, 4], [2, 4]]);
  assert.equal(r.count, 6);
  assert.deepEqual(Array.from(r.promptIds), [0, 0, 0, 0, 0, 0]);
  const loss = (o: StepTrace['outputs'][number]) => (o.loss.data as Float32Array)[0];
  assert.ok(Math.abs(r.loss - (loss(t.outputs[0]) + loss(t.outputs[1])) / 2) < 1e-7);
  // The mean of the two micro-batches' gradients, its norm, and Adam's first step: −lr·g/(|g| + eps), clipped or not.
  const mean = new Map([...learner.trainedTensors.keys()].map((k) => [k, Float32Array.from(t.outputs[0][`grad/${k}`].data as Float32Array, (a, i) => (a + (t.outputs[1][`grad/${k}`].data as Float32Array)[i]) / 2)] as const));
  const norm = Math.sqrt([...mean.values()].reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
  assert.ok(Math.abs(r.gradNorm - norm) <= 1e-5 * norm, `${r.gradNorm} vs ${norm}`);
  const kernel = learner.params.get('head/kernel')!.data;
  const g = mean.get('head/kernel')!;
  assert.ok(g.some((x) => Math.abs(x) > 1e-3));
  kernel.forEach((v, i) => {
    const gc = g[i] * t.factor;
    const want = before.get('head/kernel')![i] - (0.01 * gc) / (Math.abs(gc) + 1e-8);
    assert.ok(Math.abs(v - want) < 1e-6, `head/kernel[${i}]: ${v} vs ${want}`);
  });
});

/**
 * A runner that runs the micro-batches on another learner and keeps their frozen gradients: it gives
 * back the trained ones only, and the frozen mean's squares (chunk by chunk, frozen-norm.ts) and the
 * mean itself when asked.
 */
function keepingRunner(worker: Learner): MicroBatchRunner {
  const trained = new Set(worker.trainedTensors.keys());
  let kept: Tensors[] = [];
  const mean = (micro: number): Tensors => {
    const m: Tensors = new Map();
    for (const grads of kept) {
      for (const [k, g] of grads) {
        const acc = m.get(k) ?? new Float32Array(g.length);
        m.set(k, acc);
        g.forEach((x, i) => (acc[i] += x));
      }
    }
    for (const acc of m.values()) meanInPlace(acc, micro);
    return m;
  };
  return {
    async run(jobs, values) {
      worker.setTrained(values);
      kept = [];
      const out: MicroResult[] = [];
      for (const j of jobs) {
        const r = await worker.runMicroBatch(j);
        kept.push(new Map([...r.grads].filter(([k]) => !trained.has(k))));
        out.push({ ...r, grads: new Map([...r.grads].filter(([k]) => trained.has(k))) });
      }
      return out;
    },
    frozenSquares: async (micro) => [...mean(micro).values()].flatMap((acc) => chunkSquares(acc, 0, chunkBounds([acc.length]))),
    frozenMean: async (micro) => mean(micro),
  };
}

test("a runner that keeps the frozen gradients: the norm takes its squares and the trace its mean, so the step is the one in this process", async () => {
  const two = { ...c, grad_clip_scope: 'all' as const, grad_clip_max_norm: 0.05, per_device_batch_size: 2, num_devices: 2 };
  const alone = learnerFor(two);
  const here = await traced(alone, 4);
  const host = learnerFor(two);
  host.devices = keepingRunner(learnerFor(two));
  const there = await traced(host, 4);
  assert.ok(here.t.grads.has('cls') && here.t.grads.has('Transformer/encoder_norm/scale'), 'frozen means in the trace');
  assert.deepEqual([...there.t.grads.keys()], [...here.t.grads.keys()]);
  for (const [k, g] of here.t.grads) assert.deepEqual(there.t.grads.get(k), g, k);
  assert.equal(there.t.norm, here.t.norm);
  assert.ok(there.t.factor < 1);
  assert.equal(there.r.gradNorm, here.r.gradNorm);
  for (const [k, p] of host.trainedTensors) assert.deepEqual(p, alone.trainedTensors.get(k), k);
});
