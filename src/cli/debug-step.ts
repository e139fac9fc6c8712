// `l2p debug-step <case-dir> --out <out.npz>`: one training step on a golden-format case.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { writeNpz } from '../io/npz.ts';
import type { NpyArray } from '../io/npy.ts';
import { disposeAll } from '../runtime/ort.ts';
import { runL2PCase } from './debug-step/l2p-case.ts';

const HELP = `usage: l2p debug-step <case-dir> --out <out.npz>

Runs one L2P training step on a case in the golden format (case.json, vit.npz, l2p.npz, batch.npz) and
writes every array expected.npz holds: pre_logits, sim, prompt_idx, logits, ce, reduce_sim, loss,
grad_norm, clip_factor, grad/<name> and updated/<name> for the four trained tensors.
case.json's "clip_scope" says whose gradients the clipping norm covers: "trained" (the default) or
"all", every parameter of the prompted model, the frozen backbone's included, as the official code.`;

/** The method a case is for: case.json's "method", L2P when absent. */
function caseMethod(dir: string): string {
  const file = join(dir, 'case.json');
  let c: unknown;
  try {
    c = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read as JSON: ${(e as Error).message}`);
  }
  const method = (c as { method?: unknown }).method ?? 'l2p';
  if (typeof method !== 'string') throw new UserError(`'${file}': 'method' must be a string`);
  return method;
}

/** Runs the case in `dir` and returns arrays named as in its expected.npz. */
export function runCase(dir: string): Promise<Map<string, NpyArray>> {
  const method = caseMethod(dir);
  switch (method) {
    case 'l2p':
      return runL2PCase(dir);
    default:
      throw new UserError(`'${join(dir, 'case.json')}': method '${method}' is not supported (known: 'l2p')`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1 || !values.out) throw new UserError(`a case directory and --out are required\n\n${HELP}`);
  try {
    const arrays = await runCase(positionals[0]);
    writeNpz(values.out, arrays);
    console.log(`wrote ${arrays.size} arrays to ${values.out}`);
  } finally {
    await disposeAll();
  }
  return 0;
}
