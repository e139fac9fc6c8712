// The DualPrompt method module (src/methods/dualprompt/index.ts) through its MethodModel: the exact
// refusal lines, what trains with and without a g-prompt, which selection each task trains and evaluates
// with, the shared-pool copy at a task's start, and the selection accuracy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { dualprompt } from '../../src/methods/dualprompt/index.ts';
import { randomViT } from '../../src/vit/random.ts';
import { throwsUser } from '../helpers/errors.ts';

const cfg = { hidden: 24, heads: 2, mlp: 48, depth: 3, patch: 8 };
const vit = { config: cfg, numPatches: 4, params: randomViT(cfg, 4) };
const base = (): L2PConfig => ({ ...getPreset('split_mnist_dualprompt'), g_prompt_layer_idx: [0], e_prompt_layer_idx: [1] });
const withPool = (c: L2PConfig, pp: Partial<L2PConfig['prompt_pool_param']>): L2PConfig => ({ ...c, prompt_pool_param: { ...c.prompt_pool_param, ...pp } });
const create = (c: L2PConfig) => dualprompt.create(c, vit, 10);
const refused = (c: L2PConfig, line: string) => throwsUser(() => create(c), line);

test('settings DualPrompt has no graph for are refused with their exact line', () => {
  const c = base();
  refused({ ...c, vit_classifier: 'prompt' }, "config key 'vit_classifier' = 'prompt' is not one DualPrompt supports ('token', 'gap')");
  refused(withPool(c, { embedding_key: 'mean' }), `config key 'prompt_pool_param.embedding_key' = "mean" is not supported with method 'dualprompt': DualPrompt's query is the frozen ViT's class token ('cls')`);
  refused({ ...c, query_precision: 'int8' }, `config key 'query_precision' = "int8" is not supported with method 'dualprompt': the DualPrompt query runs in fp32`);
  refused({ ...c, weight_decay: 0.5, optim: 'adam' }, `config key 'weight_decay' = 0.5 is not supported with method 'dualprompt': the L2 loss term of 'adam'/'sgd' is not in DualPrompt's graph (the official DualPrompt configs set 0; 'adamw' decays in the optimiser)`);
  refused(withPool(c, { diversify: true }), `config key 'prompt_pool_param.diversify' = true is not supported with method 'dualprompt': the paper's diversified selection is an option of L2P's; DualPrompt trains with the prompt mask`);
  refused(withPool(c, { prompt_key: false }), `config key 'prompt_pool_param.prompt_key' = false is not supported with method 'dualprompt': DualPrompt always learns its e-prompt keys (the official mean-of-prompt keys are undefined for prefixes)`);
});

test('accepted: fp32 query named explicitly, weight decay under adamw, the gap classifier', () => {
  const c = base();
  assert.equal(create({ ...c, query_precision: 'fp32' }).usesQuery, true);
  assert.ok(create({ ...c, weight_decay: 0.5, optim: 'adamw' }));
  assert.ok(create({ ...c, vit_classifier: 'gap' }));
});

test('what trains: prefix only with a g-prompt, the pool only with an e-prompt', () => {
  assert.deepEqual(create(base()).trains, ['prefix', 'prompt_pool/*', 'head/*']);
  const noG = create({ ...base(), use_g_prompt: false });
  assert.deepEqual(noG.trains, ['prompt_pool/*', 'head/*']);
  assert.ok(!noG.params.has('prefix'));
  const noE = create({ ...base(), use_e_prompt: false });
  assert.deepEqual(noE.trains, ['prefix', 'head/*']);
  assert.equal(noE.usesQuery, false);
  assert.equal(noE.evalSelection, 'none');
  assert.equal(noE.selectionAccuracy([[1, 0]]), null);
  const plan = noE.train({ params: noE.params, taskId: 0, batch: 2, imageSize: [16, 16], isTrained: () => true, weightDecay: 0 });
  assert.deepEqual(plan.feeds(2), {});
});

const trainPlan = (c: L2PConfig, t: number, batch = 3) => {
  const m = create(c);
  return m.train({ params: m.params, taskId: t, batch, imageSize: [16, 16], isTrained: () => true, weightDecay: 0 });
};

test('training selection: the mask ids [B, top_k] while they fit; by similarity without use_prompt_mask, batchwise or per instance', () => {
  const c = withPool({ ...base(), continual: { ...base().continual, num_tasks: 3 } }, { pool_size: 6, top_k: 2, use_prompt_mask: true, batchwise_prompt: false });
  const masked = trainPlan(c, 2, 2);
  const ids = masked.feeds(2).prompt_ids;
  assert.deepEqual(ids.shape, [2, 2]);
  assert.deepEqual(Array.from(ids.data as Int32Array), [4, 5, 4, 5]);
  assert.match(masked.key, /:mask:/);
  const off = trainPlan(withPool(c, { use_prompt_mask: false }), 1);
  assert.deepEqual(off.feeds(3), {});
  assert.match(off.key, /:per_instance:/);
  assert.match(trainPlan(withPool(c, { use_prompt_mask: false, batchwise_prompt: true }), 1).key, /:batchwise:/);
});

