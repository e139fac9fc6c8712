// DualPrompt's settings, shapes, initialisation and per-task pool copy, against hand-worked values;
// and the errors for cases whose prompts do not fit the backbone.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runDualPromptCase } from '../../src/cli/debug-step/dualprompt-case.ts';
import { copySlots, initDualPromptParams, sharedPoolCopy } from '../../src/methods/dualprompt/init.ts';
import { parseL2PConfig } from '../../src/config/l2p.ts';
import { configNotices } from '../../src/config/keys.ts';
import { getPreset } from '../../src/config/presets.ts';
import { dualPromptOptions } from '../../src/methods/dualprompt/index.ts';
import { describeShape, dualPromptShapes, eRows, maskFits, promptMaskIds, takeDualPromptParams, validateDualPrompt, type DualPromptOptions } from '../../src/methods/dualprompt/options.ts';
import { METHODS } from '../../src/methods/index.ts';
import { randomViT } from '../../src/vit/random.ts';
import { UserError } from '../../src/errors.ts';
import { readNpz, writeNpz } from '../../src/io/npz.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { throwsUser } from '../helpers/errors.ts';

after(disposeAll);
const vit = { hidden: 24, heads: 2, mlp: 48, depth: 3, patch: 16 };
const base: DualPromptOptions = {
  vit,
  numClasses: 8,
  g: { length: 5, layers: [0, 1], prefixTune: true, sameKeyValue: false },
  e: { length: 5, layers: [2], poolSize: 10, topK: 1, prefixTune: true },
  classifier: 'token',
  temperature: 1,
  normPreLogits: false,
};

test('official shapes: prefix [depth, 2, Lg, H, hd], pool [nE, 2, M, Le, H, hd]; prompt-tuning [depth, Lg, D], [nE, M, Le, D]', () => {
  const s = dualPromptShapes(base);
  assert.deepEqual(s.get('prefix'), [3, 2, 5, 2, 12]);
  assert.deepEqual(s.get('prompt_pool/prompt'), [1, 2, 10, 5, 2, 12]);
  assert.deepEqual(s.get('prompt_pool/key'), [10, 24]);
  assert.deepEqual(s.get('head/kernel'), [24, 8]);
  const skv = dualPromptShapes({ ...base, g: { ...base.g!, sameKeyValue: true } });
  assert.deepEqual(skv.get('prefix'), [3, 1, 5, 2, 12]);
  const pt = dualPromptShapes({ ...base, g: { ...base.g!, layers: [2], prefixTune: false }, e: { ...base.e!, layers: [1, 2], prefixTune: false } });
  assert.deepEqual(pt.get('prefix'), [3, 5, 24]);
  assert.deepEqual(pt.get('prompt_pool/prompt'), [2, 10, 5, 24]);
});

