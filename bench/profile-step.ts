// Where the time of one L2P training step goes: ONNX Runtime's profiler on the step graph (ViT-B/16,
// batch 8, 25 prompt tokens), summed by operator type. The session is the runtime's (weights fed, its
// session options). Each node counts with its fastest of the profiled runs: on a machine other
// processes share, a kernel descheduled half-way would otherwise count the wait.
//
//   npx tsx bench/profile-step.ts [--model B/16] [--batch 8] [--threads 0] [--runs 4]
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { getPreset } from '../src/config/presets.ts';
import { buildTrainStep } from '../src/methods/l2p/step.ts';
import { toOnnx } from '../src/runtime/onnx.ts';
import { sessionOptions } from '../src/runtime/ort.ts';
import { createLearner, modelOptions } from '../src/train/experiment.ts';
import { randomViT } from '../src/vit/random.ts';
import { decodeVariant } from '../src/vit/variants.ts';

const { values } = parseArgs({
  options: { model: { type: 'string', default: 'B/16' }, batch: { type: 'string', default: '8' }, threads: { type: 'string', default: '0' }, runs: { type: 'string', default: '4' } },
});
const vit = decodeVariant(values.model!);
const b = Number(values.batch);
const base = getPreset('cifar100_l2p');
const config = { ...base, model_name: values.model!, per_device_batch_size: b, num_devices: 1, prompt_pool_param: { ...base.prompt_pool_param, length: 5, top_k: 5 } };
const learner = createLearner(config, { config: vit, numPatches: 196, params: randomViT(vit, 196, 1) }, 100);
const step = buildTrainStep(learner.params, {
  model: modelOptions(config, vit, 100), batch: b, imageSize: [224, 224], selection: 'batchwise', voteGroup: b, trainMask: true, pull: 1,
  isTrained: (k) => k.startsWith('prompt_pool/') || k.startsWith('head/'),
});
const model = toOnnx(step.outputs, { constantsAsInputsOver: 4096 });
const prefix = join(tmpdir(), `l2p-profile-${process.pid}`);
const session = await ort.InferenceSession.create(model.bytes, { ...sessionOptions({ threads: Number(values.threads) }), enableProfiling: true, profileFilePrefix: prefix });
const feeds: Record<string, ort.Tensor> = {
  images: new ort.Tensor('float32', Float32Array.from({ length: b * 224 * 224 * 3 }, (_, i) => (i % 251) / 251), [b, 224, 224, 3]),
  labels: new ort.Tensor('int32', Int32Array.from({ length: b }, (_, i) => i % 10), [b]),
  class_mask: new ort.Tensor('bool', Uint8Array.from({ length: 100 }, (_, i) => (i < 10 ? 1 : 0)), [100]),
};
for (const c of model.constantInputs) feeds[c.name] = new ort.Tensor('float32', c.value as Float32Array, [...c.shape]);
for (const t of step.trained) feeds[t.label!] = new ort.Tensor('float32', learner.params.get(t.label!)!.data, [...t.shape]);
const runs = Number(values.runs);
for (let i = 0; i < runs; i++) await session.run(feeds);
(session as unknown as { endProfiling(): void }).endProfiling();
// onnxruntime names the file <prefix>_<date>_<time>.json.
const name = readdirSync(tmpdir()).find((f) => f.startsWith(basename(prefix)) && f.endsWith('.json'));
if (!name) throw new Error(`no profile written under ${tmpdir()}`);
const file = join(tmpdir(), name);
const events: { cat?: string; name: string; dur: number; args?: { op_name?: string } }[] = JSON.parse(readFileSync(file, 'utf8'));
// The fastest run of each node (its name), then summed by operator type.
const fastest = new Map<string, { op: string; dur: number }>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const prev = fastest.get(e.name);
  if (!prev || e.dur < prev.dur) fastest.set(e.name, { op: e.args?.op_name ?? '?', dur: e.dur });
}
const byOp = new Map<string, number>();
let total = 0;
for (const { op, dur } of fastest.values()) {
  byOp.set(op, (byOp.get(op) ?? 0) + dur);
  total += dur;
}
console.log(`${values.model} training step, batch ${b}: ${(total / 1000).toFixed(0)} ms of kernel time (each node's fastest of ${runs} runs)`);
for (const [op, d] of [...byOp].sort((x, y) => y[1] - x[1]).slice(0, 14)) {
  console.log(`${op.padEnd(22)} ${((100 * d) / total).toFixed(1).padStart(5)} %`);
}
rmSync(file, { force: true });