test('the step cache keys tell apart the batch, the selection and the features', () => {
  const c = withPool(base(), { use_prompt_mask: false, batchwise_prompt: false });
  const m = create(c);
  const spec = { params: m.params, taskId: 0, imageSize: [16, 16] as [number, number], isTrained: () => true, weightDecay: 0 };
  const keys = [m.train({ ...spec, batch: 3 }).key, m.train({ ...spec, batch: 4 }).key, m.train({ ...spec, batch: 3, features: true }).key, create(withPool(c, { batchwise_prompt: true })).train({ ...spec, batch: 3 }).key];
  assert.equal(new Set(keys).size, 4, keys.join(' | '));
  const ev = (mm: typeof m, e: Partial<Parameters<typeof m.eval>[0]>) => mm.eval({ params: m.params, taskId: 0, batch: 3, imageSize: [16, 16], isTrained: () => true, queryFed: false, ...e }).key;
  const evKeys = [ev(m, {}), ev(m, { batch: 4 }), ev(m, { features: true }), ev(m, { queryFed: true }), ev(create(withPool({ ...c, test_time_selection: 'batchwise' }, { batchwise_prompt: true })), {})];
  assert.equal(new Set(evKeys).size, 5, evKeys.join(' | '));
  assert.deepEqual(m.eval({ params: m.params, taskId: 0, batch: 3, imageSize: [16, 16], isTrained: () => true, queryFed: false }).feeds(3), {});
});

test('test-time selection: batchwise only when both batchwise_prompt and test_time_selection say so', () => {
  const c = base();
  assert.equal(create(withPool({ ...c, test_time_selection: 'batchwise' }, { batchwise_prompt: true })).evalSelection, 'batchwise');
  assert.equal(create(withPool({ ...c, test_time_selection: 'per_instance' }, { batchwise_prompt: true })).evalSelection, 'per_instance');
  assert.equal(create(withPool({ ...c, test_time_selection: 'per_instance' }, { batchwise_prompt: false })).evalSelection, 'per_instance');
  // The parser refuses this pair; create() still falls back to per-instance votes without batchwise_prompt.
  assert.equal(create(withPool({ ...c, test_time_selection: 'batchwise' }, { batchwise_prompt: false })).evalSelection, 'per_instance');
});

test('startTask copies the previous slots only with shared_prompt_pool, the keys only with shared_prompt_key', () => {
  const pool = (c: L2PConfig) => {
    const m = create(c);
    const before = { p: m.params.get('prompt_pool/prompt')!.data.slice(), k: m.params.get('prompt_pool/key')!.data.slice() };
    m.startTask(m.params, 1);
    return { m, before, p: m.params.get('prompt_pool/prompt')!.data, k: m.params.get('prompt_pool/key')!.data };
  };
  const c = withPool(base(), { prompt_key_init: 'uniform', top_k: 1, pool_size: 4 });
  const off = pool(withPool(c, { shared_prompt_pool: false, shared_prompt_key: true }));
  assert.deepEqual(off.p, off.before.p);
  assert.deepEqual(off.k, off.before.k);
  const on = pool(withPool(c, { shared_prompt_pool: true, shared_prompt_key: true }));
  assert.notDeepEqual(on.p, on.before.p);
  assert.deepEqual(Array.from(on.k.subarray(24, 48)), Array.from(on.before.k.subarray(0, 24)));
  const keysKept = pool(withPool(c, { shared_prompt_pool: true, shared_prompt_key: false }));
  assert.deepEqual(keysKept.k, keysKept.before.k);
  assert.notDeepEqual(keysKept.p, keysKept.before.p);
});

test('selection accuracy: each task’s share of its own mask slots, null without the mask', () => {
  const c = withPool(base(), { pool_size: 4, top_k: 2, use_prompt_mask: true });
  assert.deepEqual(create(c).selectionAccuracy([[3, 1, 0, 0], [1, 0, 2, 1]]), [1, 0.75]);
  assert.equal(create(withPool(c, { use_prompt_mask: false })).selectionAccuracy([[3, 1, 0, 0]]), null);
});

test('the method entry: its name, a summary naming it, every task trained in order, one at a time', () => {
  assert.equal(dualprompt.name, 'dualprompt');
  assert.match(dualprompt.summary, /^DualPrompt: /);
  assert.deepEqual(dualprompt.trainTasks([0, 1, 2] as never, () => { throw new Error('no concat'); }), [0, 1, 2]);
  assert.equal(dualprompt.sequential, true);
});

test('the built train step: class_mask fed only with continual.train_mask; no pull term without pull_constraint', () => {
  const build = (c: L2PConfig) => {
    const m = create(withPool(c, { use_prompt_mask: false, batchwise_prompt: false }));
    return m.train({ params: new Map([...vit.params, ...m.params]), taskId: 0, batch: 2, imageSize: [16, 16], isTrained: (k) => !k.startsWith('Transformer') && !k.startsWith('embedding') && k !== 'cls', weightDecay: 0 }).build();
  };
  const c = { ...base(), pull_constraint: true, pull_constraint_coeff: 0.5 };
  assert.ok(build(c).feedsNeeded.includes('class_mask'));
  assert.ok(!build({ ...c, continual: { ...c.continual, train_mask: false } }).feedsNeeded.includes('class_mask'));
  const pulled = build(c).outputs;
  assert.notEqual(pulled.loss, pulled.ce);
  const plain = build({ ...c, pull_constraint: false }).outputs;
  assert.equal(plain.loss, plain.ce, 'loss is the cross-entropy alone');
});
