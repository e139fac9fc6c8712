// CODA-Prompt's options and method module: the components each task owns (official int(M / T)), the
// parameter shapes, every refusal line, the method entry, and the per-task seeding of new components.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { codaOptions, codaPrompt } from '../../src/methods/coda-prompt/index.ts';
import { codaShapes, componentsPerTask, gramSchmidtRows, initCodaParams, taskRange, validateCodaPrompt, type CodaPromptOptions } from '../../src/methods/coda-prompt/options.ts';
import { mulberry32 } from '../../src/random.ts';
import { randomViT } from '../../src/vit/random.ts';
import { throwsUser } from '../helpers/errors.ts';

const vitCfg = { hidden: 16, depth: 3, heads: 2, mlp: 32, patch: 8 };
const opts: CodaPromptOptions = { vit: vitCfg, numClasses: 6, poolSize: 7, length: 4, orthoMu: 0.1, layers: [0, 2], numTasks: 3 };

test('components per task: the official int(M / T); task t owns [t·pt, (t+1)·pt)', () => {
  assert.equal(componentsPerTask(opts), 2);
  assert.deepEqual(taskRange(opts, 0), { start: 0, end: 2 });
  assert.deepEqual(taskRange(opts, 2), { start: 4, end: 6 });
  assert.equal(componentsPerTask({ ...opts, poolSize: 6 }), 2);
});

test('parameter shapes: P [M, Lp, D], K and A [M, D] per layer as prompt/e_*_<layer>, then the head', () => {
  assert.deepEqual([...codaShapes(opts)], [
    ['prompt/e_p_0', [7, 4, 16]], ['prompt/e_k_0', [7, 16]], ['prompt/e_a_0', [7, 16]],
    ['prompt/e_p_2', [7, 4, 16]], ['prompt/e_k_2', [7, 16]], ['prompt/e_a_2', [7, 16]],
    ['head/kernel', [16, 6]], ['head/bias', [6]],
  ]);
});

const refusedLine = (o: CodaPromptOptions, line: string) => throwsUser(() => validateCodaPrompt(o), line);

test('every refusal of validateCodaPrompt, line for line; the edge values it accepts', () => {
  refusedLine({ ...opts, layers: [] }, 'CODA-Prompt layers is empty');
  refusedLine({ ...opts, layers: [-1] }, "CODA-Prompt layers holds -1, outside the backbone's layers [0, 3)");
  refusedLine({ ...opts, layers: [3] }, "CODA-Prompt layers holds 3, outside the backbone's layers [0, 3)");
  refusedLine({ ...opts, layers: [1.5] }, "CODA-Prompt layers holds 1.5, outside the backbone's layers [0, 3)");
  refusedLine({ ...opts, layers: [2, 0, 2] }, 'CODA-Prompt layers repeats a layer: [2,0,2]');
  refusedLine({ ...opts, length: 0 }, 'CODA-Prompt prompt length 0 must be even and at least 2 (half keys, half values)');
  refusedLine({ ...opts, length: 5 }, 'CODA-Prompt prompt length 5 must be even and at least 2 (half keys, half values)');
  refusedLine({ ...opts, poolSize: 2 }, 'CODA-Prompt pool size 2 gives no component to each of 3 tasks');
  refusedLine({ ...opts, orthoMu: -0.5 }, 'CODA-Prompt ortho weight must be >= 0, got -0.5');
  refusedLine({ ...opts, orthoMu: NaN }, 'CODA-Prompt ortho weight must be >= 0, got NaN');
  validateCodaPrompt({ ...opts, layers: [0, 2], length: 2, poolSize: 3, orthoMu: 0 });
});

const cfg = { hidden: 16, heads: 2, mlp: 32, depth: 3, patch: 8 };
const vit = { config: cfg, numPatches: 4, params: randomViT(cfg, 4) };
const coda = (): L2PConfig => {
  const c = getPreset('split_mnist_coda_prompt');
  return { ...c, continual: { ...c.continual, num_tasks: 3 }, coda_prompt_param: { pool_size: 6, length: 4, ortho_mu: 0.1, layer_idx: [1, 2] } }; // 2 components per task
};
const refused = (c: L2PConfig, line: string) => throwsUser(() => codaPrompt.create(c, vit, 10), line);

test('the config read into options: pool, length, ortho weight, layers and the number of tasks', () => {
  const c = coda();
  assert.deepEqual(codaOptions(c, cfg, 10), { vit: cfg, numClasses: 10, poolSize: 6, length: 4, orthoMu: 0.1, layers: [1, 2], numTasks: 3 });
  assert.throws(() => codaOptions({ ...c, coda_prompt_param: { ...c.coda_prompt_param!, length: 3 } }, cfg, 10), /prompt length 3 must be even/);
});

