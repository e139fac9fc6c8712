// Where ONNX Runtime places the nodes of every graph the commands run, on a provider (default webgpu):
// each graph is compiled in a child process of its own with ONNX Runtime's verbose log on, and the log's
// "Node placements" section is read back. Prints JSON: graph -> the nodes left on the CPU provider.
//   npx tsx bench/gpu/placement.ts [--device webgpu] [--model mu/8] [--image 32] [--batch 4] [--precision fp32|fp16]
// Without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (docs/gpu.md).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import * as g from '../../src/graph/index.ts';
import { buildEvalStep, buildTrainStep, type SelectionKind } from '../../src/methods/l2p/step.ts';
import type { StepGraph } from '../../src/methods/step.ts';
import { buildQueryStep } from '../../src/vit/query.ts';
import { compile, disposeAll, type Device } from '../../src/runtime/ort.ts';
import { createLearner, modelOptions } from '../../src/train/setup.ts';
import { pretrainGraph } from '../../src/train/pretrain.ts';
import type { LoadedViT } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

export interface Placement {
  /** Nodes per provider ("Type (name)"), for each graph by name. */
  [graph: string]: { total: number; cpu: string[] };
}

/** The graphs of train, eval, predict, features, bench, demo, pretrain and debug-step at a small size. */
export function hotGraphs(model: string, image: number, batch: number): Record<string, () => Record<string, g.Tensor>> {
  const base = getPreset('cifar100_l2p');
  const config = { ...base, model_name: model, input_size: image, per_device_batch_size: batch, prompt_pool_param: { ...base.prompt_pool_param, pool_size: 6, length: 2, top_k: 2 } };
  const vit = decodeVariant(model);
  const grid = image / vit.patch;
  const backbone: LoadedViT = { config: vit, numPatches: grid * grid, params: randomViT(vit, grid * grid, 0) };
  const learner = createLearner(config, backbone, 10);
  const int8 = modelOptions({ ...config, query_precision: 'int8' }, vit, 10);
  const headOnly = createLearner({ ...config, method: 'head_only' }, backbone, 10);
  const spec = { model: modelOptions(config, vit, 10), batch, imageSize: [image, image] as [number, number], voteGroup: batch };
  const trained = (k: string) => k.startsWith('prompt_pool/') || k.startsWith('head/');
  const train = (selection: SelectionKind, all: boolean) => () =>
    buildTrainStep(learner.params, { ...spec, selection, trainMask: true, pull: 0.1, isTrained: trained, weightDecay: 1e-4, frozenGrads: all ? 'sum_squares' : undefined }).outputs;
  const evaluate = (selection: SelectionKind, queryFed: boolean) => () => buildEvalStep(learner.params, { ...spec, selection, isTrained: trained, queryFed }).outputs;
  const out: Record<string, () => Record<string, g.Tensor>> = {
    query: () => buildQueryStep(learner.params, spec).outputs,
    // Opt-in (query_precision int8), a CPU lever: its integer matmuls have no WebGPU kernels.
    'query int8 (opt-in)': () => buildQueryStep(learner.params, { ...spec, model: int8 }).outputs,
    'train batchwise, clip over trained': train('batchwise', false),
    'train batchwise, clip over all': train('batchwise', true),
    'train per_instance': train('per_instance', false),
    'train fixed prompts (use_prompt_mask)': train('fixed', false),
    'train head only': () =>
      headOnly.model.train({ params: headOnly.params, taskId: 0, batch, imageSize: spec.imageSize, isTrained: (k) => k.startsWith('head/'), weightDecay: 0 }).build().outputs,
    'eval per_instance': evaluate('per_instance', false),
    'eval per_instance, query fed': evaluate('per_instance', true),
    'eval batchwise, query fed': evaluate('batchwise', true),
    'eval fixed prompts': evaluate('fixed', true),
    pretrain: () => pretrainGraph(headOnly.params, { vit, imageSize: image, numClasses: 10, batch, weightDecay: 0, clip: 1 }).outputs,
  };
  Object.assign(out, methodGraphs(backbone, model, image, batch));
  // The full fine-tuning step (CORe50's freeze_part=[]): every backbone weight trains.
  const finetune: StepGraph = buildTrainStep(learner.params, { ...spec, selection: 'per_instance', trainMask: false, pull: 0, isTrained: () => true });
  out['train full fine-tuning'] = () => finetune.outputs;
  return out;
}

/**
 * DualPrompt's and CODA-Prompt's training and evaluation graphs (their smoke presets' prompt settings,
 * official selections): through each method's own plans, as the learner builds them.
 */
