// What a config makes a method do, as text to compare, without running a graph: the step graphs the
// learner asks the method for, as far as the outputs it reads (ops, attributes, shapes, wiring,
// constants by content), the
// feeds and class masks of its micro-batches, the parameters after init, after each task's start hook
// and after two host updates from fixed gradients. A key that changes none of these changes no step:
// a step's result is a function of its graph, its feeds and its parameters.
import { createHash } from 'node:crypto';
import { numTotalClasses, type L2PConfig } from '../../src/config/l2p.ts';
import type { HostTensor } from '../../src/runtime/ort.ts';
import { topoSort, type Tensor } from '../../src/graph/index.ts';
import { createLearner } from '../../src/train/experiment.ts';
import { l2Coefficient, trainedPaths, type MicroBatch, type MicroResult } from '../../src/train/learner.ts';
import type { Params } from '../../src/vit/params.ts';
import { randomViT } from '../../src/vit/random.ts';
import { decodeVariant } from '../../src/vit/variants.ts';

const digest = (parts: readonly (string | ArrayBufferView)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex').slice(0, 16);
};

const paramsText = (params: Params, paths: Iterable<string>) => [...paths].sort().map((k) => `${k}:${digest([params.get(k)!.data])}`).join(' ');
const feedsText = (feeds: Record<string, HostTensor>) => Object.entries(feeds).map(([k, f]) => `${k}[${f.shape}]=${digest([f.data as ArrayBufferView])}`).join(' ');

/** The outputs the learner reads from a step (src/train/learner.ts runMicroBatch, evalBatch). */
const READ = (name: string) => ['loss', 'logits', 'prompt_idx', 'frozen_grad_sq'].includes(name) || name.startsWith('grad/');

/**
 * The text of what a graph computes for the outputs the learner reads, as src/runtime/session.ts
 * graphText, with every constant by its content (graphText names large ones by object, which differs
 * between two learners over equal weights). Outputs nobody reads (pre_logits) are left out.
 */
function graphText(all: Record<string, Tensor>): string {
  const outputs = Object.fromEntries(Object.entries(all).filter(([name]) => READ(name)));
  const order = topoSort(Object.values(outputs));
  const pos = new Map(order.map((t, i) => [t.id, i] as const));
  const lines = order.map((t) => {
    const attrs = t.op === 'constant' ? digest([t.value!]) : t.attrKey;
    return `${t.op}|${attrs}|${t.label ?? ''}|${t.dtype}|${t.shape.join(',')}|${t.inputs.map((x) => pos.get(x.id)).join(',')}`;
  });
  for (const [name, t] of Object.entries(outputs)) lines.push(`out ${name}=${pos.get(t.id)}`);
  return lines.join('\n');
}

/** A gradient for each path the step asks for: fixed values, so that only the host's handling of them varies. */
function fakeResult(j: MicroBatch, paths: readonly string[], params: Params): MicroResult {
  const grads = new Map(paths.map((k, n) => [k, Float32Array.from(params.get(k)!.data, (_, i) => 0.01 * Math.sin(1 + i + 7 * n))] as const));
  return { loss: 1, correct: 0, promptIds: new Int32Array(0), frozenSq: j.frozenGrads === 'sum_squares' ? 4 : 0, grads };
}

/** The named parts of what a config makes its method do over its first two tasks (see the file's comment). */
export async function stepIdentity(c: L2PConfig): Promise<Record<string, string>> {
  const cfg = decodeVariant(c.model_name);
  const grid = (c.input_size / cfg.patch) ** 2;
  const learner = createLearner(c, { config: cfg, numPatches: grid, params: randomViT(cfg, grid, 1) }, numTotalClasses(c));
  const { model, params } = learner;
  const trained = trainedPaths(c, model, [...params.keys()]);
  const isTrained = (p: string) => trained.includes(p);
  const jobs: MicroBatch[] = [];
  learner.devices = { run: async (js) => js.map((j) => (jobs.push(j), fakeResult(j, j.frozenGrads === 'tensors' ? [...params.keys()] : trained, params))) };
  const out: Record<string, string> = { init: paramsText(params, model.params.keys()), trains: trained.join(' ') };
  const b = c.per_device_batch_size * c.num_devices;
  const size = c.input_size;
  // The tasks that take optimiser steps (APER's task 1 is fitted in closed form only).
  const stepped = [0, 1].slice(0, c.continual.num_tasks).filter((t) => (model.phases?.(t) ?? ['gradient']).includes('gradient'));
  for (const t of stepped) {
    learner.beginTask(t, true);
    out[`start${t}`] = paramsText(params, model.params.keys());
    jobs.length = 0;
    const labels = Int32Array.from({ length: b }, (_, i) => (2 * t + i) % model.numClasses);
    // Two updates, so that the optimiser's moments show (Adam's first step is the same for any beta).
    for (const k of [0, 1]) {
      const r = await learner.trainStep(new Float32Array(b * size * size * 3), labels, t, [2 * t, 2 * t + 1], 0.01);
      out[`update${t}.${k}`] = `${paramsText(params, trained)} norm=${r.gradNorm}`;
    }
    out[`jobs${t}`] = jobs.map((j) => `${j.labels.length} ${j.frozenGrads} ${digest([j.classMask])} ${feedsText(j.feeds)}`).join(' | ');
    const plan = model.train({ params, taskId: t, batch: jobs[0].labels.length, imageSize: [size, size], isTrained, frozenGrads: jobs[0].frozenGrads, weightDecay: l2Coefficient(c) });
    out[`train${t}`] = `${plan.key}\n${graphText(plan.build().outputs)}`;
  }
  for (const queryFed of model.usesQuery ? [false, true] : [false]) {
    const plan = model.eval({ params, taskId: Math.min(1, c.continual.num_tasks - 1), batch: c.per_device_batch_size, imageSize: [size, size], isTrained, queryFed });
    out[`eval${queryFed}`] = `${plan.key} ${feedsText(plan.feeds(c.per_device_batch_size))}\n${graphText(plan.build().outputs)}`;
  }
  out.selection = `${model.evalSelection} ${model.usesQuery}`;
  return out;
}

/** The names of the parts where two identities differ. */
export function differences(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]);
}
