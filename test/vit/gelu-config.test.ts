// The config key `gelu` reaches the backbone the learner builds: unset it is the checkpoint family's
// (tanh where the loader names none), set it wins; the two forms give different logits.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/setup.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { randomViT } from '../../src/vit/random.ts';
import type { Gelu } from '../../src/graph/index.ts';

after(disposeAll);

test("config key gelu: unset takes the backbone's family, set wins, and 'erf' changes the logits", async () => {
  const base = getPreset('cifar100_l2p_smoke');
  const cfg = decodeVariant(base.model_name);
  const params = randomViT(cfg, 16, 3);
  const learner = (gelu: Gelu | undefined, family?: Gelu) =>
    createLearner({ ...base, gelu, test_time_selection: 'per_instance' }, { config: { ...cfg, gelu: family }, numPatches: 16, params }, 4);
  assert.equal(learner(undefined).model.vit.gelu, 'tanh');
  assert.equal(learner(undefined, 'erf').model.vit.gelu, 'erf');
  assert.equal(learner('tanh', 'erf').model.vit.gelu, 'tanh');
  const images = Float32Array.from({ length: 2 * 32 * 32 * 3 }, (_, i) => (i % 97) / 97);
  const logits = async (l: ReturnType<typeof learner>) => {
    l.params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = ((i % 13) - 6) / 10));
    const r = await l.evalBatch(images, Int32Array.of(0, 1), null);
    return Array.from(r.losses);
  };
  const [t, e] = [await logits(learner('tanh')), await logits(learner('erf'))];
  assert.ok(t.some((v, i) => Math.abs(v - e[i]) > 1e-6), `losses ${t} and ${e} agree`);
});
