// Weight decay as the official train_step and optimisers apply it, with numbers worked by hand.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { buildTrainStep } from '../../src/methods/l2p/step.ts';
import { compile, disposeAll, type HostTensor } from '../../src/runtime/ort.ts';
import { createLearner, modelOptions } from '../../src/train/experiment.ts';
import { l2Coefficient } from '../../src/train/learner.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

after(disposeAll);

test("the L2 term is in the loss for 'adam' and 'sgd', not for 'adamw' (official disable_l2_wd)", () => {
  assert.equal(l2Coefficient({ optim: 'adam', weight_decay: 0.1 }), 0.1);
  assert.equal(l2Coefficient({ optim: 'sgd', weight_decay: 0.1 }), 0.1);
  assert.equal(l2Coefficient({ optim: 'adamw', weight_decay: 0.1 }), 0);
});

test('the L2 term covers every parameter of rank > 1 of the prompted model, the frozen ones included', async () => {
  const c = getPreset('cifar100_l2p_smoke');
  const vit = decodeVariant(c.model_name);
  const learner = createLearner(c, { config: vit, numPatches: 16, params: randomViT(vit, 16, 1) }, 4);
  const spec = (weightDecay: number) => ({
    model: modelOptions(c, vit, 4),
    batch: 2,
    imageSize: [32, 32] as [number, number],
    selection: 'per_instance' as const,
    trainMask: false,
    pull: 0,
    isTrained: (k: string) => k.startsWith('prompt_pool/') || k.startsWith('head/'),
    weightDecay,
  });
  const feeds = (step: ReturnType<typeof buildTrainStep>) => {
    const f: Record<string, HostTensor> = {
      images: { shape: [2, 32, 32, 3], data: Float32Array.from({ length: 2 * 32 * 32 * 3 }, (_, i) => (i % 13) / 13) },
      labels: { shape: [2], data: Int32Array.of(0, 1) },
    };
    for (const t of step.trained) f[t.label!] = { shape: t.shape, data: learner.params.get(t.label!)!.data };
    return f;
  };
  const loss = async (wd: number) => {
    const step = buildTrainStep(learner.params, spec(wd));
    const r = await (await compile(step.outputs)).run(feeds(step));
    return (r.loss.data as Float32Array)[0];
  };
  // By hand: 0.5 · wd · Σ over every stored matrix (all of them feed the prompted model here).
  let sq = 0;
  let frozenSq = 0;
  for (const [k, v] of learner.params) {
    if (v.shape.length < 2) continue;
    let s = 0;
    for (const x of v.data) s += x * x;
    sq += s;
    if (!spec(0).isTrained(k)) frozenSq += s;
  }
  assert.ok(frozenSq > 0.5 * sq, 'the frozen matrices dominate the sum');
  const diff = (await loss(0.01)) - (await loss(0));
  assert.ok(Math.abs(diff - 0.005 * sq) <= 1e-4 * 0.005 * sq, `L2 term ${diff}, by hand ${0.005 * sq}`);
});