function methodGraphs(backbone: LoadedViT, model: string, image: number, batch: number): Record<string, () => Record<string, g.Tensor>> {
  const setup = (preset: string, over: Partial<L2PConfig> = {}) => {
    const config = { ...getPreset(preset), model_name: model, input_size: image, per_device_batch_size: batch, ...over };
    const learner = createLearner(config, backbone, 10);
    const isTrained = (k: string) => learner.trainedTensors.has(k);
    return { learner, config, isTrained };
  };
  const train = (preset: string, over: Partial<L2PConfig> = {}, clipAll = false) => () => {
    const { learner, isTrained } = setup(preset, over);
    return learner.model.train({ params: learner.params, taskId: 1, batch, imageSize: [image, image], isTrained, weightDecay: 0, frozenGrads: clipAll ? 'sum_squares' : undefined }).build().outputs;
  };
  const evaluate = (preset: string, queryFed: boolean, over: Partial<L2PConfig> = {}) => () => {
    const { learner, isTrained } = setup(preset, over);
    return learner.model.eval({ params: learner.params, taskId: 1, batch, imageSize: [image, image], isTrained, queryFed }).build().outputs;
  };
  const dp = 'cifar100_dualprompt_smoke';
  const batchwise = (c: L2PConfig): Partial<L2PConfig> => ({ prompt_pool_param: { ...c.prompt_pool_param, use_prompt_mask: false, batchwise_prompt: true }, test_time_selection: 'batchwise' });
  return {
    'dualprompt train (prompt mask)': train(dp),
    'dualprompt train (prompt mask), clip over all': train(dp, { grad_clip_scope: 'all' }, true),
    'dualprompt train batchwise': train(dp, batchwise(getPreset(dp))),
    'dualprompt eval per_instance': evaluate(dp, false),
    'dualprompt eval per_instance, query fed': evaluate(dp, true),
    'dualprompt eval batchwise, query fed': evaluate(dp, true, batchwise(getPreset(dp))),
    'coda_prompt train': train('cifar100_coda_prompt_smoke'),
    'coda_prompt eval': evaluate('cifar100_coda_prompt_smoke', false),
  };
}

/**
 * Parses the verbose log: each session's lines carry its log id ("[V:onnxruntime:<id>, ...]"), here
 * the graph's index, so the native log and our own writes need not interleave in order.
 */
export function parsePlacements(log: string, names: readonly string[]): Placement {
  const res: Placement = {};
  const provider = new Map<string, string>();
  for (const line of log.split('\n')) {
    const m = /\[V:onnxruntime:g(\d+), session_state\.cc:\d+ VerifyEachNodeIsAssignedToAnEp\] (.*)$/.exec(line);
    if (!m) continue;
    const graph = names[Number(m[1])];
    const entry = (res[graph] ??= { total: 0, cpu: [] });
    const text = m[2];
    const all = /All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(text);
    const some = /Node\(s\) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(text);
    if (all) {
      entry.total += Number(all[2]);
      if (all[1] === 'CPUExecutionProvider') entry.cpu.push(`all ${all[2]} nodes`);
    } else if (some) {
      provider.set(graph, some[1]);
      entry.total += Number(some[2]);
    } else if (/^\s{2}\S+ \(.*\)$/.test(text) && provider.get(graph) === 'CPUExecutionProvider') {
      entry.cpu.push(text.trim());
    }
  }
  return res;
}

async function child(device: Device, model: string, image: number, batch: number, only: number, precision: 'fp32' | 'fp16'): Promise<void> {
  const opts = { device, verboseLog: `g${only}`, ...(precision === 'fp16' ? { computePrecision: precision } : {}) };
  await compile(Object.values(hotGraphs(model, image, batch))[only](), opts);
  await disposeAll();
}

/**
 * Runs one child per graph (one session each) and returns the placement of every hot graph. A child
 * whose log lacks the placement section or its node counts (seen now and then on a loaded machine)
 * is run again, up to three times.
 */
export function placement(device: Device, model = 'mu/8', image = 32, batch = 4, precision: 'fp32' | 'fp16' = 'fp32'): Placement {
  const names = Object.keys(hotGraphs(model, image, batch));
  const res: Placement = {};
  names.forEach((name, i) => {
    const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(i), '--device', device, '--model', model, '--image', String(image), '--batch', String(batch), '--precision', precision];
    // A log with the section's heading but no node counts (its lines cut or interleaved) counts as none.
    for (let attempt = 0; attempt < 3 && !(res[name]?.total > 0); attempt++) {
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(`placement of '${name}' failed (status ${r.status}): ${r.stderr.split('\n').filter((l) => !l.includes('[V:') && !l.includes('[I:')).slice(-5).join('\n')}`);
      const got = parsePlacements(r.stderr, names)[name];
      if (got) res[name] = got;
    }
  });
  return res;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { child: { type: 'string' }, device: { type: 'string', default: 'webgpu' }, model: { type: 'string', default: 'mu/8' }, image: { type: 'string', default: '32' }, batch: { type: 'string', default: '4' }, precision: { type: 'string', default: 'fp32' } },
  });
  const device = values.device as Device;
  const precision = values.precision === 'fp16' ? 'fp16' : 'fp32';
  if (values.child !== undefined) await child(device, values.model!, Number(values.image), Number(values.batch), Number(values.child), precision);
  else console.log(JSON.stringify(placement(device, values.model, Number(values.image), Number(values.batch), precision), null, 1));
}
