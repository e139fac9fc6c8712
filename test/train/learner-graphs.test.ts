// What the learner takes from its method on the smoke backbone: which of the method's parameters are
// fitted in closed form (any of its patterns), the features of its evaluation graph (checked against
// the logits by hand, and refused in one line where the graph gives none), and each graph built once
// per plan key, not at every step or evaluation.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import type { GraphPlan, MethodModel } from '../../src/methods/index.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { Learner } from '../../src/train/learner.ts';
import { smokeConfig as c, smokeImages as images, smokeLearner as learnerFor, smokeViT as cfg } from '../helpers/smoke-learner.ts';

after(disposeAll);

test("fitted: the method's own paths that match any of its fitted patterns; none for a method without them", () => {
  assert.deepEqual(learnerFor().fitted, [], 'L2P fits nothing in closed form');
  const simplecil = learnerFor({ ...getPreset('cifar100_simplecil_smoke'), model_name: c.model_name });
  assert.deepEqual(simplecil.fitted, ['head/kernel']);
  // Two patterns, one matching: a path is fitted when any pattern matches it, not only when all do.
  const model: MethodModel = { ...simplecil.model, fitted: ['nothing/*', 'head/*'] };
  assert.deepEqual(new Learner(simplecil.config, model, simplecil.params, 32).fitted, ['head/kernel']);
});

test("features: what the head sees, [n, D]: the evaluation's logits are features · head/kernel + head/bias", async () => {
  const learner = learnerFor();
  const kernel = learner.params.get('head/kernel')!.data; // [D, C], not zero (smokeLearner)
  const bias = learner.params.get('head/bias')!.data; // [C]
  bias.set([0.3, -0.2, 0.1, 0]);
  const labels = Int32Array.of(0, 1, 2);
  const f = await learner.features(images(3), labels);
  const D = cfg.hidden;
  assert.equal(f.length, 3 * D);
  const { logits } = await learner.evalBatch(images(3), labels, null);
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 4; k++) {
      let want = bias[k];
      for (let j = 0; j < D; j++) want += f[i * D + j] * kernel[j * 4 + k];
      assert.ok(Math.abs(logits[i * 4 + k] - want) < 1e-4, `logit [${i}, ${k}]: ${logits[i * 4 + k]} vs ${want}`);
    }
  }
});

test('features from an evaluation graph that gives none: refused in one line naming the method', async () => {
  const learner = learnerFor();
  const model = learner.model;
  const blind: MethodModel = { ...model, eval: (s) => model.eval({ ...s, features: false }) };
  const l = new Learner(c, blind, learner.params, 32);
  await assert.rejects(l.features(images(2), Int32Array.of(0, 1)), { message: "method 'l2p' has a statistics phase but its evaluation graph gives no features" });
});

test('each graph is built once per plan key: evaluations and steps of one batch size reuse it, another size builds its own', async () => {
  const learner = learnerFor();
  const built: string[] = [];
  const counted = (plan: GraphPlan): GraphPlan => ({ ...plan, build: () => (built.push(plan.key), plan.build()) });
  const { eval: evalPlan, train: trainPlan } = learner.model;
  learner.model.eval = (s) => counted(evalPlan(s));
  learner.model.train = (s) => counted(trainPlan(s));
  const labels = Int32Array.of(0, 1, 1, 0);
  await learner.evalBatch(images(4), labels, null);
  await learner.evalBatch(images(4), labels, null);
  await learner.trainStep(images(4), labels, 0, [0, 1], 0.01);
  await learner.trainStep(images(4), labels, 0, [0, 1], 0.01);
  await learner.evalBatch(images(4), labels, null);
  assert.equal(built.length, 2, built.join(', '));
  await learner.evalBatch(images(2), labels.subarray(0, 2), null);
  assert.equal(built.length, 3, built.join(', '));
  assert.equal(new Set(built).size, 3);
});
