// One CODA-Prompt training step on a case ("method": "coda_prompt"; written by
// scripts/golden/make_coda_case.py), through the learner that training uses: case.json, vit.npz,
// coda.npz, batch.npz -> the arrays of expected.npz. No clipping (the official step has none).
import { join } from 'node:path';
import { getPreset } from '../../config/presets.ts';
import { UserError } from '../../errors.ts';
import { readNpz } from '../../io/npz.ts';
import type { NpyArray } from '../../io/npy.ts';
import type { RuntimeOptions } from '../../runtime/ort.ts';
import { codaShapes, validateCodaPrompt, type CodaPromptOptions } from '../../methods/coda-prompt/options.ts';
import { readCaseBatch } from './case-batch.ts';
import { caseDevices, readCaseJson } from './case-fields.ts';
import { caseConfig, caseLearner, meanOver, rows, squareSize, traceStep } from './case-learner.ts';
import { f32, loadCaseViT, takeTrained } from './case-params.ts';

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
  /** Official pmap: the batch in this many consecutive slices, one per device (1 when absent). */
  devices?: number;
}

function readCase(file: string): CodaCase {
  const c = readCaseJson(join(file, '..'), 'coda_prompt') as unknown as CodaCase;
  for (const k of ['dim', 'heads', 'mlp', 'depth', 'patch', 'pool', 'length', 'ortho_mu', 'num_tasks', 'task_id', 'classes', 'lr'] as const) {
    if (typeof c[k] !== 'number') throw new UserError(`'${file}': '${k}' must be a number`);
  }
  if (!Array.isArray(c.layers) || !c.layers.every((x) => typeof x === 'number')) throw new UserError(`'${file}': 'layers' must be a list of layer indices`);
  return c;
}

export async function runCodaCase(dir: string, runtime: RuntimeOptions = {}, workers = 0): Promise<Map<string, NpyArray>> {
  const caseFile = join(dir, 'case.json');
  const c = readCase(caseFile);
  const vit = loadCaseViT(dir, c);
  const o: CodaPromptOptions = { vit: vit.config, numClasses: c.classes, poolSize: c.pool, length: c.length, orthoMu: c.ortho_mu, layers: c.layers, numTasks: c.num_tasks };
  try {
    validateCodaPrompt(o);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`'${caseFile}': ${e.message}`);
    throw e;
  }
  if (!(Number.isInteger(c.task_id) && c.task_id >= 0 && c.task_id < c.num_tasks)) throw new UserError(`'${caseFile}': task_id ${c.task_id} is outside [0, num_tasks ${c.num_tasks})`);
  const paramFile = join(dir, 'coda.npz');
  const shapes = codaShapes(o);
  const params = takeTrained(readNpz(paramFile), shapes, paramFile);
  const batch = readCaseBatch(dir, vit, c.classes);
  const devices = caseDevices(caseFile, c, batch);

  const config = caseConfig(
    {
      method: 'coda_prompt',
      vit_classifier: 'token',
      prompt_pool: false,
      pull_constraint: false,
      coda_prompt_param: { pool_size: c.pool, length: c.length, ortho_mu: c.ortho_mu, layer_idx: c.layers },
      continual: { ...getPreset('cifar100_l2p').continual, num_tasks: c.num_tasks },
    },
    { batch: batch.b, imageSize: squareSize(batch, caseFile), devices, clip: null, clipScope: 'trained' },
  );
  const learner = caseLearner(config, vit, c.classes, params, paramFile, runtime);
  const { trace } = await traceStep(learner, vit, batch, c.task_id, c.lr, workers);

  const out = new Map<string, NpyArray>();
  for (const k of ['pre_logits', 'logits', ...c.layers.map((l) => `weights/${l}`)]) out.set(k, rows(trace.outputs, k));
  for (const k of ['ce', 'loss']) out.set(k, meanOver(trace.outputs, k));
  out.set('ortho', trace.outputs[0].ortho ? meanOver(trace.outputs, 'ortho') : f32(0));
  for (const [k, shape] of shapes) out.set(`grad/${k}`, f32(trace.grads.get(k)!, shape));
  for (const [k, shape] of shapes) out.set(`updated/${k}`, f32(learner.params.get(k)!.data, shape));
  return out;
}
