// `l2p predict --workdir --images`: the class and the selected prompts of new images under a trained run.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeImage } from '../data/image.ts';
import { evalPreprocess, OFFICIAL_PREPROCESS } from '../data/preprocess.ts';
import { UserError } from '../errors.ts';
import { disposeAll } from '../runtime/ort.ts';
import { openRun } from '../train/open-run.ts';
import { optionalInt } from './args.ts';
import { deviceOption, DEVICE_HELP } from './device.ts';

const HELP = `usage: l2p predict --workdir <dir> --images <file.png|jpg> [...] [--json] [--threads N] [--device cpu|webgpu]

Predicts each image's class with the run's latest checkpoint and shows which prompts it selected.
Each image is classified on its own (per-instance prompt selection): a batch-wise vote over
unrelated images would let them pick each other's prompts.
${DEVICE_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      workdir: { type: 'string' },
      images: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      threads: { type: 'string' },
      device: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const files = [...(values.images ?? []), ...positionals];
  if (!values.workdir || files.length === 0) throw new UserError(`--workdir and at least one image are required\n\n${HELP}`);
  const threads = optionalInt(values.threads, '--threads');
  const device = deviceOption(values.device);
  try {
    const { config, learner } = openRun(values.workdir, { threads, device }, { test_time_selection: 'per_instance' });
    const size = config.input_size;
    const pre = { ...OFFICIAL_PREPROCESS, resizeSize: config.resize_size, inputSize: size };
    const results = [];
    for (const file of files) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new UserError(`cannot read image '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const pixels = await decodeImage({ encoded: bytes }, `'${file}'`);
      const images = evalPreprocess(pixels, pre);
      const r = await learner.evalBatch(images, Int32Array.of(-1), null);
      results.push({ file, class: r.predictions[0], prompts: Array.from(r.promptIds) });
    }
    if (values.json) console.log(JSON.stringify(results));
    else for (const r of results) console.log(`${r.file}: class ${r.class}${r.prompts.length ? `, prompts ${r.prompts.join(' ')}` : ''}`);
  } finally {
    await disposeAll();
  }
  return 0;
}
