// Where ONNX Runtime places the nodes of every graph the commands run, on a provider (default webgpu):
// each graph is compiled in a child process with ONNX Runtime's verbose log on, and the log's
// "Node placements" section is read back. Prints JSON: graph -> the nodes left on the CPU provider.
//   npx tsx bench/gpu/placement.ts [--device webgpu] [--model mu/8] [--image 32] [--batch 4]
// Without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (docs/gpu.md).
import { spawnSync } from 'node:child_process';
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getPreset } from '../../src/config/presets.ts';
import * as g from '../../src/graph/index.ts';
import { buildEvalStep, buildQueryStep, buildTrainStep, type SelectionKind, type StepGraph } from '../../src/l2p/step.ts';
import { compile, disposeAll, type Device } from '../../src/runtime/ort.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { pretrainGraph } from '../../src/train/pretrain.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

const MARK = '@@graph ';

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
  const backbone = { config: vit, numPatches: grid * grid, params: randomViT(vit, grid * grid, 0) };
  const learner = createLearner(config, backbone, 10);
  const int8 = createLearner({ ...config, query_precision: 'int8' }, backbone, 10);
  const headOnly = createLearner({ ...config, method: 'head_only' }, backbone, 10);
  const spec = { model: learner.model, batch, imageSize: [image, image] as [number, number], voteGroup: batch };
  const trained = (k: string) => k.startsWith('prompt_pool/') || k.startsWith('head/');
  const train = (selection: SelectionKind, all: boolean) => () =>
    buildTrainStep(learner.params, { ...spec, selection, trainMask: true, pull: 0.1, isTrained: trained, weightDecay: 1e-4, gradOfFrozen: all }).outputs;
  const evaluate = (selection: SelectionKind, queryFed: boolean) => () => buildEvalStep(learner.params, { ...spec, selection, isTrained: trained, queryFed }).outputs;
  const out: Record<string, () => Record<string, g.Tensor>> = {
    query: () => buildQueryStep(learner.params, spec).outputs,
    // Opt-in (query_precision int8), a CPU lever: its integer matmuls have no WebGPU kernels.
    'query int8 (opt-in)': () => buildQueryStep(int8.params, { ...spec, model: int8.model }).outputs,
    'train batchwise, clip over trained': train('batchwise', false),
    'train batchwise, clip over all': train('batchwise', true),
    'train per_instance': train('per_instance', false),
    'train fixed prompts (use_prompt_mask)': train('fixed', false),
    'train head only': () =>
      buildTrainStep(headOnly.params, { ...spec, model: headOnly.model, selection: 'none', trainMask: true, pull: 0, isTrained: (k) => k.startsWith('head/') }).outputs,
    'eval per_instance': evaluate('per_instance', false),
    'eval per_instance, query fed': evaluate('per_instance', true),
    'eval batchwise, query fed': evaluate('batchwise', true),
    'eval fixed prompts': evaluate('fixed', true),
    pretrain: () => pretrainGraph(headOnly.params, { vit, imageSize: image, numClasses: 10, batch, weightDecay: 0, clip: 1 }).outputs,
  };
  // The full fine-tuning step (CORe50's freeze_part=[]): every backbone weight trains.
  const finetune: StepGraph = buildTrainStep(learner.params, { ...spec, selection: 'per_instance', trainMask: false, pull: 0, isTrained: () => true });
  out['train full fine-tuning'] = () => finetune.outputs;
  return out;
}

/** Parses the verbose log: one "Node placements" section per session, in compile order. */
export function parsePlacements(log: string): Placement {
  const res: Placement = {};
  let graph: string | null = null;
  let provider: string | null = null;
  for (const line of log.split('\n')) {
    if (line.startsWith(MARK)) {
      graph = line.slice(MARK.length);
      res[graph] = { total: 0, cpu: [] };
      provider = null;
      continue;
    }
    if (!graph) continue;
    const all = /All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (all) {
      res[graph].total += Number(all[2]);
      if (all[1] === 'CPUExecutionProvider') res[graph].cpu.push(`all ${all[2]} nodes`);
      continue;
    }
    const some = /Node\(s\) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (some) {
      provider = some[1];
      res[graph].total += Number(some[2]);
      continue;
    }
    const node = /VerifyEachNodeIsAssignedToAnEp\]\s{3}(\S+ \(.*\))$/.exec(line);
    if (node && provider === 'CPUExecutionProvider') res[graph].cpu.push(node[1]);
    else if (!/VerifyEachNodeIsAssignedToAnEp/.test(line)) provider = null;
  }
  return res;
}

async function child(device: Device, model: string, image: number, batch: number): Promise<void> {
  for (const [name, build] of Object.entries(hotGraphs(model, image, batch))) {
    writeSync(2, `${MARK}${name}\n`);
    await compile(build(), { device, verboseLog: true });
    await disposeAll();
  }
}

/** Runs the child and returns the placement of every hot graph. */
export function placement(device: Device, model = 'mu/8', image = 32, batch = 4): Placement {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--device', device, '--model', model, '--image', String(image), '--batch', String(batch)], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`placement child failed (status ${r.status}): ${r.stderr.split('\n').filter((l) => !l.includes('[V:') && !l.includes('[I:')).slice(-5).join('\n')}`);
  return parsePlacements(r.stderr);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { child: { type: 'boolean' }, device: { type: 'string', default: 'webgpu' }, model: { type: 'string', default: 'mu/8' }, image: { type: 'string', default: '32' }, batch: { type: 'string', default: '4' } },
  });
  const device = values.device as Device;
  if (values.child) await child(device, values.model!, Number(values.image), Number(values.batch));
  else console.log(JSON.stringify(placement(device, values.model, Number(values.image), Number(values.batch)), null, 1));
}
