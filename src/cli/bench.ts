// `l2p bench`: the speed of the real L2P step on random weights in the official layout: the frozen
// query forward, the training step (query forward, prompted forward, backward, optimiser) and the
// evaluation step (query forward, prompted forward), per image, with achieved matmul GFLOP/s.
import { parseArgs } from 'node:util';
import { getPreset } from '../config/presets.ts';
import { UserError } from '../errors.ts';
import * as g from '../graph/index.ts';
import { buildEvalStep, buildTrainStep } from '../l2p/step.ts';
import { compile, disposeAll, type RuntimeOptions } from '../runtime/ort.ts';
import { createLearner } from '../train/experiment.ts';
import { bindParams } from '../vit/bind.ts';
import { queryOf } from '../l2p/model.ts';
import { mulberry32 } from '../random.ts';
import { randomViT } from '../vit/random.ts';
import { decodeVariant } from '../vit/variants.ts';
import { positiveInt } from './features.ts';
import { deviceOption } from './device.ts';

const HELP = `usage: l2p bench [--model B/16] [--batch 8] [--image 224] [--pool 10] [--length 5] [--top-k 5]
                 [--threads N] [--iters 3] [--device cpu|cuda|webgpu] [--weights shared|copied]
                 [--query-precision fp32|int8] [--json]

Times the L2P step on random weights (no checkpoint needed). Per image: the query forward, the
training step and the evaluation step; the best of --iters runs after one warm-up. --weights copied
lets each ONNX Runtime session hold (and pre-pack) its own copy of the backbone; shared feeds the
one copy in memory to every session.
With --json: one object with query_s_per_img, train_s_per_img, eval_s_per_img, peak_rss_mb, ...`;

async function best(iters: number, f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up: session creation, first-run allocations
  let t = Infinity;
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await f();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'B/16' },
      batch: { type: 'string', default: '8' },
      image: { type: 'string', default: '224' },
      pool: { type: 'string', default: '10' },
      length: { type: 'string', default: '5' },
      'top-k': { type: 'string', default: '5' },
      threads: { type: 'string' },
      iters: { type: 'string', default: '3' },
      device: { type: 'string', default: 'cpu' },
      weights: { type: 'string', default: 'shared' },
      'query-precision': { type: 'string', default: 'fp32' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const device = deviceOption(values.device)!;
  const vit = decodeVariant(values.model!);
  const b = positiveInt(values.batch!, '--batch');
  const size = positiveInt(values.image!, '--image');
  const iters = positiveInt(values.iters!, '--iters');
  if (size % vit.patch !== 0) throw new UserError(`--image ${size} is not a multiple of the patch ${vit.patch}`);
  if (values.weights !== 'shared' && values.weights !== 'copied') throw new UserError(`--weights must be 'shared' or 'copied', got '${values.weights}'`);
  const runtime: RuntimeOptions = {
    threads: values.threads ? positiveInt(values.threads, '--threads') : undefined,
    device,
    constantsAsInputsOver: values.weights === 'shared' ? 4096 : Infinity,
  };
  const qp = values['query-precision'];
  if (qp !== 'fp32' && qp !== 'int8') throw new UserError(`--query-precision must be fp32 or int8, got '${qp}'`);
  const base = getPreset('cifar100_l2p');
  const config = {
    ...base,
    query_precision: qp as 'fp32' | 'int8',
    model_name: values.model!,
    input_size: size,
    per_device_batch_size: b,
    num_devices: 1,
    prompt_pool_param: {
      ...base.prompt_pool_param,
      pool_size: positiveInt(values.pool!, '--pool'),
      length: positiveInt(values.length!, '--length'),
      top_k: positiveInt(values['top-k']!, '--top-k'),
    },
  };
  const grid = size / vit.patch;
  const backbone = { config: vit, numPatches: grid * grid, params: randomViT(vit, grid * grid, 1) };
  const learner = createLearner(config, backbone, 100, runtime);
  // A head that is not zero, so that the prompts get a gradient as they would after the first step.
  const head = learner.params.get('head/kernel')!.data;
  const r = mulberry32(2);
  for (let i = 0; i < head.length; i++) head[i] = 0.02 * (r() - 0.5);
  const images = Float32Array.from({ length: b * size * size * 3 }, () => r());
  const labels = Int32Array.from({ length: b }, (_, i) => i % 10);
  const classMask = Array.from({ length: 10 }, (_, i) => i);

  const say = (s: string) => !values.json && console.log(s);
  say(`ViT-${values.model} at ${size}x${size}, batch ${b}, ${config.prompt_pool_param.top_k * config.prompt_pool_param.length} prompt tokens, ${device}, threads ${runtime.threads ?? 'auto'}`);
  try {
    const { p } = bindParams(backbone.params, () => false);
    const x = g.input('images', [b, size, size, 3]);
    const queryGraph = { pre_logits: queryOf(p, learner.model, x) };
    const query = await compile(queryGraph, runtime);
    const queryS = await best(iters, () => query.run({ images: { shape: [b, size, size, 3], data: images } }));
    const trainS = await best(iters, () => learner.trainStep(images, labels, 0, classMask, 1e-3));
    const evalS = await best(iters, () => learner.evalBatch(images, labels, null));

    const spec = { model: learner.model, batch: b, imageSize: [size, size] as [number, number], selection: 'batchwise' as const, voteGroup: b };
    const trainFlops = g.matmulFlops(Object.values(buildTrainStep(learner.params, { ...spec, trainMask: true, pull: 1, isTrained: (k) => k.startsWith('prompt_pool/') || k.startsWith('head/') }).outputs));
    const evalFlops = g.matmulFlops(Object.values(buildEvalStep(learner.params, { ...spec, isTrained: () => false }).outputs));
    const queryFlops = g.matmulFlops(Object.values(queryGraph));
    const result = {
      model: values.model,
      batch: b,
      image: size,
      prompt_tokens: config.prompt_pool_param.top_k * config.prompt_pool_param.length,
      device,
      weights: values.weights,
      query_precision: qp,
      threads: runtime.threads ?? 0,
      query_s_per_img: queryS / b,
      train_s_per_img: trainS / b,
      eval_s_per_img: evalS / b,
      query_gflops_per_s: queryFlops / queryS / 1e9,
      train_gflops_per_s: trainFlops / trainS / 1e9,
      eval_gflops_per_s: evalFlops / evalS / 1e9,
      train_gflop_per_img: trainFlops / b / 1e9,
      eval_gflop_per_img: evalFlops / b / 1e9,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    };
    if (values.json) console.log(JSON.stringify(result));
    else {
      say(`query forward : ${result.query_s_per_img.toFixed(4)} s/img  ${result.query_gflops_per_s.toFixed(1)} GFLOP/s`);
      say(`training step : ${result.train_s_per_img.toFixed(4)} s/img  ${result.train_gflops_per_s.toFixed(1)} GFLOP/s  (${result.train_gflop_per_img.toFixed(1)} GFLOP/img)`);
      say(`evaluation    : ${result.eval_s_per_img.toFixed(4)} s/img  ${result.eval_gflops_per_s.toFixed(1)} GFLOP/s  (${result.eval_gflop_per_img.toFixed(1)} GFLOP/img)`);
      say(`peak RSS      : ${result.peak_rss_mb.toFixed(0)} MB`);
    }
  } finally {
    await disposeAll();
  }
  return 0;
}
