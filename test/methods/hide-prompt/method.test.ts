// HiDe-Prompt's glue: the presets against the official scripts' values, each config key it reads
// where it acts (phases, optimiser groups, schedule, shapes, the statistics kept, the alignment), and
// the classifier alignment of a task's end against a PyTorch transcription of the official
// train_task_adaptive_prediction fed the same sampled batches.
import assert from 'node:assert/strict';
import { runPython } from '../../helpers/python-cache.ts';
import { after, test } from 'node:test';
import { applyOverrides } from '../../../src/config/index.ts';
import { getPreset } from '../../../src/config/presets.ts';
import { hash32, Rng } from '../../../src/data/rng.ts';
import { UserError } from '../../../src/errors.ts';
import type { GradientPhase, GraphRunner } from '../../../src/methods/index.ts';
import { alignHead } from '../../../src/methods/hide-prompt/align.ts';
import { alignmentComponents, cosineAnnealingLr, crctNum, drawAlignmentEpoch, type ClassStore } from '../../../src/methods/hide-prompt/alignment.ts';
import { headShapes } from '../../../src/methods/hide-prompt/head.ts';
import { compile, disposeAll, type Compiled } from '../../../src/runtime/ort.ts';
import { createLearner } from '../../../src/train/experiment.ts';
import { randomViT } from '../../../src/vit/random.ts';
import { decodeVariant } from '../../../src/vit/variants.ts';
import type { Params } from '../../../src/vit/params.ts';

after(disposeAll);

test('the presets hold train_cifar100_vit.sh and train_imr_vit.sh', () => {
  const cifar = getPreset('cifar100_hideprompt');
  const imr = getPreset('imr_hideprompt');
  for (const [c, o] of [
    [cifar, { dataset: 'cifar100', classes: 10, epochs: 50, length: 5, reg: 0.1, sched: 'step' }],
    [imr, { dataset: 'imagenet_r', classes: 20, epochs: 150, length: 20, reg: 0.5, sched: 'cosine' }],
  ] as const) {
    assert.equal(c.method, 'hide_prompt');
    assert.deepEqual([c.dataset, c.continual.num_tasks, c.continual.num_classes_per_task], [o.dataset, 10, o.classes]);
    assert.deepEqual([c.per_device_batch_size, c.num_devices, c.optim, c.weight_decay, c.grad_clip_max_norm], [24, 8, 'adam', 0, 1]);
    assert.deepEqual([c.num_epochs, c.learning_rate, c.sched, c.decay_epochs, c.decay_rate, c.min_lr], [o.epochs, 0.03, o.sched, 30, 0.1, 1e-5]);
    assert.deepEqual([c.tii_epochs, c.tii_lr], [20, 0.0005]);
    assert.deepEqual([c.prompt_pool_param.length, c.prompt_pool_param.pool_size, c.prompt_pool_param.top_k, c.e_prompt_layer_idx], [o.length, 10, 1, [0, 1, 2, 3, 4]]);
    assert.deepEqual([c.prompt_momentum, c.reg, c.larger_prompt_lr], [0.01, o.reg, true]);
    assert.deepEqual([c.ca_storage_efficient_method, c.n_centroids, c.ca_lr, c.crct_epochs, c.not_train_ca, c.original_model_mlp_structure], ['multi-centroid', 10, 0.005, 30, false, [2]]);
  }
});

function learnerOf(sets: string[] = [], classes = 4) {
  const c = applyOverrides(getPreset('cifar100_hideprompt_smoke'), sets);
  const vit = decodeVariant(c.model_name);
  const grid = (c.input_size / vit.patch) ** 2;
  return { c, vit, learner: createLearner(c, { config: vit, numPatches: grid, params: randomViT(vit, grid, 7) }, classes) };
}

