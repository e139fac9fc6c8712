// One CODA-Prompt training step on a case ("method": "coda_prompt"; written by
// scripts/golden/make_coda_case.py): case.json, vit.npz, coda.npz, batch.npz -> the arrays of expected.npz.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import { readNpz } from '../../io/npz.ts';
import type { NpyArray } from '../../io/npy.ts';
import { compile, type HostTensor, type RuntimeOptions } from '../../runtime/ort.ts';
import type { Tensors } from '../../train/optim.ts';
import { buildCodaTrainStep } from '../../coda-prompt/model.ts';
import { codaShapes, validateCodaPrompt, type CodaPromptOptions } from '../../coda-prompt/options.ts';
import { readCaseBatch } from './case-batch.ts';
import { adamCaseStep, f32, loadCaseViT, takeTrained } from './case-params.ts';

interface CodaCase {
  dim: number;
  heads: number;
  mlp: number;
  depth: number;
  patch: number;
  pool: number;
  length: number;
  ortho_mu: number;
  layers: number[];
  num_tasks: number;
  task_id: number;
  classes: number;
  lr: number;
}

function readCase(file: string): CodaCase {
  let c: CodaCase;
  try {
    c = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read as JSON: ${(e as Error).message}`);
  }
  for (const k of ['dim', 'heads', 'mlp', 'depth', 'patch', 'pool', 'length', 'ortho_mu', 'num_tasks', 'task_id', 'classes', 'lr'] as const) {
    if (typeof c[k] !== 'number') throw new UserError(`'${file}': '${k}' must be a number`);
  }
  if (!Array.isArray(c.layers) || !c.layers.every((x) => typeof x === 'number')) throw new UserError(`'${file}': 'layers' must be a list of layer indices`);
  return c;
}

export async function runCodaCase(dir: string, runtime: RuntimeOptions = {}): Promise<Map<string, NpyArray>> {
  const caseFile = join(dir, 'case.json');
  const c = readCase(caseFile);
  const vit = loadCaseViT(dir, c);
  const v = vit.config;
  const o: CodaPromptOptions = { vit: v, numClasses: c.classes, poolSize: c.pool, length: c.length, orthoMu: c.ortho_mu, layers: c.layers, numTasks: c.num_tasks };
  try {
    validateCodaPrompt(o);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`'${caseFile}': ${e.message}`);
    throw e;
  }
  if (!(Number.isInteger(c.task_id) && c.task_id >= 0 && c.task_id < c.num_tasks)) throw new UserError(`'${caseFile}': task_id ${c.task_id} is outside [0, num_tasks ${c.num_tasks})`);
  const paramFile = join(dir, 'coda.npz');
  const stored = readNpz(paramFile);
  const shapes = codaShapes(o);
  const { params, trained } = takeTrained(stored, shapes, paramFile, vit.params);
  const { b, imageSize, feeds: batchFeeds } = readCaseBatch(dir, vit, c.classes);

  const step = buildCodaTrainStep(params, { model: o, taskId: c.task_id, batch: b, imageSize, isTrained: (p) => shapes.has(p) });
  const feeds: Record<string, HostTensor> = {
    ...batchFeeds,
  };
  for (const t of step.trained) feeds[t.label!] = { shape: t.shape, data: trained.get(t.label!)!.slice() };
  const session = await compile(step.outputs, runtime);
  const r = await session.run(feeds);
  await session.dispose();

  const out = new Map<string, NpyArray>();
  out.set('pre_logits', f32(r.pre_logits.data as Float32Array, [b, c.dim]));
  out.set('logits', f32(r.logits.data as Float32Array, [b, c.classes]));
  for (const k of ['ce', 'loss']) out.set(k, f32(r[k].data as Float32Array, []));
  out.set('ortho', f32(r.ortho ? (r.ortho.data as Float32Array) : Float32Array.of(0), []));
  for (const l of c.layers) out.set(`weights/${l}`, f32(r[`weights/${l}`].data as Float32Array, [...r[`weights/${l}`].shape]));
  const grads: Tensors = new Map([...shapes.keys()].map((k) => [k, (r[`grad/${k}`].data as Float32Array).slice()] as const));
  for (const [k, shape] of shapes) out.set(`grad/${k}`, f32(grads.get(k)!.slice(), shape));
  adamCaseStep(out, trained, grads, shapes, c.lr);
  return out;
}
