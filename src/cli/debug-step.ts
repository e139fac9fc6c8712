// `l2p debug-step <case-dir> --out <out.npz>`: one training step on a golden-format case.
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { writeNpz } from '../io/npz.ts';
import { runGoldenCase } from '../l2p/golden-case.ts';
import { caseMethod } from './debug-step/case-method.ts';
import { runCodaCase } from './debug-step/coda-case.ts';
import { runDualPromptCase } from './debug-step/dualprompt-case.ts';
import { disposeAll } from '../runtime/ort.ts';

const HELP = `usage: l2p debug-step <case-dir> --out <out.npz>

Runs one L2P training step on a case in the golden format (case.json, vit.npz, l2p.npz, batch.npz) and
writes every array expected.npz holds: pre_logits, sim, prompt_idx, logits, ce, reduce_sim, loss,
grad_norm, clip_factor, grad/<name> and updated/<name> for the four trained tensors.
A case whose case.json says "method": "dualprompt" runs one DualPrompt step instead (train_prompt_idx,
eval_prompt_idx and eval_logits in place of prompt_idx, and the 'prefix' tensor); "method": "coda_prompt"
runs one CODA-Prompt step (coda.npz in place of l2p.npz; weights/<layer>, ortho, grad/ and updated/ per tensor).`;

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
    const run = { l2p: runGoldenCase, dualprompt: runDualPromptCase, coda_prompt: runCodaCase }[caseMethod(positionals[0])];
    const arrays = await run(positionals[0]);
    writeNpz(values.out, arrays);
    console.log(`wrote ${arrays.size} arrays to ${values.out}`);
  } finally {
    await disposeAll();
  }
  return 0;
}