test('phases, parameter groups and schedules follow the keys', () => {
  const { c, vit, learner } = learnerOf(['tii_epochs=3', 'tii_lr=0.0512', 'num_epochs=40', 'sched=step', 'decay_epochs=10', 'decay_rate=0.5', 'per_device_batch_size=8']);
  const phases = learner.model.phases!(1);
  assert.deepEqual(phases.map((p) => (typeof p === 'string' ? p : `${p.kind}:${p.name}`)), ['gradient:tii', 'statistics:tii_stats', 'gradient:prompt', 'statistics:prompt_stats']);
  const [tii, , prompt] = phases as GradientPhase[];
  assert.equal(tii.epochs, 3);
  assert.ok(Math.abs(tii.lrAt(2) - (0.0512 * 8) / 256) < 1e-15);
  assert.equal(prompt.epochs, 40);
  const base = (c.learning_rate * 8) / 256;
  // timm's StepLRScheduler stepped after each epoch with that epoch's index: epoch e trains at the value for e − 1.
  for (const [e, k] of [[0, 0], [10, 0], [11, 1], [20, 1], [21, 2]]) assert.ok(Math.abs(prompt.lrAt(e) - base * 0.5 ** k) < 1e-15, `epoch ${e}`);
  assert.deepEqual(prompt.lrScale, [{ pattern: 'head/*', scale: 0.1 }]);
  assert.equal((learnerOf(['larger_prompt_lr=false']).learner.model.phases!(0)[2] as GradientPhase).lrScale, undefined);
  const cos = learnerOf(['sched=cosine', 'min_lr=0.001', 'num_epochs=10']).learner.model.phases!(0)[2] as GradientPhase;
  const b = (0.03 * 4) / 256;
  assert.ok(Math.abs(cos.lrAt(5) - (0.001 + ((b - 0.001) * (1 + Math.cos((Math.PI * 4) / 10))) / 2)) < 1e-15);
  // Shapes: the pool [layers, 2, pool, length, heads, hd], the TII MLP of original_model_mlp_structure.
  const d = vit.hidden;
  assert.deepEqual(learner.params.get('e_prompt/prompt')!.shape, [c.e_prompt_layer_idx!.length, 2, c.prompt_pool_param.pool_size, c.prompt_pool_param.length, vit.heads, d / vit.heads]);
  assert.deepEqual(learner.params.get('tii/mlp/fc1/kernel')!.shape, [d, 2 * d]);
  assert.equal(learnerOf(['original_model_mlp_structure=[]']).learner.params.has('tii/mlp/fc1/kernel'), false);
  assert.deepEqual(learnerOf(['original_model_mlp_structure=[3]']).learner.params.get('tii/mlp/fc1/kernel')!.shape, [d, 3 * d]);
});

test('the end-of-task momentum mixes slot t toward the mean of the earlier slots; the shared pool copies slot t − 1', () => {
  const { learner } = learnerOf(['prompt_momentum=0.25']);
  const pool = learner.params.get('e_prompt/prompt')!;
  const [layers, two, slots] = pool.shape;
  const inner = pool.data.length / (layers * two * slots);
  const before = pool.data.slice();
  (learner.model.phases!(1)[2] as GradientPhase).finish!(learner.params);
  for (let o = 0; o < layers * two; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (s: number) => (o * slots + s) * inner + j;
      assert.ok(Math.abs(pool.data[at(1)] - (0.75 * before[at(1)] + 0.25 * before[at(0)])) < 1e-6);
      assert.equal(pool.data[at(0)], before[at(0)]);
    }
  }
  learner.model.startTask(learner.params, 1);
  for (let o = 0; o < layers * two; o++) for (let j = 0; j < inner; j++) assert.equal(pool.data[(o * slots + 1) * inner + j], pool.data[(o * slots) * inner + j]);
});