test('layer indices outside the depth, repeats, and prompt-tuning layouts the official encoder misreads are refused', () => {
  const err = (o: DualPromptOptions, re: RegExp) => assert.throws(() => validateDualPrompt(o), (e: unknown) => e instanceof UserError && re.test(e.message));
  err({ ...base, e: { ...base.e!, layers: [3] } }, /e_prompt_layer_idx holds 3, outside the backbone's layers \[0, 3\)/);
  err({ ...base, g: { ...base.g!, layers: [-1] } }, /g_prompt_layer_idx holds -1/);
  err({ ...base, g: { ...base.g!, layers: [1, 1] } }, /g_prompt_layer_idx repeats a layer/);
  err({ ...base, e: { ...base.e!, topK: 11 } }, /top_k 11 must lie in \[1, prompt_pool_param.pool_size 10\]/);
  err({ ...base, g: { ...base.g!, prefixTune: false } }, /needs use_prefix_tune_for_e_prompt false/);
  err({ ...base, g: { ...base.g!, prefixTune: false }, e: { ...base.e!, prefixTune: false } }, /\[0,1\] is not in \[2\]/);
  validateDualPrompt({ ...base, g: { ...base.g!, layers: [2], prefixTune: false }, e: { ...base.e!, prefixTune: false } });
});

test('the prompt mask: task t uses ids t·k .. t·k+k−1 while they fit in the pool', () => {
  const e = { ...base.e!, poolSize: 6, topK: 2 };
  assert.deepEqual(promptMaskIds(e, 2), [4, 5]);
  assert.ok(maskFits(e, 2) && !maskFits(e, 3));
  assert.throws(() => promptMaskIds(e, 3), /ids 6..7 run past prompt_pool_param.pool_size 6/);
});

test('a pool smaller than num_tasks × top_k: tasks past it select by similarity, as the official train_continual.py', () => {
  const c = getPreset('split_mnist_dualprompt');
  c.continual.num_tasks = 5;
  c.prompt_pool_param = { ...c.prompt_pool_param, pool_size: 4, top_k: 2, use_prompt_mask: true, batchwise_prompt: true };
  const cfg = { hidden: 24, heads: 2, mlp: 48, depth: 3, patch: 8 };
  const m = METHODS.dualprompt.create({ ...c, g_prompt_layer_idx: [0], e_prompt_layer_idx: [1] }, { config: cfg, numPatches: 4, params: randomViT(cfg, 4) }, 10);
  const plan = (t: number) => m.train({ params: m.params, taskId: t, batch: 3, imageSize: [16, 16], isTrained: () => true, weightDecay: 0 });
  // Tasks 0 and 1 own ids [0, 1] and [2, 3]; task 2's [4, 5] would run past the pool of 4.
  assert.deepEqual(Array.from(plan(1).feeds(3).prompt_ids.data as Int32Array), [2, 3, 2, 3, 2, 3]);
  assert.match(plan(1).key, /:mask:/);
  for (const t of [2, 4]) {
    assert.deepEqual(plan(t).feeds(3), {}, `task ${t} feeds no prompt ids`);
    assert.match(plan(t).key, /:batchwise:/);
  }
});

test('initialisation: prefix and a uniform pool in [0, 0.01), zero keys when asked, zero head', () => {
  const p = initDualPromptParams(base, { initializer: 'uniform', keyInit: 'zero', seed: 3 });
  for (const k of ['prefix', 'prompt_pool/prompt']) {
    const a = p.get(k)!.data;
    assert.ok(a.every((x) => x >= 0 && x < 0.01) && a.some((x) => x > 0.005), k);
  }
  assert.ok(p.get('prompt_pool/key')!.data.every((x) => x === 0));
  assert.ok(p.get('head/kernel')!.data.every((x) => x === 0) && p.get('head/bias')!.data.length === 8);
  const n = initDualPromptParams(base, { initializer: 'normal', keyInit: 'uniform', seed: 3 }).get('prompt_pool/prompt')!.data;
  const sd = Math.sqrt(n.reduce((s, x) => s + x * x, 0) / n.length);
  assert.ok(Math.abs(sd - 0.01) < 0.001 && n.some((x) => x < 0), `stddev ${sd}`);
});

test('shared pool: before task t the previous task slots are copied along the pool axis (axis 2 for prefixes)', () => {
  const e = { length: 1, layers: [0], poolSize: 3, topK: 1, prefixTune: true };
  // [1 layer, 2 (k, v), M 3, Le 1, H 1, hd 2]
  const prompt = { shape: [1, 2, 3, 1, 1, 2], data: Float32Array.from({ length: 12 }, (_, i) => i) };
  const key = { shape: [3, 2], data: Float32Array.from([0, 1, 2, 3, 4, 5]) };
  const params = new Map([['prompt_pool/prompt', prompt], ['prompt_pool/key', key]]);
  sharedPoolCopy(params, e, 1, false);
  assert.deepEqual(Array.from(prompt.data), [0, 1, 0, 1, 4, 5, 6, 7, 6, 7, 10, 11]);
  assert.deepEqual(Array.from(key.data), [0, 1, 2, 3, 4, 5]);
  sharedPoolCopy(params, e, 2, true);
  assert.deepEqual(Array.from(prompt.data), [0, 1, 0, 1, 0, 1, 6, 7, 6, 7, 6, 7]);
  assert.deepEqual(Array.from(key.data), [0, 1, 2, 3, 2, 3]);
  sharedPoolCopy(params, e, 3, true); // past the pool: nothing
  assert.deepEqual(Array.from(key.data), [0, 1, 2, 3, 2, 3]);
  assert.deepEqual(Array.from(prompt.data), [0, 1, 0, 1, 0, 1, 6, 7, 6, 7, 6, 7]);
});

function brokenCopy(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-dpbad-'));
  cpSync('test/fixtures/golden/dp0', dir, { recursive: true });
  edit(dir);
  return dir;
}

test('a case whose prefix does not match the backbone names the key and both shapes', async () => {
  const dir = brokenCopy((d) => {
    const a = readNpz(join(d, 'l2p.npz'));
    a.set('prefix', { dtype: 'float32', shape: [3, 2, 2, 3, 8], data: new Float32Array(3 * 2 * 2 * 3 * 8) });
    writeNpz(join(d, 'l2p.npz'), a);
  });
  await assert.rejects(runDualPromptCase(dir), (e: unknown) => e instanceof UserError && /key 'prefix' has shape \[3,2,2,3,8\], expected \[depth 3, 2 \(key, value\), g_prompt_length 2, heads 2, head_dim 12\]/.test(e.message));
});

test('a case with a layer index outside the depth names the key and the numbers', async () => {
  const dir = brokenCopy((d) => {
    const c = JSON.parse(readFileSync(join(d, 'case.json'), 'utf8'));
    writeFileSync(join(d, 'case.json'), JSON.stringify({ ...c, e_layers: [5] }));
  });
  await assert.rejects(runDualPromptCase(dir), (e: unknown) => e instanceof UserError && /case.json': e_layers holds 5, outside the backbone's layers \[0, 3\)/.test(e.message));
});

test('same_key_value_for_shared (official name) stores one g-prefix for keys and values; same_key_value_for_pool changes nothing officially and is accepted with the notice', () => {
  const cfg = { hidden: 24, heads: 2, mlp: 48, depth: 6, patch: 8 };
  const c = parseL2PConfig({ ...getPreset('split_mnist_dualprompt'), same_key_value_for_shared: true });
  assert.deepEqual(dualPromptShapes(dualPromptOptions(c, cfg, 10)).get('prefix'), [6, 1, 5, 2, 12]);
  assert.deepEqual(dualPromptShapes(dualPromptOptions(getPreset('split_mnist_dualprompt'), cfg, 10)).get('prefix'), [6, 2, 5, 2, 12]);
  const pool = parseL2PConfig({ ...getPreset('split_mnist_dualprompt'), same_key_value_for_pool: true });
  assert.deepEqual(dualPromptShapes(dualPromptOptions(pool, cfg, 10)), dualPromptShapes(dualPromptOptions(getPreset('split_mnist_dualprompt'), cfg, 10)));
  assert.match(configNotices(pool).join('\n'), /same_key_value_for_pool/);
  assert.throws(() => parseL2PConfig({ ...getPreset('split_mnist_dualprompt'), same_key_value: true }), /config key 'same_key_value' is unknown/);
});

const refusedLine = (o: DualPromptOptions, line: string) => throwsUser(() => validateDualPrompt(o), line);

test('every refusal of validateDualPrompt, line for line; the edge values it accepts', () => {
  refusedLine({ ...base, g: { ...base.g!, layers: [] } }, 'g_prompt_layer_idx is empty');
  refusedLine({ ...base, e: { ...base.e!, layers: [] } }, 'e_prompt_layer_idx is empty');
  refusedLine({ ...base, g: { ...base.g!, layers: [0.5] } }, "g_prompt_layer_idx holds 0.5, outside the backbone's layers [0, 3)");
  refusedLine({ ...base, e: { ...base.e!, layers: [1, 2, 1] } }, 'e_prompt_layer_idx repeats a layer: [1,2,1]');
  refusedLine({ ...base, g: { ...base.g!, length: 0 } }, 'g_prompt_length must be at least 1, got 0');
  refusedLine({ ...base, e: { ...base.e!, length: 0 } }, 'prompt_pool_param.length must be at least 1, got 0');
  refusedLine({ ...base, e: { ...base.e!, topK: 0 } }, 'prompt_pool_param.top_k 0 must lie in [1, prompt_pool_param.pool_size 10]');
  refusedLine({ ...base, g: { ...base.g!, prefixTune: false, sameKeyValue: true } }, 'same_key_value_for_shared applies to prefix-tuning only (use_prefix_tune_for_g_prompt is false)');
  const gTokens = { ...base.g!, layers: [2], prefixTune: false };
  refusedLine({ ...base, g: gTokens, e: null }, 'use_prefix_tune_for_g_prompt false needs use_prefix_tune_for_e_prompt false: the official encoder prepends g-prompt tokens only beside e-prompt tokens');
  refusedLine({ ...base, g: { ...gTokens, layers: [0, 2] }, e: { ...base.e!, prefixTune: false } }, 'with prompt-tuning, every g_prompt_layer_idx must also be in e_prompt_layer_idx (official encoder); [0] is not in [2]');
  refusedLine({ ...base, vit: { ...vit, hidden: 25 } }, 'hidden 25 is not a multiple of heads 2');
  const names = { gLayers: 'g_layers', gLength: 'g_length', eLayers: 'e_layers', eLength: 'e_length', topK: 'top_k', poolSize: 'pool' };
  assert.throws(() => validateDualPrompt({ ...base, e: { ...base.e!, topK: 11 } }, names), (e: unknown) => e instanceof UserError && e.message === 'top_k 11 must lie in [1, pool 10]');
  // Accepted: layer 0 and depth − 1, length 1, top_k equal to the pool, one prompt kind alone.
  validateDualPrompt({ ...base, g: { ...base.g!, layers: [0, 2], length: 1 }, e: { ...base.e!, layers: [0], length: 1, topK: 10 } });
  validateDualPrompt({ ...base, g: null });
  validateDualPrompt({ ...base, e: null });
});

test('eRows: the pool rows follow ascending layer index, the options untouched', () => {
  const e = { ...base.e!, layers: [2, 0, 1] };
  assert.deepEqual(eRows(e), [0, 1, 2]);
  assert.deepEqual(e.layers, [2, 0, 1]);
});

test('describeShape names every axis of every parameter', () => {
  const pt = { ...base, g: { ...base.g!, layers: [2], prefixTune: false }, e: { ...base.e!, layers: [1, 2], prefixTune: false } };
  const skv = { ...base, g: { ...base.g!, sameKeyValue: true } };
  assert.equal(describeShape(base, 'prefix'), '[depth 3, 2 (key, value), g_prompt_length 5, heads 2, head_dim 12]');
  assert.equal(describeShape(skv, 'prefix'), '[depth 3, 1 (same_key_value_for_shared), g_prompt_length 5, heads 2, head_dim 12]');
  assert.equal(describeShape(pt, 'prefix'), '[depth 3, g_prompt_length 5, hidden 24]');
  assert.equal(describeShape(base, 'prompt_pool/prompt'), '[len(e_prompt_layer_idx) 1, 2 (key, value), pool_size 10, length 5, heads 2, head_dim 12]');
  assert.equal(describeShape(pt, 'prompt_pool/prompt'), '[len(e_prompt_layer_idx) 2, pool_size 10, length 5, hidden 24]');
  assert.equal(describeShape(base, 'prompt_pool/key'), '[pool_size 10, hidden 24]');
  assert.equal(describeShape(base, 'head/kernel'), '[hidden 24, classes 8]');
  assert.equal(describeShape(base, 'head/bias'), '[classes 8]');
});

test('takeDualPromptParams: a missing key, a wrong shape and an extra key, each with its line', () => {
  const stored = () => new Map([...dualPromptShapes(base)].map(([k, shape]) => [k, { shape }]));
  assert.deepEqual(takeDualPromptParams(stored(), base, 'f.npz'), dualPromptShapes(base));
  const missing = stored();
  missing.delete('prompt_pool/key');
  assert.throws(() => takeDualPromptParams(missing, base, 'f.npz'), (e: unknown) => e instanceof UserError && e.message === "'f.npz': key 'prompt_pool/key' is missing (expected [pool_size 10, hidden 24])");
  const wrong = stored();
  wrong.set('head/bias', { shape: [9] });
  assert.throws(() => takeDualPromptParams(wrong, base, 'f.npz'), (e: unknown) => e instanceof UserError && e.message === "'f.npz': key 'head/bias' has shape [9], expected [classes 8] for this backbone");
  const extra = stored();
  extra.set('pre_logits/kernel', { shape: [24, 24] });
  assert.throws(() => takeDualPromptParams(extra, base, 'f.npz'), (e: unknown) => e instanceof UserError && e.message === "'f.npz': unexpected key 'pre_logits/kernel' [24,24]");
});

test('the prompt mask refusal names the ids that run past the pool', () => {
  assert.throws(() => promptMaskIds({ ...base.e!, poolSize: 5, topK: 2 }, 2), (e: unknown) => e instanceof UserError && e.message === 'prompt mask of task 2: ids 4..5 run past prompt_pool_param.pool_size 5');
  assert.deepEqual(promptMaskIds({ ...base.e!, poolSize: 5, topK: 2 }, 0), [0, 1]);
});

test('initialisation: uniform keys in [0, 0.01) when asked; the pool normal also with zero-mean signs; the prefix stays uniform', () => {
  const p = initDualPromptParams(base, { initializer: 'normal', keyInit: 'uniform', seed: 4 });
  const k = p.get('prompt_pool/key')!.data;
  assert.ok(k.every((x) => x >= 0 && x < 0.01) && k.some((x) => x > 0.005));
  assert.ok(p.get('prefix')!.data.every((x) => x >= 0 && x < 0.01));
  // Box–Muller pairs: the odd entries (sin) are normal too, not left at zero.
  const n = p.get('prompt_pool/prompt')!.data;
  const odd = n.filter((_, i) => i % 2 === 1);
  const sd = Math.sqrt(odd.reduce((s, x) => s + x * x, 0) / odd.length);
  assert.ok(Math.abs(sd - 0.01) < 0.0015 && odd.some((x) => x < 0), `odd stddev ${sd}`);
  assert.deepEqual(initDualPromptParams(base, { initializer: 'normal', keyInit: 'uniform', seed: 4 }).get('prompt_pool/key')!.data, k);
  assert.notDeepEqual(initDualPromptParams(base, { initializer: 'normal', keyInit: 'uniform', seed: 5 }).get('prompt_pool/key')!.data, k);
});

test('shared pool with prompt tokens copies along axis 1; task 0 copies nothing', () => {
  const e = { length: 1, layers: [0, 1], poolSize: 3, topK: 1, prefixTune: false };
  // [2 layers, M 3, Le 1, D 2]
  const prompt = { shape: [2, 3, 1, 2], data: Float32Array.from({ length: 12 }, (_, i) => i) };
  const key = { shape: [3, 2], data: Float32Array.from([0, 1, 2, 3, 4, 5]) };
  const params = new Map([['prompt_pool/prompt', prompt], ['prompt_pool/key', key]]);
  sharedPoolCopy(params, e, 0, true);
  assert.deepEqual(Array.from(prompt.data), Array.from({ length: 12 }, (_, i) => i));
  assert.deepEqual(Array.from(key.data), [0, 1, 2, 3, 4, 5]);
  sharedPoolCopy(params, e, 1, true);
  assert.deepEqual(Array.from(prompt.data), [0, 1, 0, 1, 4, 5, 6, 7, 6, 7, 10, 11]);
  assert.deepEqual(Array.from(key.data), [0, 1, 0, 1, 4, 5]);
});

test('copySlots moves n slots at once', () => {
  const data = Float32Array.from({ length: 8 }, (_, i) => i); // [2, 4, 1]: pool axis 1
  copySlots(data, [2, 4, 1], 1, 0, 2, 2);
  assert.deepEqual(Array.from(data), [0, 1, 0, 1, 4, 5, 4, 5]);
});

test('shared pool with top_k 2: task 2 copies slots [2, 4) onto [4, 6); task 3 would run past the pool of 6 and copies nothing', () => {
  const e = { length: 1, layers: [0], poolSize: 6, topK: 2, prefixTune: false };
  const prompt = { shape: [1, 6, 1, 1], data: Float32Array.from([10, 11, 12, 13, 14, 15]) }; // [1 layer, M 6, Le 1, D 1]
  const key = { shape: [6, 1], data: Float32Array.from([20, 21, 22, 23, 24, 25]) };
  const params = new Map([['prompt_pool/prompt', prompt], ['prompt_pool/key', key]]);
  sharedPoolCopy(params, e, 2, true);
  assert.deepEqual(Array.from(prompt.data), [10, 11, 12, 13, 12, 13]);
  assert.deepEqual(Array.from(key.data), [20, 21, 22, 23, 22, 23]);
  sharedPoolCopy(params, e, 3, true);
  assert.deepEqual(Array.from(prompt.data), [10, 11, 12, 13, 12, 13]);
  assert.deepEqual(Array.from(key.data), [20, 21, 22, 23, 22, 23]);
});

test('initialisation draws, value for value: prefix uniform, pool Box–Muller pairs (cos, sin), then uniform keys, from one mulberry32 stream; zero head', () => {
  // Values from an independent Python mulberry32(7): prefix 0.01·r (8 draws), pool pairs m = 0.01·√(−2 ln(1 − r)),
  // θ = 2π·r as (m cos θ, m sin θ) (16 draws), keys 0.01·r (8 draws), each rounded to float32.
  const o: DualPromptOptions = {
    vit: { hidden: 4, heads: 2, mlp: 8, depth: 1, patch: 16 },
    numClasses: 2,
    g: { length: 1, layers: [0], prefixTune: true, sameKeyValue: false },
    e: { length: 1, layers: [0], poolSize: 2, topK: 1, prefixTune: true },
    classifier: 'token',
    temperature: 1,
    normPreLogits: false,
  };
  const p = initDualPromptParams(o, { initializer: 'normal', keyInit: 'uniform', seed: 7 });
  const want: Record<string, number[]> = {
    prefix: [0.00011704752978403121, 0.000619582599028945, 0.009769076481461525, 0.006990286987274885, 0.0052144527435302734, 0.004055216908454895, 0.0046623265370726585, 0.0023992517963051796],
    'prompt_pool/prompt': [-0.001605293364264071, -0.012593970634043217, 0.00430235406383872, 0.006412585265934467, -0.01688242144882679, -0.0019608030561357737, -0.004474014975130558, 0.004888506140559912, -0.008133873343467712, -0.00180416414514184, 0.00830350536853075, -0.0011580274440348148, 0.005425226408988237, -0.00523896049708128, 0.004031356889754534, 0.005107636097818613],
    'prompt_pool/key': [0.001546440296806395, 0.0029095120262354612, 0.005479014478623867, 0.007618736941367388, 0.0007451808778569102, 0.00912940688431263, 0.005537107586860657, 0.006216248497366905],
  };
  for (const [k, w] of Object.entries(want)) {
    const got = Array.from(p.get(k)!.data);
    assert.equal(got.length, w.length, k);
    got.forEach((x, i) => assert.ok(Math.abs(x - w[i]) < 1e-9, `${k}[${i}] = ${x}, want ${w[i]}`));
  }
  for (const k of ['head/kernel', 'head/bias']) assert.ok(p.get(k)!.data.every((x) => x === 0), k);
});
