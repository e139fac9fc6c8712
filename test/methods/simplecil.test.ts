// SimpleCIL: its closed-form step (class-mean prototypes of the frozen features, cosine classifier)
// against an independent NumPy reference written below, its config keys, its bad input, and a run
// through `l2p train` stopped in its statistics pass and resumed.
import assert from 'node:assert/strict';
import { runPython } from '../helpers/python-cache.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { applyOverrides } from '../../src/config/index.ts';
import { getPreset } from '../../src/config/presets.ts';
import { UserError } from '../../src/errors.ts';
import { prototypePass } from '../../src/methods/simplecil/prototypes.ts';
import { loadRun } from '../../src/report/run-data.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';
import { checkpoints, referenceRun, stopAndResume, trainArgv } from './closed-form-helpers.ts';

after(disposeAll);

/** LAMDA-PILOT's replace_fc and CosineLinear (sigma 1) in NumPy: prototypes [C, D] and logits [n, C]. */
const REFERENCE = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
D, C = d['hidden'], d['classes']
train = np.array(d['train'], dtype=np.float64).reshape(-1, D)
labels = np.array(d['labels'])
test = np.array(d['test'], dtype=np.float64).reshape(-1, D)
protos = np.zeros((C, D))
for c in np.unique(labels):
    protos[c] = train[labels == c].mean(0)
def normalize(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
logits = normalize(test) @ normalize(protos).T
json.dump({'protos': protos.ravel().tolist(), 'logits': logits.ravel().tolist()}, sys.stdout)
`;

function numpy(input: object): { protos: number[]; logits: number[] } {
  const r = runPython(['-c', REFERENCE], JSON.stringify(input), 1 << 26);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('the closed-form step: prototypes and cosine logits as NumPy computes them from the same features', async () => {
  const c = getPreset('cifar100_simplecil_smoke');
  const vit = decodeVariant(c.model_name);
  const size = c.input_size;
  const grid = (size / vit.patch) ** 2;
  const classes = 6;
  const learner = createLearner(c, { config: vit, numPatches: grid, params: randomViT(vit, grid, 3) }, classes);
  const model = learner.model;
  assert.deepEqual(model.phases!(0), ['statistics']);
  assert.equal(learner.trainedTensors.size, 0, 'nothing trains');
  const image = (n: number, seed: number) => Float32Array.from({ length: n * size * size * 3 }, (_, i) => Math.sin(i * 0.37 + seed * 1.3) * 0.5 + 0.5);
  // Classes 1, 2 and 4 seen (4 with one example); 0, 3 and 5 not.
  const labels = Int32Array.of(1, 2, 1, 4, 2, 2, 1);
  const pass = model.statistics!(0);
  const feats: Float32Array[] = [];
  for (const [s, e] of [[0, 4], [4, 7]]) {
    const f = await learner.features(image(e - s, s), labels.subarray(s, e));
    feats.push(f);
    pass.add(f, labels.subarray(s, e));
  }
  await pass.finish(learner.params, learner.graphs);
  const testImages = image(3, 99);
  const testFeatures = await learner.features(testImages, new Int32Array(3));
  const ev = await learner.evalBatch(testImages, new Int32Array(3), null);
  const D = vit.hidden;
  const want = numpy({ hidden: D, classes, train: feats.flatMap((f) => [...f]), labels: [...labels], test: [...testFeatures] });
  const kernel = learner.params.get('head/kernel')!; // [D, C]
  for (let k = 0; k < classes; k++) {
    for (let j = 0; j < D; j++) assert.ok(Math.abs(kernel.data[j * classes + k] - want.protos[k * D + j]) < 1e-5, `prototype ${k}[${j}]`);
  }
  want.logits.forEach((v, i) => assert.ok(Math.abs(ev.logits[i] - v) < 1e-5, `logit ${i}: ${ev.logits[i]} vs ${v}`));
  // A class with one example in the task (4, row 3) is no error: its prototype is that example, the
  // official mean of one.
  for (let j = 0; j < D; j++) assert.equal(kernel.data[j * classes + 4], feats[0][3 * D + j], `class 4's prototype [${j}]`);
  // Unseen classes have zero prototypes and a zero cosine.
  for (const k of [0, 3, 5]) for (let i = 0; i < 3; i++) assert.equal(ev.logits[i * classes + k], 0);
});

test('a non-finite feature is refused in one line naming the task and class', () => {
  const pass = prototypePass(2, 3, 4);
  assert.throws(() => pass.add(Float32Array.of(1, 2, 3, 1, Number.NaN, 0), Int32Array.of(0, 3)), (e: unknown) => e instanceof UserError && e.message === 'task 2: a training example of class 3 has a non-finite feature; its prototype cannot be formed');
});

test("SimpleCIL reads no method key: another method's key away from its default is refused, naming it", () => {
  const c = getPreset('cifar100_simplecil_smoke');
  for (const set of ['prompt_pool_param.pool_size=7', 'temperature=2', 'pull_constraint=true']) {
    assert.throws(() => applyOverrides(c, [set]), (e: unknown) => e instanceof UserError && e.message.includes(`'${set.split('=')[0]}'`) && !e.message.includes('\n'), set);
  }
});

const dataDir = tempDir('simplecil-data');
before(() => writePresetData(dataDir));

test('l2p train: no step, the prototypes in each checkpoint; a stop in the statistics pass resumes to the same results', () => {
  const argv = trainArgv('cifar100_simplecil_smoke', dataDir);
  const ref = referenceRun(argv, 'simplecil');
  assert.equal(ref.want.images, 0, 'no training image went through an optimiser step');
  assert.equal(ref.want.acc.length, 2);
  assert.deepEqual(checkpoints(ref.workdir), { files: ['ckpt-00000000.t0001.npz', 'ckpt-00000000.t0002.npz'], keys: ['params/head/kernel'] });
  // what it keeps: a prototype for each of the 2 × 2 classes trained, read off the head, in summary.json and the report
  const summary = JSON.parse(readFileSync(join(ref.workdir, 'summary.json'), 'utf8'));
  const width = decodeVariant('ViT-mu_8').hidden;
  assert.deepEqual([summary.kept.values.prototypes, summary.kept.values.width, summary.kept.values.classes.length], [4, width, 4]);
  assert.match(summary.kept.text, new RegExp(`^SimpleCIL keeps 4 class prototypes of width ${width} `));
  assert.ok(loadRun(ref.workdir).notes.includes(summary.kept.text), 'the report lists what SimpleCIL keeps');
  stopAndResume(argv, 'simplecil', ['stats-batch:3'], ref.want);
});
