// The L2P family as the loop sees it (src/methods/l2p): each member's task list, whether it is tested
// task by task, its help line, which selection it trains and evaluates with, whether evaluation can
// feed a cached query, slot sharing and the selection accuracy by hand, the diversified selection's
// state, and the DualPrompt keys that say what L2P is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { applyOverrides } from '../../src/config/overrides.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { headOnly, joint, sharedPrompt } from '../../src/methods/l2p/baselines.ts';
import { l2pModelOptions, L2P_VARIANT, sharePromptSlots, slotSelectionAccuracy } from '../../src/methods/l2p/family.ts';
import { l2p } from '../../src/methods/l2p/index.ts';
import { METHODS, methodOf } from '../../src/methods/index.ts';
import { phaseObjects, type GradientPhase, type StatisticsPhase } from '../../src/methods/method.ts';
import type { Params } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

const smoke = getPreset('cifar100_l2p_smoke');
const cfg = decodeVariant(smoke.model_name);

function modelFor(c: L2PConfig) {
  return methodOf(c).create(c, { config: cfg, numPatches: 16, params: randomViT(cfg, 16, 1) }, 4);
}
const withSets = (sets: string[]) => applyOverrides(smoke, sets);

test('task lists: L2P and the sequential baselines train each task in turn; joint trains one task of all the data', () => {
  const tasks = [
    { classMask: [5, 1], train: 'a', test: 'ta' },
    { classMask: [10, 3, 1], train: 'b', test: 'tb' },
  ];
  for (const m of [l2p, sharedPrompt, headOnly]) {
    const out = m.trainTasks(tasks, () => assert.fail('no concat'));
    assert.deepEqual(out, tasks, m.name);
    assert.notEqual(out, tasks, `${m.name}: a copy`);
    assert.equal(m.sequential, true, m.name);
  }
  const all = joint.trainTasks(tasks, (s) => s.join('+'));
  // The union of the classes in numeric order (10 after 5, not after 1 as text would sort it).
  assert.deepEqual(all, [{ classMask: [1, 3, 5, 10], train: 'a+b', test: 'ta' }]);
  assert.equal(joint.sequential, false);
});

test("every method's help line names it and says in one line what it is", () => {
  for (const m of Object.values(METHODS)) assert.match(m.summary, /^\S[^\n]{20,}$/, m.name);
  assert.match(l2p.summary, /prompt pool/);
  assert.match(sharedPrompt.summary, /one prompt/);
  assert.match(headOnly.summary, /head alone/);
  assert.match(joint.summary, /all tasks/);
});

test('selection: trained and evaluated by batch vote, per input, fixed ids, or none, as the keys say', () => {
  assert.equal(modelFor(smoke).evalSelection, 'batchwise');
  assert.equal(modelFor(withSets(['test_time_selection=per_instance'])).evalSelection, 'per_instance');
  assert.equal(modelFor(withSets(['method=shared_prompt'])).evalSelection, 'fixed');
  assert.equal(modelFor(withSets(['method=head_only'])).evalSelection, 'none');
  assert.equal(modelFor(withSets(['method=joint', 'prompt_pool=false', 'vit_classifier=token'])).evalSelection, 'none');
});

test("usesQuery: evaluation feeds a cached query only where it selects by the frozen backbone's class token", () => {
  assert.equal(modelFor(smoke).usesQuery, true);
  assert.equal(modelFor(withSets(['test_time_selection=per_instance'])).usesQuery, true);
  for (const key of ['mean', 'max', 'mean_max']) assert.equal(modelFor(withSets([`prompt_pool_param.embedding_key=${key}`])).usesQuery, false, key);
  assert.equal(modelFor(withSets(['method=shared_prompt'])).usesQuery, false);
  assert.equal(modelFor(withSets(['method=head_only'])).usesQuery, false);
});

