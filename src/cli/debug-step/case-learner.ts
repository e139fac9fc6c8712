// A golden case's step through the learner that training uses (src/train/learner.ts): the method's
// model made from a config holding the case's settings, its tensors replaced by the case's, and one
// trainStep on the case's batch: `devices` micro-batches of per_device_batch_size (each its own
// selection and vote, loss and gradients), the gradients averaged, clipped by the global norm, one
// Adam step (β1 0.9, β2 0.999, ε 1e-8) from zero moments.
import type { L2PConfig } from '../../config/l2p.ts';
import { getPreset } from '../../config/presets.ts';
import { UserError } from '../../errors.ts';
import type { NpyArray } from '../../io/npy.ts';
import { methodOf } from '../../methods/index.ts';
import type { HostTensor, RuntimeOptions } from '../../runtime/ort.ts';
import { Learner, type StepResult, type StepTrace } from '../../train/learner.ts';
import { DataParallel } from '../../train/parallel.ts';
import type { LoadedViT, Params } from '../../vit/params.ts';
import type { CaseBatch } from './case-batch.ts';

/** What every case fixes in the config, whatever its method. */
export interface CaseStepSettings {
  batch: number;
  /** Height and width of the (square) images. */
  imageSize: number;
  devices: number;
  clip: number | null;
  clipScope: 'all' | 'trained';
}

/**
 * The config of a case's step: the official L2P preset (the JAX family, whose backbone settings the
 * cases' vit.npz follows) with the method's settings `method` and the step the case describes (its
 * micro-batches, clip and optimiser). Another method's preset would bring its own backbone settings.
 */
export function caseConfig(method: Partial<L2PConfig>, s: CaseStepSettings): L2PConfig {
  const base = getPreset('cifar100_l2p');
  return {
    ...base,
    ...method,
    input_size: s.imageSize,
    per_device_batch_size: s.batch / s.devices,
    num_devices: s.devices,
    optim: 'adam',
    optim_config: { beta1: 0.9, beta2: 0.999, eps: 1e-8, nesterov: true },
    weight_decay: 0,
    grad_clip_max_norm: s.clip,
    grad_clip_scope: s.clipScope,
    freeze_part: ['encoder', 'embedding', 'cls'],
    continual: { ...base.continual, ...method.continual, train_mask: true },
  };
}

/** A learner for the case: the method's model under `config`, with the case's tensors (`own`, by path) as its parameters. */
export function caseLearner(config: L2PConfig, vit: LoadedViT, classes: number, own: Params, file: string, runtime: RuntimeOptions): Learner {
  const model = methodOf(config).create(config, vit, classes);
  const want = [...model.params.keys()].sort().join(', ');
  const got = [...own.keys()].sort().join(', ');
  if (want !== got) throw new UserError(`'${file}' holds ${got}; the case's settings give the tensors ${want}`);
  for (const [k, v] of own) model.params.set(k, v);
  return new Learner(config, model, new Map([...vit.params, ...model.params]), config.input_size, runtime);
}

/** The case's image size, refused unless square (the learner trains square images). */
export function squareSize(batch: CaseBatch, file: string): number {
  const [h, w] = batch.imageSize;
  if (h !== w) throw new UserError(`'${file}': the learner trains square images; the case's are ${h}×${w}`);
  return h;
}

/**
 * One training step with its trace (each micro-batch's graph outputs, the averaged gradients, the
 * clip); with `workers`, the micro-batches run on that many data-parallel worker processes.
 */
export async function traceStep(learner: Learner, vit: LoadedViT, batch: CaseBatch, taskId: number, lr: number, workers = 0): Promise<{ result: StepResult; trace: StepTrace }> {
  let trace: StepTrace | null = null;
  learner.onStep = (t) => (trace = t);
  const f = batch.feeds;
  const mask = [...(f.class_mask.data as Uint8Array)].flatMap((on, k) => (on ? [k] : []));
  const c = learner.config;
  if (workers > c.num_devices) throw new UserError(`--data-parallel ${workers}: the case's step has ${c.num_devices} device(s), so a worker would have none`);
  const pool = workers > 0 ? new DataParallel({ config: c, numClasses: learner.model.numClasses, backbone: { ...vit, params: learner.pretrainedBackbone() }, runtime: learner.runtime }, { workers }) : null;
  learner.devices = pool;
  try {
    const result = await learner.trainStep(f.images.data as Float32Array, f.labels.data as Int32Array, taskId, mask, lr);
    return { result, trace: trace! };
  } finally {
    learner.onStep = null;
    learner.devices = null;
    await pool?.close();
  }
}

/** One output of every micro-batch, its rows in batch order: [B, ...rest]. */
export function rows(outputs: Record<string, HostTensor>[], name: string): NpyArray {
  const parts = outputs.map((o) => o[name]);
  const shape = [parts.reduce((n, p) => n + p.shape[0], 0), ...parts[0].shape.slice(1)];
  if (parts[0].data instanceof Int32Array) {
    const data = new Int32Array(parts.reduce((n, p) => n + p.data.length, 0));
    let at = 0;
    for (const p of parts) data.set(p.data as Int32Array, (at += p.data.length) - p.data.length);
    return { dtype: 'int32', shape, data };
  }
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let at = 0;
  for (const p of parts) data.set(p.data as Float32Array, (at += p.data.length) - p.data.length);
  return { dtype: 'float32', shape, data };
}

/** A scalar output's mean over the micro-batches (official: the devices' values, averaged). */
export function meanOver(outputs: Record<string, HostTensor>[], name: string): NpyArray {
  const sum = outputs.reduce((s, o) => s + (o[name].data as Float32Array)[0], 0);
  return { dtype: 'float32', shape: [], data: Float32Array.of(sum / outputs.length) };
}