test('refused settings name their key in one line', () => {
  const refusal = (key: string, value: string) => (e: unknown) => e instanceof UserError && e.message.startsWith(`config key '${key}' = ${value} is not supported with method 'hide_prompt': `) && /: \S[^:]*\S$/.test(e.message.slice(e.message.indexOf("'hide_prompt'")));
  const oneLine = (key: string) => (e: unknown) => e instanceof UserError && e.message.includes(`'${key}'`) && !e.message.includes('\n');
  for (const [set, key] of [['optim=sgd', 'optim'], ['learning_rate_schedule=cosine', 'learning_rate_schedule'], ['e_prompt_layer_idx=[0,5]', 'e_prompt_layer_idx'], ['original_model_mlp_structure=[2,2]', 'original_model_mlp_structure'], ['min_learning_rate=0.001', 'min_learning_rate'], ['reinit_optimizer=false', 'reinit_optimizer'], ['prompt_pool_param.pool_size=1', 'prompt_pool_param.pool_size']]) {
    assert.throws(() => learnerOf([set]), oneLine(key), set);
    // The value as set, and why the method cannot take it.
    if (key !== 'e_prompt_layer_idx') {
      const raw = set.slice(set.indexOf('=') + 1);
      const value = /^[a-z]/.test(raw) && raw !== 'false' ? JSON.stringify(raw) : JSON.stringify(JSON.parse(raw));
      assert.throws(() => learnerOf([set]), refusal(key, value), set);
    }
  }
  assert.throws(() => learnerOf(['num_epochs=2', 'warmup_epochs=1']), refusal('warmup_epochs', '1'));
  assert.throws(() => applyOverrides(getPreset('cifar100_hideprompt_smoke'), ['ca_storage_efficient_method=median']), oneLine('ca_storage_efficient_method'));
  assert.throws(() => applyOverrides(getPreset('cifar100_dualprompt_smoke'), ['reg=0.5']), oneLine('reg'));
});

test('the statistics kept follow ca_storage_efficient_method and n_centroids; not_train_ca leaves the heads as trained', async () => {
  for (const [sets, rows] of [[['n_centroids=3'], 3], [['ca_storage_efficient_method=variance'], 1], [['ca_storage_efficient_method=covariance'], 1]] as const) {
    const { vit, learner } = learnerOf([...sets]);
    const d = vit.hidden;
    const rng = new Rng(5);
    for (const [t, classes] of [[0, [0, 1]], [1, [2, 3]]] as const) {
      for (const phase of ['tii_stats', 'prompt_stats']) {
        const pass = learner.model.statistics!(t, phase);
        const labels = Int32Array.from({ length: 16 }, (_, i) => classes[i % 2]);
        pass.add(Float32Array.from({ length: 16 * d }, () => rng.float() * 2 - 1), labels);
        await pass.finish(learner.params, learner.graphs);
      }
    }
    // Acc@task over the test images: task 0's 7 of 10 on slot 0, task 1's 4 of 5 on slot 1.
    const usage = [[7, 3], [1, 4]];
    const kept = learner.model.kept!(usage, learner.params).values as { tii_rows: number; prompt_rows: number; task_classes: number[][]; acc_task: number };
    assert.deepEqual([kept.tii_rows, kept.prompt_rows, kept.task_classes], [4 * rows, 4 * rows, [[0, 1], [2, 3]]], sets.join());
    assert.ok(Math.abs(kept.acc_task - (100 * 11) / 15) < 1e-12);
    // The state round-trips through a fresh model.
    const again = learnerOf([...sets]).learner.model;
    again.loadState!(learner.model.saveState!());
    assert.deepEqual(again.kept!(usage, learner.params), learner.model.kept!(usage, learner.params));
  }
  const heads = async (sets: string[]) => {
    const { vit, learner } = learnerOf(sets);
    const d = vit.hidden;
    const before = learner.params.get('head/kernel')!.data.slice();
    const rng = new Rng(9);
    for (const t of [0, 1]) {
      const pass = learner.model.statistics!(t, 'prompt_stats');
      const tp = learner.model.statistics!(t, 'tii_stats');
      const labels = Int32Array.from({ length: 8 }, (_, i) => 2 * t + (i % 2));
      const f = Float32Array.from({ length: 8 * d }, () => rng.float());
      tp.add(f, labels);
      await tp.finish(learner.params, learner.graphs);
      pass.add(f, labels);
      await pass.finish(learner.params, learner.graphs);
    }
    return learner.params.get('head/kernel')!.data.some((v, i) => v !== before[i]);
  };
  assert.equal(await heads([]), true, 'task 1 aligns the prompted head');
  assert.equal(await heads(['not_train_ca=true']), false);
});