test("vit_classifier 'prompt' without a prompt pool: one line naming the key, when the config is checked", () => {
  for (const m of ['joint', 'shared_prompt']) {
    assert.throws(() => withSets([`method=${m}`, 'prompt_pool=false']), (e: unknown) => e instanceof UserError && /^config key 'vit_classifier' must be 'token', 'gap' or 'token\+prompt' when prompt_pool is false .*, got "prompt"$/.test(e.message) && !e.message.includes('\n'), m);
    assert.doesNotThrow(() => modelFor(withSets([`method=${m}`, 'prompt_pool=false', 'vit_classifier=token+prompt'])), m);
  }
  assert.equal(withSets(['method=head_only']).vit_classifier, 'token');
});

test("the model options carry the config's query precision and embedding key", () => {
  assert.equal(l2pModelOptions(withSets(['query_precision=int8']), L2P_VARIANT, cfg, 4).queryPrecision, 'int8');
  assert.equal(l2pModelOptions(withSets(['prompt_pool_param.embedding_key=max']), L2P_VARIANT, cfg, 4).embeddingKey, 'max');
});

test('the selection accuracy by hand: the share of each task’s selections in its own slot', () => {
  // top_k 2, pool 6: task 0 owns ids 0–1, task 1 ids 2–3, task 2 ids 4–5.
  const usage = [
    [3, 1, 0, 4, 0, 0],
    [1, 1, 2, 2, 0, 0],
    [0, 0, 0, 0, 0, 0],
  ];
  assert.deepEqual(slotSelectionAccuracy(2, 6, true, usage), [0.5, 4 / 6, 0]);
  assert.equal(slotSelectionAccuracy(2, 6, false, usage), null);
  // Four tasks of two prompts do not fit a pool of 6: no task owns a slot past the pool.
  assert.equal(slotSelectionAccuracy(2, 6, true, [...usage, [0, 0, 0, 0, 0, 1]]), null);
  assert.deepEqual(slotSelectionAccuracy(3, 6, true, [[1, 1, 1, 0, 0, 3], [2, 0, 0, 1, 1, 0]]), [0.5, 0.5]);
  // Through the methods: L2P under use_prompt_mask; none where tasks own no slot.
  const masked = withSets(['prompt_pool_param.use_prompt_mask=true', 'prompt_pool_param.pool_size=6', 'prompt_pool_param.top_k=2']);
  assert.deepEqual(modelFor(masked).selectionAccuracy(usage), [0.5, 4 / 6, 0]);
  assert.equal(modelFor(smoke).selectionAccuracy(usage), null);
  assert.equal(modelFor({ ...masked, method: 'joint' }).selectionAccuracy(usage), null);
  assert.equal(modelFor(withSets(['method=shared_prompt'])).selectionAccuracy([[1], [1]]), null);
});

/** Params with a pool of `m` prompts of length 2 over hidden 3, and keys, each row filled with its index. */
function rowPool(m: number): Params {
  const row = (len: number) => Float32Array.from({ length: m * len }, (_, i) => Math.floor(i / len));
  return new Map([
    ['prompt_pool/prompt', { shape: [1, m, 2, 3], data: row(6) }],
    ['prompt_pool/key', { shape: [m, 3], data: row(3) }],
  ]);
}
const rows = (p: Params, path: string, len: number) => Array.from({ length: p.get(path)!.data.length / len }, (_, i) => p.get(path)!.data[i * len]);

