// `l2p debug-step <case-dir> --out <out.npz>`: one training step on a golden-format case.
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { writeNpz } from '../io/npz.ts';
import { runGoldenCase } from '../l2p/golden-case.ts';
import { disposeAll } from '../runtime/ort.ts';
import { deviceOption, DEVICE_HELP } from './device.ts';

const HELP = `usage: l2p debug-step <case-dir> --out <out.npz> [--device cpu|webgpu]

Runs one L2P training step on a case in the golden format (case.json, vit.npz, l2p.npz, batch.npz) and
writes every array expected.npz holds: pre_logits, sim, prompt_idx, logits, ce, reduce_sim, loss,
grad_norm, clip_factor, grad/<name> and updated/<name> for the four trained tensors.
${DEVICE_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, device: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1 || !values.out) throw new UserError(`a case directory and --out are required\n\n${HELP}`);
  try {
    const arrays = await runGoldenCase(positionals[0], { device: deviceOption(values.device) });
    writeNpz(values.out, arrays);
    console.log(`wrote ${arrays.size} arrays to ${values.out}`);
  } finally {
    await disposeAll();
  }
  return 0;
}