test('settings CODA-Prompt has no graph for are refused with their exact line; adamw decay is accepted', () => {
  const c = coda();
  refused({ ...c, grad_clip_scope: 'all' }, `config key 'grad_clip_scope' = "all" is not supported with method 'coda_prompt': CODA-Prompt's graph gives no frozen gradients; set grad_clip_scope=trained`);
  refused({ ...c, weight_decay: 0.01, optim: 'adam' }, `config key 'weight_decay' = 0.01 is not supported with method 'coda_prompt': the L2 loss term of 'adam'/'sgd' is not in CODA-Prompt's graph (the official settings use 0)`);
  refused({ ...c, continual: { ...c.continual, train_mask: false } }, `config key 'continual.train_mask' = false is not supported with method 'coda_prompt': CODA-Prompt always trains on the current task's logits`);
  assert.ok(codaPrompt.create({ ...c, weight_decay: 0.01, optim: 'adamw' }, vit, 10));
});

test('the method model: trains prompt/* and head/*, weighted selection, no query, no selection accuracy, keys per task and batch', () => {
  const m = codaPrompt.create(coda(), vit, 10);
  assert.deepEqual(m.trains, ['prompt/*', 'head/*']);
  assert.equal(m.evalSelection, 'weighted');
  assert.equal(m.usesQuery, false);
  assert.equal(m.selectionAccuracy([[1, 2]]), null);
  const spec = { params: m.params, imageSize: [16, 16] as [number, number], isTrained: () => true, weightDecay: 0 };
  const trainKeys = [m.train({ ...spec, taskId: 0, batch: 2 }).key, m.train({ ...spec, taskId: 1, batch: 2 }).key, m.train({ ...spec, taskId: 0, batch: 3 }).key, m.train({ ...spec, taskId: 0, batch: 2, features: true }).key];
  assert.equal(new Set(trainKeys).size, 4, trainKeys.join(' | '));
  const ev = { ...spec, queryFed: false };
  const evalKeys = [m.eval({ ...ev, taskId: 0, batch: 2 }).key, m.eval({ ...ev, taskId: 1, batch: 2 }).key, m.eval({ ...ev, taskId: 0, batch: 3 }).key, m.eval({ ...ev, taskId: 0, batch: 2, features: true }).key];
  assert.equal(new Set(evalKeys).size, 4, evalKeys.join(' | '));
  assert.ok(!evalKeys.includes(trainKeys[0]));
  assert.deepEqual(m.train({ ...spec, taskId: 0, batch: 2 }).feeds(2), {});
  assert.deepEqual(m.eval({ ...ev, taskId: 0, batch: 2 }).feeds(2), {});
});

test('the method entry: name, a summary naming it, every task in order, sequential, tested on the classes seen', () => {
  assert.equal(codaPrompt.name, 'coda_prompt');
  assert.match(codaPrompt.summary, /^CODA-Prompt: /);
  assert.deepEqual(codaPrompt.trainTasks([0, 1] as never, () => { throw new Error('no concat'); }), [0, 1]);
  assert.equal(codaPrompt.sequential, true);
  assert.equal(codaPrompt.evalClasses, 'seen');
});

test('startTask: task 0 leaves the parameters alone; task t draws its components from seed·7919 + t', () => {
  const c = { ...coda(), seed: 3 };
  const m = codaPrompt.create(c, vit, 10);
  const o = codaOptions(c, cfg, 10);
  // Task 0 from its own seed: the constructor's draw, as initCodaParams with mulberry32(3·7919 + 0).
  assert.deepEqual(m.params, initCodaParams(o, mulberry32(3 * 7919)));
  // As loaded or trained: task 0 must not redraw what it holds (a redraw from the same seed would hide it).
  for (const v of m.params.values()) v.data.forEach((x, i, a) => (a[i] = x * 0.5 + (i % 3) * 1e-3));
  const before = new Map([...m.params].map(([k, v]) => [k, v.data.slice()]));
  m.startTask(m.params, 0);
  for (const [k, v] of m.params) assert.deepEqual(v.data, before.get(k), k);
  m.startTask(m.params, 1);
  const want = before.get('prompt/e_k_1')!;
  const r = mulberry32(3 * 7919 + 1);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  // startCodaTask visits layers in order, P, K, A each: layer 1's P draws first.
  gramSchmidtRows(before.get('prompt/e_p_1')!, 6, 2, 4, normal, 'prompt/e_p_1');
  gramSchmidtRows(want, 6, 2, 4, normal, 'prompt/e_k_1');
  assert.deepEqual(m.params.get('prompt/e_k_1')!.data, want);
});