/** The official alignment loop in PyTorch: SGD(momentum 0.9), CosineAnnealingLR per epoch, CE of masked logits. */
const ALIGN = `
import json, sys, torch
torch.set_default_dtype(torch.float64)
d = json.load(sys.stdin)
D, C, r = d['dim'], d['classes'], d['ratio']
P = {k: torch.tensor(v['data']).reshape(v['shape']).requires_grad_() for k, v in d['params'].items()}
def forward(x):
    h = x
    if r > 0:
        inner = torch.nn.functional.gelu(x @ P['mlp/fc1/kernel'] + P['mlp/fc1/bias'])
        h = torch.nn.functional.layer_norm(x + inner @ P['mlp/fc2/kernel'] + P['mlp/fc2/bias'], (D,), P['mlp/norm/scale'], P['mlp/norm/bias'], 1e-5)
    return h @ P['head/kernel'] + P['head/bias']
opt = torch.optim.SGD(list(P.values()), lr=d['lr'], momentum=0.9, weight_decay=0)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=d['epochs'])
mask = torch.tensor(d['mask']) == 0
for epoch in d['batches']:
    for b in epoch:
        x = torch.tensor(b['features']).reshape(-1, D)
        logits = forward(x).masked_fill(mask, float('-inf'))
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(b['labels']))
        opt.zero_grad(); loss.backward(); opt.step()
    sched.step()
json.dump({k: v.detach().reshape(-1).tolist() for k, v in P.items()}, sys.stdout)
`;

for (const ratio of [2, 0]) {
  test(`the classifier alignment (${ratio ? 'the TII MLP and head' : 'the prompted head'}) as torch trains it on the same batches`, async () => {
    const dim = 6;
    const numClasses = 5;
    const rng = new Rng(3);
    const classes = [[0, 1], [2, 3]];
    const stores = new Map<number, ClassStore>();
    for (const cls of [0, 1, 2, 3]) {
      const vec = (s: number, o: number) => Float64Array.from({ length: dim }, () => o + s * rng.float());
      stores.set(cls, { kind: 'multi-centroid', c: { means: [vec(2, -1), vec(2, -1)], vars: [vec(0.5, 0.1), cls === 2 ? new Float64Array(dim) : vec(0.5, 0.1)], counts: [3, cls === 2 ? 1 : 4] } });
    }
    const prefix = ratio ? 'tii/' : '';
    const params: Params = new Map();
    for (const [k, shape] of headShapes({ dim, numClasses, mlpRatio: ratio })) params.set(prefix + k, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.float() - 0.5) * (k.endsWith('scale') ? 0.2 : 1) + (k.endsWith('scale') ? 1 : 0)) });
    const initial = Object.fromEntries([...headShapes({ dim, numClasses, mlpRatio: ratio })].map(([k, shape]) => [k, { shape, data: [...params.get(prefix + k)!.data] }]));
    const spec = { prefix, mlpRatio: ratio, dim, numClasses, perComponent: 4, lr: 0.3, epochs: 3, seed: 11 };
    const sessions = new Map<string, Compiled>();
    const graphs: GraphRunner = {
      run: async (plan, feeds) => {
        if (!sessions.has(plan.key)) sessions.set(plan.key, await compile(plan.build().outputs, {}));
        return sessions.get(plan.key)!.run(feeds);
      },
    };
    await alignHead(params, graphs, spec, classes, 1, stores);
    // The batches alignHead drew: its seeding (the seed, the task, the stage) and alignment.ts's draws.
    const draws = new Rng(hash32(spec.seed, 1, prefix.length));
    const components = alignmentComponents(classes, 1, stores);
    assert.equal(components.length, 7, 'the one-row centroid of class 2 is skipped');
    const batches = Array.from({ length: spec.epochs }, () => [...drawAlignmentEpoch(components, spec.perComponent, crctNum(classes, 1), draws)].map((b) => ({ features: [...b.features], labels: [...b.labels] })));
    assert.equal(batches[0].length, 2);
    assert.ok(cosineAnnealingLr(1, 1, 3) < 1);
    const mask = [1, 1, 1, 1, 0];
    const r = runPython(['-c', ALIGN], JSON.stringify({ dim, classes: numClasses, ratio, params: initial, lr: spec.lr, epochs: spec.epochs, batches, mask }), 1 << 26);
    assert.equal(r.status, 0, r.stderr);
    const want: Record<string, number[]> = JSON.parse(r.stdout);
    for (const [k, v] of Object.entries(want)) {
      const got = params.get(prefix + k)!.data;
      v.forEach((x, i) => assert.ok(Math.abs(got[i] - x) < 2e-5 * Math.max(1, Math.abs(x)), `${k}[${i}]: ${got[i]} vs ${x}`));
      assert.ok(v.some((x, i) => Math.abs(x - initial[k].data[i]) > 1e-3) || k.endsWith('bias'), `${k} moved`);
    }
  });
}

