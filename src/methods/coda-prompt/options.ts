// CODA-Prompt (Smith et al., CVPR 2023; public code GT-RIPL/CODA-Prompt, models/zoo.py): at each of its
// layers a pool of M prompt components P [M, Lp, D] with keys K [M, D] and attention vectors A [M, D].
// Task t owns components [t·M/T, (t+1)·M/T); it trains those, sees the earlier ones frozen and the later
// ones not at all. Options, parameter shapes, the official settings, and the Gram–Schmidt initialisation.
import { UserError } from '../../errors.ts';
import type { Params } from '../../vit/params.ts';
import type { ViTConfig } from '../../vit/variants.ts';

export interface CodaPromptOptions {
  vit: ViTConfig;
  numClasses: number;
  /** Component pool size M (official prompt_param[0]). */
  poolSize: number;
  /** Prompt length Lp (prompt_param[1]); the first Lp/2 rows become keys, the rest values. */
  length: number;
  /** Weight of the orthogonality penalty (prompt_param[2]); 0 turns it off. */
  orthoMu: number;
  /** Prompted layers (official [0, 1, 2, 3, 4]). */
  layers: number[];
  numTasks: number;
}

/**
 * The settings of the official code at its HEAD (GT-RIPL/CODA-Prompt 6417d4f), per benchmark: the
 * `--prompt_param 100 8 0.0` of every experiments/*.sh (pool, length, ortho weight: "with updated code, now
 * can be 0") and the matching configs/*.yaml (first/other_split_size, schedule, batch_size, lr; Adam with
 * betas (0.9, 0.999), weight_decay 0, schedule_type cosine). Layers 0–4 are models/zoo.py's e_layers.
 */
const COMMON = { poolSize: 100, length: 8, orthoMu: 0.0, layers: [0, 1, 2, 3, 4], lr: 0.001, batch: 128, schedule: 'coda_cosine' } as const;
export const CODA_OFFICIAL = {
  /** experiments/cifar-100.sh, configs/cifar-100_prompt.yaml */
  cifar100: { ...COMMON, numTasks: 10, classesPerTask: 10, epochs: 20 },
  /** experiments/imagenet-r.sh, configs/imnet-r_prompt.yaml */
  imagenet_r: { ...COMMON, numTasks: 10, classesPerTask: 20, epochs: 50 },
  /** experiments/imagenet-r_short.sh, configs/imnet-r_prompt_short.yaml */
  imagenet_r_5task: { ...COMMON, numTasks: 5, classesPerTask: 40, epochs: 50 },
  /** experiments/imagenet-r_long.sh, configs/imnet-r_prompt_long.yaml */
  imagenet_r_20task: { ...COMMON, numTasks: 20, classesPerTask: 10, epochs: 50 },
  /** experiments/domainnet.sh, configs/domainnet_prompt.yaml: class-incremental, 345 classes in 5 tasks of 69 */
  domainnet: { ...COMMON, numTasks: 5, classesPerTask: 69, epochs: 5 },
} as const;

/** Components per task: the official int(M / T). */
export function componentsPerTask(o: CodaPromptOptions): number {
  return Math.floor(o.poolSize / o.numTasks);
}

/** Task t's components [start, end): earlier ones are frozen, later ones unused. */
export function taskRange(o: CodaPromptOptions, taskId: number): { start: number; end: number } {
  const pt = componentsPerTask(o);
  return { start: taskId * pt, end: (taskId + 1) * pt };
}

export function validateCodaPrompt(o: CodaPromptOptions): void {
  const depth = o.vit.depth;
  if (o.layers.length === 0) throw new UserError('CODA-Prompt layers is empty');
  for (const l of o.layers) if (!Number.isInteger(l) || l < 0 || l >= depth) throw new UserError(`CODA-Prompt layers holds ${l}, outside the backbone's layers [0, ${depth})`);
  if (new Set(o.layers).size !== o.layers.length) throw new UserError(`CODA-Prompt layers repeats a layer: [${o.layers}]`);
  if (!(o.length >= 2 && o.length % 2 === 0)) throw new UserError(`CODA-Prompt prompt length ${o.length} must be even and at least 2 (half keys, half values)`);
  if (componentsPerTask(o) < 1) throw new UserError(`CODA-Prompt pool size ${o.poolSize} gives no component to each of ${o.numTasks} tasks`);
  if (!(o.orthoMu >= 0)) throw new UserError(`CODA-Prompt ortho weight must be >= 0, got ${o.orthoMu}`);
}

