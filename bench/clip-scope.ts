// Two exact ways to get the frozen backbone's gradient norm for grad_clip_scope 'all', on the real
// step graph (ViT-B/16, batch 8, 25 prompt tokens): the graph outputs every frozen gradient and the
// host sums their squares ('tensors', what a step over several devices needs, since the norm is of
// the mean over devices), or the graph reduces them to one scalar ('sum_squares', one device).
// Beside them the step without frozen gradients (scope 'trained'). Best of --iters after a warm-up.
//
//   npx tsx bench/clip-scope.ts [--model B/16] [--batch 8] [--iters 3]
import { parseArgs } from 'node:util';
import { getPreset } from '../src/config/presets.ts';
import * as g from '../src/graph/index.ts';
import { buildTrainStep, type StepSpec } from '../src/methods/l2p/step.ts';
import { compile, disposeAll, type HostTensor } from '../src/runtime/ort.ts';
import { createLearner, modelOptions } from '../src/train/experiment.ts';
import { randomViT } from '../src/vit/random.ts';
import { decodeVariant } from '../src/vit/variants.ts';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'B/16' }, batch: { type: 'string', default: '8' }, iters: { type: 'string', default: '3' } } });
const vit = decodeVariant(values.model!);
const b = Number(values.batch);
const base = getPreset('cifar100_l2p');
const config = { ...base, model_name: values.model!, per_device_batch_size: b, num_devices: 1, prompt_pool_param: { ...base.prompt_pool_param, length: 5, top_k: 5 } };
const learner = createLearner(config, { config: vit, numPatches: 196, params: randomViT(vit, 196, 1) }, 100);
learner.params.get('head/kernel')!.data.forEach((_, i, a) => (a[i] = 0.02 * (((i * 7919) % 101) / 101 - 0.5)));
const spec: StepSpec = {
  model: modelOptions(config, vit, 100), batch: b, imageSize: [224, 224], selection: 'batchwise', voteGroup: b, trainMask: true, pull: 1,
  isTrained: (k) => k.startsWith('prompt_pool/') || k.startsWith('head/'),
};
const feeds: Record<string, HostTensor> = {
  images: { shape: [b, 224, 224, 3], data: Float32Array.from({ length: b * 224 * 224 * 3 }, (_, i) => (i % 251) / 251) },
  labels: { shape: [b], data: Int32Array.from({ length: b }, (_, i) => i % 10) },
  class_mask: { shape: [100], data: Uint8Array.from({ length: 100 }, (_, i) => (i < 10 ? 1 : 0)) },
};

// The three graphs compiled side by side and timed in alternation, so that a change in the
// machine's load reaches all three alike; the best round of each is reported.
const modes = [undefined, 'sum_squares', 'tensors'] as const;
const runners = [];
for (const frozenGrads of modes) {
  const step = buildTrainStep(learner.params, { ...spec, frozenGrads });
  const session = await compile(step.outputs, { constantsAsInputsOver: 4096 });
  for (const t of step.trained) feeds[t.label!] = { shape: t.shape, data: learner.params.get(t.label!)!.data };
  const trainedPaths = new Set(step.trained.map((t) => t.label!));
  const once = async () => {
    const r = await session.run(feeds);
    let sq = r.frozen_grad_sq ? (r.frozen_grad_sq.data as Float32Array)[0] : 0;
    for (const k of step.gradPaths) {
      if (trainedPaths.has(k)) continue;
      const gr = r[`grad/${k}`].data as Float32Array;
      for (let i = 0; i < gr.length; i++) sq += gr[i] * gr[i];
    }
    return sq;
  };
  runners.push({ name: frozenGrads ?? 'none (scope trained)', once, gflop: g.matmulFlops(Object.values(step.outputs)) / b / 1e9, best: Infinity, norm: Math.sqrt(await once()) });
}
for (let i = 0; i < Number(values.iters); i++) {
  for (const r of runners) {
    const t0 = performance.now();
    await r.once();
    r.best = Math.min(r.best, (performance.now() - t0) / 1000);
  }
}
const rows = runners.map((r) => `${r.name.padEnd(22)} ${(r.best / b).toFixed(4)} s/img  ${r.gflop.toFixed(1)} GFLOP/img`);
const norms = runners.map((r) => r.norm);
console.log(`${values.model}, batch ${b}: the step graph by how it gives the frozen gradients`);
for (const r of rows) console.log(r);
console.log(`frozen gradient norm: sum_squares ${norms[1].toExponential(6)}, tensors ${norms[2].toExponential(6)}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await disposeAll();