test('evaluation: the TII head over the seen classes picks the slot of each image, and the prompted model runs with it', async () => {
  const { c, vit, learner } = learnerOf([], 4);
  const n = 3;
  const images = Float32Array.from({ length: n * c.input_size * c.input_size * 3 }, (_, i) => Math.sin(i * 0.31) * 0.5 + 0.5);
  const labels = new Int32Array(n);
  const pool = learner.params.get('e_prompt/prompt')!;
  pool.data.forEach((_, i) => (pool.data[i] = Math.cos(i * 0.07)));
  // Class 3 (task 1) wins the TII logits by far: after task 1 every image takes slot 1; after task 0
  // class 3 is not seen, and the arg-max over classes 0 and 1 (class 1 next) gives slot 0.
  learner.params.get('tii/head/bias')!.data.set([0, 50, 0, 100]);
  for (const [t, slot] of [[1, 1], [0, 0]]) {
    learner.model.loadState!({ task_classes: [[0, 1], [2, 3]].slice(0, t + 1) });
    const r = await learner.evalBatch(images, labels, null);
    assert.deepEqual([...r.promptIds], new Array(n).fill(slot), `after task ${t}`);
    // The same logits as the prompted model's features with that slot fed, through the head.
    learner.atTask(slot);
    const f = await learner.features(images, labels, 'prompt_stats'); // [n, D]
    const d = vit.hidden;
    const w = learner.params.get('head/kernel')!.data; // [D, C]
    const b = learner.params.get('head/bias')!.data;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 4; k++) {
        let v = b[k];
        for (let j = 0; j < d; j++) v += f[i * d + j] * w[j * 4 + k];
        assert.ok(Math.abs(r.logits[i * 4 + k] - v) < 1e-4, `logit ${i},${k}: ${r.logits[i * 4 + k]} vs ${v}`);
      }
    }
  }
  // Another slot gives other features: the slot matters.
  learner.atTask(0);
  const f0 = await learner.features(images, labels, 'prompt_stats');
  learner.atTask(1);
  const f1 = await learner.features(images, labels, 'prompt_stats');
  assert.ok(f0.some((v, i) => Math.abs(v - f1[i]) > 1e-3));
});
