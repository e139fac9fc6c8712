// A case.json read strictly: every field one that the method's debug-step reads, or a descriptive one.
// A field that would change the computation but is not implemented is refused, as an unknown config key
// is, rather than silently giving the result without it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import type { CaseBatch } from './case-batch.ts';
import type { CaseMethod } from './case-method.ts';

/** Fields that describe a case and change nothing in its computation. */
const DESCRIPTIVE = ['method', 'semantics', 'notes', 'seed'] as const;

/** The fields each method's debug-step reads: the backbone and batch sizes, the method's settings, the step. */
export const UNDERSTOOD: Record<CaseMethod, readonly string[]> = {
  l2p: ['img', 'patch', 'dim', 'heads', 'mlp', 'depth', 'pool', 'length', 'top_k', 'batchwise', 'batch', 'classes', 'class_mask', 'pull', 'lr', 'clip', 'clip_scope', 'devices', 'gelu'],
  dualprompt: [
    ...['img', 'patch', 'dim', 'heads', 'mlp', 'depth', 'g_length', 'g_layers', 'e_layers', 'pool', 'e_length', 'top_k', 'batchwise', 'batch', 'classes', 'class_mask', 'task_id'],
    ...['pull', 'lr', 'clip', 'clip_scope', 'classifier', 'use_prefix_tune_for_g_prompt', 'use_prefix_tune_for_e_prompt', 'same_key_value', 'same_key_value_for_shared', 'use_prompt_mask', 'devices', 'gelu'],
  ],
  coda_prompt: ['img', 'patch', 'dim', 'heads', 'mlp', 'depth', 'pool', 'length', 'ortho_mu', 'layers', 'num_tasks', 'task_id', 'batch', 'classes', 'class_mask', 'lr', 'devices', 'gelu'],
};

/** The case.json of `dir` as an object, refused when it holds a field the method's debug-step does not read. */
export function readCaseJson(dir: string, method: CaseMethod): Record<string, unknown> {
  const file = join(dir, 'case.json');
  let c: unknown;
  try {
    c = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read as JSON: ${(e as Error).message}`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new UserError(`'${file}' must hold a JSON object`);
  const known = new Set<string>([...DESCRIPTIVE, ...UNDERSTOOD[method]]);
  for (const k of Object.keys(c)) {
    if (!known.has(k)) throw new UserError(`'${file}': field '${k}' is not one debug-step implements for method '${method}' (it reads: ${UNDERSTOOD[method].join(', ')})`);
  }
  return c as Record<string, unknown>;
}

/**
 * The case's devices (official pmap: the batch in that many equal consecutive slices), 1 when absent;
 * refused unless a whole number that divides the batch. Where case.json repeats the batch size or the
 * class mask, they must be batch.npz's.
 */
export function caseDevices(file: string, c: { devices?: unknown; batch?: unknown; class_mask?: unknown }, batch: CaseBatch): number {
  const b = batch.b;
  if (c.batch !== undefined && c.batch !== b) throw new UserError(`'${file}': 'batch' ${JSON.stringify(c.batch)} is not the ${b} images of batch.npz`);
  if (c.class_mask !== undefined) {
    const mask = [...(batch.feeds.class_mask.data as Uint8Array)].flatMap((on, k) => (on ? [k] : []));
    const given = Array.isArray(c.class_mask) ? [...new Set(c.class_mask as unknown[])].sort((x, y) => Number(x) - Number(y)) : c.class_mask;
    if (JSON.stringify(given) !== JSON.stringify(mask)) throw new UserError(`'${file}': 'class_mask' ${JSON.stringify(c.class_mask)} is not batch.npz's [${mask}]`);
  }
  const n = c.devices ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new UserError(`'${file}': 'devices' must be a whole number of at least 1, got ${JSON.stringify(c.devices)}`);
  if (b % n !== 0) throw new UserError(`'${file}': 'devices' ${n} does not divide the batch of ${b} into equal slices`);
  return n;
}