test('shared_prompt_pool / shared_prompt_key: before task t, slot t−1 goes to slot t while slot t fits in the pool', () => {
  const c = (pool: number) => ({ ...smoke, prompt_pool_param: { ...smoke.prompt_pool_param, pool_size: pool, top_k: 2, length: 2, prompt_key: true, shared_prompt_pool: true, shared_prompt_key: true } });
  const p = rowPool(6);
  sharePromptSlots(c(6), p, 3, 0);
  assert.deepEqual(rows(p, 'prompt_pool/prompt', 6), [0, 1, 2, 3, 4, 5], 'task 0 copies nothing');
  sharePromptSlots(c(6), p, 3, 2);
  assert.deepEqual(rows(p, 'prompt_pool/prompt', 6), [0, 1, 2, 3, 2, 3]);
  assert.deepEqual(rows(p, 'prompt_pool/key', 3), [0, 1, 2, 3, 2, 3]);
  // Pool 5: task 2's slot (ids 4–5) does not fit, so nothing moves, though id 4 would.
  const q = rowPool(5);
  sharePromptSlots(c(5), q, 3, 2);
  assert.deepEqual(rows(q, 'prompt_pool/prompt', 6), [0, 1, 2, 3, 4]);
  assert.deepEqual(rows(q, 'prompt_pool/key', 3), [0, 1, 2, 3, 4]);
});

test("the diversified selection's counts: none before a checkpoint holds them, and a copy of what it holds", () => {
  const m = modelFor(withSets(['prompt_pool_param.diversify=true']));
  m.observe!(1, { promptIds: Int32Array.of(0, 4, 4), labels: Int32Array.of(0) });
  m.loadState!(undefined);
  assert.deepEqual(m.saveState!(), { train_selection_counts: [] });
  m.observe!(0, { promptIds: Int32Array.of(1), labels: Int32Array.of(0) });
  m.loadState!({});
  assert.deepEqual(m.saveState!(), { train_selection_counts: [] });
  const kept = [[1, 2, 0, 0, 0, 0, 0, 0, 0, 0]];
  m.loadState!({ train_selection_counts: kept });
  kept[0][0] = 9;
  assert.deepEqual(m.saveState!(), { train_selection_counts: [[1, 2, 0, 0, 0, 0, 0, 0, 0, 0]] });
  // Task 0 has no earlier selections: its training graph is L2P's own, with no frequencies fed.
  const params = new Map([...randomViT(cfg, 16, 1), ...m.params]);
  const spec = { params, batch: 2, imageSize: [32, 32] as [number, number], isTrained: () => false, weightDecay: 0 };
  assert.deepEqual(Object.keys(m.train({ ...spec, taskId: 0 }).feeds(2)), []);
  assert.deepEqual(Object.keys(m.train({ ...spec, taskId: 1 }).feeds(2)), ['prompt_freq']);
});

test("L2P and its baselines hold DualPrompt's keys at what L2P is: no g-prompt, e-prompts at layer 0, prepended", () => {
  for (const method of ['l2p', 'shared_prompt', 'joint']) {
    for (const set of ['use_g_prompt=true', 'use_e_prompt=false', 'e_prompt_layer_idx=[1]', 'use_prefix_tune_for_e_prompt=true']) {
      const key = set.split('=')[0];
      assert.throws(() => withSets([`method=${method}`, set]), (e: unknown) => e instanceof UserError && e.message.startsWith(`config key '${key}'`), `${method} ${set}`);
    }
    assert.doesNotThrow(() => withSets([`method=${method}`, 'use_g_prompt=false', 'use_e_prompt=true', 'e_prompt_layer_idx=[0]', 'use_prefix_tune_for_e_prompt=false']), method);
  }
});

test("a task's phases: all names (null), all objects (themselves), never both", () => {
  assert.equal(phaseObjects(['gradient', 'statistics']), null);
  assert.equal(phaseObjects([]), null);
  const grad: GradientPhase = { kind: 'gradient', name: 'tii', trains: ['head/*'], epochs: 1, lrAt: () => 0.1 };
  const stats: StatisticsPhase = { kind: 'statistics', name: 'stats' };
  const objects = [grad, stats];
  assert.equal(phaseObjects(objects), objects);
  assert.throws(() => phaseObjects(['gradient', stats]), /^Error: a task's phases are all names or all objects, not both: gradient, stats$/);
  assert.throws(() => phaseObjects([grad, 'statistics']), /not both: tii, statistics$/);
});