/** Parameter paths as the official state dict names them ('prompt.e_p_0' -> 'prompt/e_p_0'), and the head. */
export function codaShapes(o: CodaPromptOptions): Map<string, number[]> {
  const { hidden: d } = o.vit;
  const s = new Map<string, number[]>();
  for (const l of o.layers) {
    s.set(`prompt/e_p_${l}`, [o.poolSize, o.length, d]);
    s.set(`prompt/e_k_${l}`, [o.poolSize, d]);
    s.set(`prompt/e_a_${l}`, [o.poolSize, d]);
  }
  s.set('head/kernel', [d, o.numClasses]);
  s.set('head/bias', [o.numClasses]);
  return s;
}

/**
 * The official per-task re-initialisation (classical Gram–Schmidt on rows): rows [start, end) of `rows`
 * ([M, n], row-major) become unit vectors drawn from `normal`, each minus its projections on every
 * earlier row (the kept rows [0, start) as they are, and the new rows before it); rows from `end` on
 * become zero. Each projection is taken on its own, so the new rows are orthogonal to the kept ones only
 * as far as those are orthogonal to each other (training moves them), exactly as in the official code.
 * An earlier row of squared norm under 1e-8 is refused: the official redraws the new row then, but the
 * test does not depend on the draw, so it redraws forever (as it does with more components than n).
 */
export function gramSchmidtRows(rows: Float32Array, m: number, start: number, end: number, normal: () => number, name: string): void {
  const n = rows.length / m;
  const u = Array.from({ length: end }, (_, i) => Float64Array.from(rows.subarray(i * n, (i + 1) * n)));
  for (let k = start; k < end; k++) {
    const v = Float64Array.from({ length: n }, normal);
    const uk = Float64Array.from(v);
    for (let j = 0; j < k; j++) {
      let uu = 0;
      let vu = 0;
      for (let i = 0; i < n; i++) {
        uu += u[j][i] * u[j][i];
        vu += v[i] * u[j][i];
      }
      if (uu < 1e-8) throw new UserError(`CODA-Prompt ${name}: row ${j} has squared norm ${uu}, under 1e-8, so row ${k} cannot be drawn orthogonal to it (the official Gram–Schmidt redraws forever); a row has ${n} entries`);
      for (let i = 0; i < n; i++) uk[i] -= (vu / uu) * u[j][i];
    }
    u[k] = uk;
  }
  for (let k = start; k < end; k++) {
    const norm = Math.sqrt(u[k].reduce((a, x) => a + x * x, 0));
    for (let i = 0; i < n; i++) rows[k * n + i] = u[k][i] / norm;
  }
  rows.fill(0, end * n);
}

function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * Task 0's parameters: each layer's P, K, A with task 0's components orthonormal and the rest zero (the
 * official constructor runs its Gram–Schmidt once); the head as torch's nn.Linear, U(±1/√D).
 */
export function initCodaParams(o: CodaPromptOptions, r: () => number): Params {
  const params: Params = new Map();
  const normal = gaussian(r);
  const { end } = taskRange(o, 0);
  for (const [key, shape] of codaShapes(o)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (key.startsWith('prompt/')) gramSchmidtRows(data, o.poolSize, 0, end, normal, key);
    else for (let i = 0; i < data.length; i++) data[i] = (2 * r() - 1) / Math.sqrt(o.vit.hidden);
    params.set(key, { shape, data });
  }
  return params;
}

/** At the start of task t > 0: task t's components of every layer re-initialised against the earlier ones. */
export function startCodaTask(params: Params, o: CodaPromptOptions, taskId: number, r: () => number): void {
  const { start, end } = taskRange(o, taskId);
  const normal = gaussian(r);
  for (const l of o.layers) {
    for (const n of ['e_p', 'e_k', 'e_a']) gramSchmidtRows(params.get(`prompt/${n}_${l}`)!.data, o.poolSize, start, end, normal, `prompt/${n}_${l}`);
  }
}
