// `l2p predict --workdir --images`: the class and the selected prompts of new images under a trained run.
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeImage, MAX_IMAGE_PIXELS } from '../data/image.ts';
import { evalPreprocess, OFFICIAL_PREPROCESS } from '../data/preprocess.ts';
import { fsReason, UserError } from '../errors.ts';
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
  // Every image is looked at before the run is opened, so a bad one is the only line printed.
  for (const file of files) imageSize(file);
  try {
    const { config, learner } = openRun(values.workdir, { threads, device }, { test_time_selection: 'per_instance' });
    const size = config.input_size;
    const pre = { ...OFFICIAL_PREPROCESS, resizeSize: config.resize_size, inputSize: size };
    const results = [];
    for (const file of files) {
      const bytes = readImageFile(file);
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

/** Larger than any image decodeImage accepts (MAX_IMAGE_PIXELS of RGB), so only a file that is no image is refused for its size. */
const MAX_IMAGE_BYTES = 3 * MAX_IMAGE_PIXELS + (1 << 20);

function checkImageStats(file: string, st: Stats): number {
  if (!st.isFile()) throw new UserError(`cannot read image '${file}': it is not a regular file`);
  if (st.size > MAX_IMAGE_BYTES) throw new UserError(`cannot read image '${file}': ${st.size} bytes is more than an image may hold (${MAX_IMAGE_BYTES})`);
  return st.size;
}

/** The size of an image file; a device, a pipe or a directory is refused (they could be read forever). */
function imageSize(file: string): number {
  try {
    return checkImageStats(file, statSync(file));
  } catch (e) {
    throw e instanceof UserError ? e : new UserError(`cannot read image '${file}': ${fsReason(e)}`);
  }
}

/** Reads an image file whole, never more than the size it had when opened. */
function readImageFile(file: string): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const bytes = new Uint8Array(checkImageStats(file, fstatSync(fd)));
    for (let at = 0; at < bytes.length; ) {
      const n = readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) throw new UserError(`cannot read image '${file}': it shrank while it was read`);
      at += n;
    }
    return bytes;
  } catch (e) {
    throw e instanceof UserError ? e : new UserError(`cannot read image '${file}': ${fsReason(e)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