test('ortho weight 0 (the official setting) builds no penalty: no ortho output; a positive weight adds it', async () => {
  const { buildCodaTrainStep } = await import('../../src/methods/coda-prompt/model.ts');
  const o = codaOptions(coda(), cfg, 10);
  const params = new Map([...randomViT(cfg, 4), ...initCodaParams(o, mulberry32(1))]);
  const outputs = (orthoMu: number) => Object.keys(buildCodaTrainStep(params, { model: { ...o, orthoMu }, taskId: 0, batch: 2, imageSize: [16, 16], isTrained: (k) => !k.startsWith('Transformer') && !k.startsWith('embedding') && !k.startsWith('cls') }).outputs);
  assert.ok(!outputs(0).includes('ortho'), outputs(0).join(' '));
  assert.ok(outputs(0.1).includes('ortho'));
});

test('initialisation takes exactly its draws: n normals (two uniforms each) per new row of every P, K, A, then one uniform per head entry', () => {
  let calls = 0;
  const base = mulberry32(11);
  const r = () => (calls++, base());
  initCodaParams(opts, r);
  // Task 0 owns rows [0, 2) of each layer's P [7, 4·16], K [7, 16], A [7, 16]; head kernel [16, 6] and bias [6].
  const perLayer = 2 * (64 + 16 + 16) * 2;
  assert.equal(calls, 2 * perLayer + 16 * 6 + 6);
});

test('Gram–Schmidt against a zero earlier row: the official redraws, but no draw can pass, so it is refused with its line', () => {
  const rows = new Float32Array(3 * 2); // row 0 kept at zero
  throwsUser(() => gramSchmidtRows(rows, 3, 1, 2, () => 1, 'prompt/e_k_0'), 'CODA-Prompt prompt/e_k_0: row 0 has squared norm 0, under 1e-8, so row 1 cannot be drawn orthogonal to it (the official Gram–Schmidt redraws forever); a row has 2 entries');
});

test('more components than a key has entries: refused when the first row past them is drawn, not a loop that never ends', () => {
  // Hidden 8, 10 components in task 0: K rows 0-7 span the space, row 8 is left ~0, row 9 meets it.
  const o: CodaPromptOptions = { vit: { hidden: 8, depth: 1, heads: 2, mlp: 16, patch: 8 }, numClasses: 2, poolSize: 20, length: 2, orthoMu: 0, layers: [0], numTasks: 2 };
  throwsUser(() => initCodaParams(o, mulberry32(1)), /^CODA-Prompt prompt\/e_k_0: row 8 has squared norm \S+, under 1e-8, so row 9 cannot be drawn orthogonal to it \(the official Gram–Schmidt redraws forever\); a row has 8 entries$/);
});

test('Gram–Schmidt threshold, as the official `denominator < 1e-8`: an earlier row of squared norm exactly 1e-8 is projected out, one just below is refused', () => {
  // Integers a_i < 2^24 with Σ a_i² = 3022314549036573, and 1e-8 is exactly 3022314549036573 · 2^−78 (Python
  // math.frexp): rows a_i · 2^−39 are float32 and their squares sum exactly, in any order, to the double 1e-8.
  const a = [...Array(10).fill(16777215), 14407120, 3281, 101]; // then 69, and two zeros: n = 16
  const kept = (last: number) => Float32Array.from([...a, last, 0, 0].map((x) => x * 2 ** -39));
  const r = mulberry32(2);
  const normal = () => r() - 0.5;
  const at = kept(69);
  assert.equal(at.reduce((s, x) => s + x * x, 0), 1e-8);
  const rows = new Float32Array(2 * 16);
  rows.set(at);
  gramSchmidtRows(rows, 2, 1, 2, normal, 'rows');
  const dot = (i: number, j: number) => rows.subarray(16 * i, 16 * i + 16).reduce((s, x, t) => s + x * rows[16 * j + t], 0);
  assert.ok(Math.abs(dot(1, 1) - 1) < 1e-6 && Math.abs(dot(0, 1)) < 1e-9, `${dot(1, 1)} ${dot(0, 1)}`);
  const below = new Float32Array(2 * 16);
  below.set(kept(68)); // (3022314549036573 − 69² + 68²) · 2^−78
  throwsUser(() => gramSchmidtRows(below, 2, 1, 2, normal, 'rows'), 'CODA-Prompt rows: row 0 has squared norm 9.999999999999547e-9, under 1e-8, so row 1 cannot be drawn orthogonal to it (the official Gram–Schmidt redraws forever); a row has 16 entries');
});
