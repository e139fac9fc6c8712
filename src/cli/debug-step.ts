// `l2p debug-step <case-dir> --out <out.npz>`: one training step on a golden-format case.
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { writeNpz } from '../io/npz.ts';
import type { NpyArray } from '../io/npy.ts';
import { caseMethod } from './debug-step/case-method.ts';
import { runCodaCase } from './debug-step/coda-case.ts';
import { runDualPromptCase } from './debug-step/dualprompt-case.ts';
import { disposeAll, type RuntimeOptions } from '../runtime/ort.ts';
import { runL2PCase } from './debug-step/l2p-case.ts';
import { deviceOption, DEVICE_HELP } from './device.ts';
import { parallelOption } from './parallel.ts';

const HELP = `usage: l2p debug-step <case-dir> --out <out.npz> [--device cpu|webgpu] [--data-parallel N]

Runs one L2P training step on a case in the golden format (case.json, vit.npz, l2p.npz, batch.npz) and
writes every array expected.npz holds: pre_logits, sim, prompt_idx, logits, ce, reduce_sim, loss,
grad_norm, clip_factor, grad/<name> and updated/<name> for the four trained tensors.
A case whose case.json says "method": "dualprompt" runs one DualPrompt step instead (train_prompt_idx,
eval_prompt_idx and eval_logits in place of prompt_idx, and the 'prefix' tensor); "method": "coda_prompt"
runs one CODA-Prompt step (coda.npz in place of l2p.npz; weights/<layer>, ortho, grad/ and updated/ per tensor).
An L2P case.json's "clip_scope" says whose gradients the clipping norm covers: "trained" (the default) or
"all", every parameter of the prompted model, the frozen backbone's included, as the official code.
"devices": N splits the batch into N consecutive slices, one per device as the official pmap step
(each its own selection and vote, loss and gradients; gradients averaged before the norm and the clip).
The step runs through the learner that training uses (num_devices micro-batches). A case.json field
that the method's step does not read is refused (descriptive ones aside: method, semantics, notes, seed).
--data-parallel N runs the devices' micro-batches on N worker processes, as 'l2p train --data-parallel'
(N at most the case's devices).

${DEVICE_HELP}`;

/**
 * Runs the case in `dir` (its case.json's "method") and returns arrays named as in its expected.npz;
 * with `workers`, the devices' micro-batches run on that many data-parallel worker processes.
 */
export function runCase(dir: string, runtime: RuntimeOptions = {}, workers = 0): Promise<Map<string, NpyArray>> {
  const run = { l2p: runL2PCase, dualprompt: runDualPromptCase, coda_prompt: runCodaCase }[caseMethod(dir)];
  return run(dir, runtime, workers);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, device: { type: 'string' }, 'data-parallel': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1 || !values.out) throw new UserError(`a case directory and --out are required\n\n${HELP}`);
  try {
    const arrays = await runCase(positionals[0], { device: deviceOption(values.device) }, parallelOption(values['data-parallel'], undefined)?.workers ?? 0);
    writeNpz(values.out, arrays);
    console.log(`wrote ${arrays.size} arrays to ${values.out}`);
  } finally {
    await disposeAll();
  }
  return 0;
}
