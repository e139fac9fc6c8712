// From a config and a backbone in memory to a learner: the GELU chosen, the runtime options, and the
// refusal of a model too large to allocate, naming the config key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { createLearner, withGelu } from '../../src/train/setup.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

const c = getPreset('cifar100_l2p_smoke');
const cfg = decodeVariant(c.model_name);
const vit = { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) };

test("GELU: the config's, else the checkpoint family's, else tanh", () => {
  assert.equal(withGelu({ ...c, gelu: 'erf' }, { ...vit, config: { ...cfg, gelu: 'tanh' } }).config.gelu, 'erf');
  assert.equal(withGelu({ ...c, gelu: 'tanh' }, { ...vit, config: { ...cfg, gelu: 'erf' } }).config.gelu, 'tanh');
  assert.equal(withGelu({ ...c, gelu: undefined }, { ...vit, config: { ...cfg, gelu: 'erf' } }).config.gelu, 'erf');
  assert.equal(withGelu({ ...c, gelu: undefined }, { ...vit, config: { ...cfg, gelu: undefined } }).config.gelu, 'tanh');
  const v = withGelu({ ...c, gelu: 'erf' }, vit);
  assert.equal(v.params, vit.params);
  assert.equal(v.config.hidden, cfg.hidden);
});

test('the learner: backbone and method parameters, the input size, and fp16 compute only where the config asks', () => {
  const l = createLearner(c, vit, 4, { threads: 1 });
  assert.deepEqual(l.runtime, { threads: 1 });
  assert.equal(l.imageSize, 32);
  for (const k of vit.params.keys()) assert.ok(l.params.has(k), k);
  assert.ok(l.params.has('prompt_pool/prompt') && l.params.has('head/kernel'));
  assert.deepEqual(createLearner({ ...c, compute_precision: 'fp16' }, vit, 4, { threads: 1 }).runtime, { threads: 1, computePrecision: 'fp16' });
  assert.deepEqual(createLearner({ ...c, compute_precision: 'fp32' }, vit, 4).runtime, {});
});

test('a model too large to allocate names the largest size key of the config (not a batch or buffer size)', () => {
  // Larger numbers under a batch, buffer, epoch or classes-per-task key, and a list under a size-like key, are passed over.
  const huge = {
    ...c,
    shuffle_buffer_size: 2 ** 50,
    per_device_batch_size: 2 ** 49,
    num_epochs: 2 ** 48,
    continual: { ...c.continual, num_classes_per_task: 2 ** 47, task_classes: [[2 ** 46]] },
    prompt_pool_param: { ...c.prompt_pool_param, pool_size: 2 ** 40 },
  };
  assert.throws(() => createLearner(huge, vit, 4), (e: Error) => e instanceof UserError && /^config key 'prompt_pool_param\.pool_size' = 1099511627776: the model's tensors are too large to allocate \(.+\)$/.test(e.message));
  const long = { ...c, prompt_pool_param: { ...c.prompt_pool_param, length: 2 ** 33 } };
  assert.throws(() => createLearner(long, vit, 4), /^UserError: config key 'prompt_pool_param\.length' = 8589934592: /);
});

test('any other error passes through as it is', () => {
  assert.throws(() => createLearner({ ...c, method: 'nope' as never }, vit, 4), (e: Error) => e instanceof TypeError && !(e instanceof UserError));
});
