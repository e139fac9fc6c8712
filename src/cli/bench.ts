// `l2p bench`: the speed of a method's real step on random weights in the official layout: the frozen
// query forward, the training step (query forward, prompted forward, backward, optimiser) and the
// evaluation step (query forward, prompted forward), per image, with achieved matmul GFLOP/s.
import { parseArgs } from 'node:util';
import type { L2PConfig } from '../config/l2p.ts';
import { getPreset, presetNames } from '../config/presets.ts';
import { UserError } from '../errors.ts';
import * as g from '../graph/index.ts';
import { METHODS } from '../methods/index.ts';
import { compile, disposeAll, type RuntimeOptions } from '../runtime/ort.ts';
import { createLearner } from '../train/experiment.ts';
import { bindParams } from '../vit/bind.ts';
import { queryOf } from '../vit/query.ts';
import { mulberry32 } from '../random.ts';
import { randomViT } from '../vit/random.ts';
import { decodeVariant } from '../vit/variants.ts';
import { intArg, optionalInt } from './args.ts';
import { deviceOption } from './device.ts';

const HELP = `usage: l2p bench [--method l2p] [--model B/16] [--batch 8] [--image 224] [--pool N] [--length N] [--top-k N]
                 [--threads N] [--iters 3] [--device cpu|cuda|webgpu] [--weights shared|copied]
                 [--query-precision fp32|int8] [--compute-precision fp32|fp16] [--json]

Times a method's step (--method: ${Object.keys(METHODS).join(', ')}) on random weights (no checkpoint
needed), configured as its Split CIFAR-100 preset (cifar100_<method>; cifar100_l2p for a baseline,
with pool 10, length 5, top-k 5); --pool, --length and --top-k change prompt_pool_param. Per image: the query forward, the
training step under both gradient-clipping scopes ('all': the norm over every parameter's gradient,
as official and the presets' default; 'trained': over the trained tensors only) and the evaluation
step; the best of --iters runs after one warm-up. --weights copied
lets each ONNX Runtime session hold (and pre-pack) its own copy of the backbone; shared feeds the
one copy in memory to every session.
With --json: one object with query_s_per_img, train_s_per_img (scope 'all'), train_trained_s_per_img,
eval_s_per_img, peak_rss_mb, ...`;

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
      method: { type: 'string', default: 'l2p' },
      pool: { type: 'string' },
      length: { type: 'string' },
      'top-k': { type: 'string' },
      threads: { type: 'string' },
      iters: { type: 'string', default: '3' },
      device: { type: 'string', default: 'cpu' },
      weights: { type: 'string', default: 'shared' },
      'query-precision': { type: 'string', default: 'fp32' },
      'compute-precision': { type: 'string', default: 'fp32' },
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
  const b = intArg(values.batch!, '--batch');
  const size = intArg(values.image!, '--image');
  const iters = intArg(values.iters!, '--iters');
  if (size % vit.patch !== 0) throw new UserError(`--image ${size} is not a multiple of the patch ${vit.patch}`);
  if (values.weights !== 'shared' && values.weights !== 'copied') throw new UserError(`--weights must be 'shared' or 'copied', got '${values.weights}'`);
  const runtime: RuntimeOptions = {
    threads: optionalInt(values.threads, '--threads'),
    device,
    constantsAsInputsOver: values.weights === 'shared' ? 4096 : Infinity,
  };
  const qp = values['query-precision'];
  if (qp !== 'fp32' && qp !== 'int8') throw new UserError(`--query-precision must be fp32 or int8, got '${qp}'`);
  const cp = values['compute-precision'];
  if (cp !== 'fp32' && cp !== 'fp16') throw new UserError(`--compute-precision must be fp32 or fp16, got '${cp}'`);
  const method = values.method!;
  if (!(method in METHODS)) throw new UserError(`--method must be one of ${Object.keys(METHODS).join(', ')}, got '${method}'`);
  const own = `cifar100_${method}`;
  const base: L2PConfig = presetNames().includes(own) ? getPreset(own) : { ...getPreset('cifar100_l2p'), method: method as L2PConfig['method'] };
  // L2P and its baselines keep the bench's long-standing prompt shape (pool 10, length 5, top-k 5, the
  // PyTorch peer's); a method with its own preset keeps the preset's.
  const pp = own !== 'cifar100_l2p' && presetNames().includes(own) ? base.prompt_pool_param : { ...base.prompt_pool_param, pool_size: 10, length: 5, top_k: 5 };
  const config: L2PConfig = {
    ...base,
    query_precision: qp as 'fp32' | 'int8',
    compute_precision: cp,
    model_name: values.model!,
    input_size: size,
    per_device_batch_size: b,
    num_devices: 1,
    prompt_pool_param: {
      ...pp,
      pool_size: values.pool ? intArg(values.pool, '--pool') : pp.pool_size,
      length: values.length ? intArg(values.length, '--length') : pp.length,
      top_k: values['top-k'] ? intArg(values['top-k'], '--top-k') : pp.top_k,
    },
  };
  const grid = size / vit.patch;
  const backbone = { config: vit, numPatches: grid * grid, params: randomViT(vit, grid * grid, 1) };
  // A method that has no frozen gradients to clip over ('all') is timed under 'trained' twice.
  const scopeAll = { ...config, grad_clip_scope: 'all' as const };
  const learner = createLearner(canCreate(scopeAll, backbone) ? scopeAll : { ...config, grad_clip_scope: 'trained' }, backbone, 100, runtime);
  // A head that is not zero, so that the prompts get a gradient as they would after the first step.
  const head = learner.params.get('head/kernel')!.data;
  const r = mulberry32(2);
  for (let i = 0; i < head.length; i++) head[i] = 0.02 * (r() - 0.5);
  const fast = createLearner({ ...config, grad_clip_scope: 'trained' }, backbone, 100, runtime);
  fast.params.get('head/kernel')!.data.set(head);
  const images = Float32Array.from({ length: b * size * size * 3 }, () => r());
  const labels = Int32Array.from({ length: b }, (_, i) => i % 10);
  const classMask = Array.from({ length: 10 }, (_, i) => i);

  const say = (s: string) => !values.json && console.log(s);
  say(`${method}, ViT-${values.model} at ${size}x${size}, batch ${b}, ${device}, threads ${runtime.threads ?? 'auto'}`);
  try {
    const { p } = bindParams(backbone.params, () => false);
    const x = g.input('images', [b, size, size, 3]);
    const queryGraph = { pre_logits: queryOf(p, { vit, queryPrecision: qp }, x) };
    const query = await compile(queryGraph, cp === 'fp16' ? { ...runtime, computePrecision: 'fp16' } : runtime);
    const queryS = await best(iters, () => query.run({ images: { shape: [b, size, size, 3], data: images } }));
    const trainS = await best(iters, () => learner.trainStep(images, labels, 0, classMask, 1e-3));
    const trainTrainedS = await best(iters, () => fast.trainStep(images, labels, 0, classMask, 1e-3));
    const evalS = await best(iters, () => learner.evalBatch(images, labels, null));

    const common = { params: learner.params, taskId: 0, batch: b, imageSize: [size, size] as [number, number], isTrained: (k: string) => learner.model.params.has(k) };
    const flops = (plan: { build: () => { outputs: Record<string, g.Tensor> } }) => g.matmulFlops(Object.values(plan.build().outputs));
    const trainFlops = flops(learner.model.train({ ...common, weightDecay: 0, frozenGrads: learner.config.grad_clip_scope === 'all' ? 'sum_squares' : undefined }));
    const trainTrainedFlops = flops(fast.model.train({ ...common, weightDecay: 0 }));
    const evalFlops = flops(learner.model.eval({ ...common, queryFed: false }));
    const queryFlops = g.matmulFlops(Object.values(queryGraph));
    const result = {
      method,
      model: values.model,
      batch: b,
      image: size,
      pool: config.prompt_pool_param.pool_size,
      length: config.prompt_pool_param.length,
      top_k: config.prompt_pool_param.top_k,
      clip_scope_all: learner.config.grad_clip_scope === 'all',
      device,
      weights: values.weights,
      query_precision: qp,
      compute_precision: cp,
      threads: runtime.threads ?? 0,
      query_s_per_img: queryS / b,
      train_s_per_img: trainS / b,
      train_trained_s_per_img: trainTrainedS / b,
      eval_s_per_img: evalS / b,
      query_gflops_per_s: queryFlops / queryS / 1e9,
      train_gflops_per_s: trainFlops / trainS / 1e9,
      train_trained_gflops_per_s: trainTrainedFlops / trainTrainedS / 1e9,
      eval_gflops_per_s: evalFlops / evalS / 1e9,
      train_gflop_per_img: trainFlops / b / 1e9,
      train_trained_gflop_per_img: trainTrainedFlops / b / 1e9,
      eval_gflop_per_img: evalFlops / b / 1e9,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    };
    if (values.json) console.log(JSON.stringify(result));
    else {
      say(`query forward : ${result.query_s_per_img.toFixed(4)} s/img  ${result.query_gflops_per_s.toFixed(1)} GFLOP/s`);
      say(`training step : ${result.train_s_per_img.toFixed(4)} s/img  ${result.train_gflops_per_s.toFixed(1)} GFLOP/s  (${result.train_gflop_per_img.toFixed(1)} GFLOP/img)  ${result.clip_scope_all ? 'clip over all parameters (official)' : 'clip over the trained tensors (the method gives no frozen gradients)'}`);
      say(`training step : ${result.train_trained_s_per_img.toFixed(4)} s/img  ${result.train_trained_gflops_per_s.toFixed(1)} GFLOP/s  (${result.train_trained_gflop_per_img.toFixed(1)} GFLOP/img)  clip over the trained tensors (opt-in)`);
      say(`evaluation    : ${result.eval_s_per_img.toFixed(4)} s/img  ${result.eval_gflops_per_s.toFixed(1)} GFLOP/s  (${result.eval_gflop_per_img.toFixed(1)} GFLOP/img)`);
      say(`peak RSS      : ${result.peak_rss_mb.toFixed(0)} MB`);
    }
  } finally {
    await disposeAll();
  }
  return 0;
}

/** Whether the method accepts the config (one that gives no frozen gradients refuses grad_clip_scope 'all'). */
function canCreate(c: L2PConfig, backbone: Parameters<typeof createLearner>[1]): boolean {
  try {
    METHODS[c.method].create(c, backbone, 100);
    return true;
  } catch (e) {
    if (e instanceof UserError) return false;
    throw e;
  }
}
