// `l2p train`: a continual-learning run from a preset or config file, as the official main.py.
import { parseArgs } from 'node:util';
import type { L2PConfig } from '../config/l2p.ts';
import { presetNames } from '../config/presets.ts';
import { UserError } from '../errors.ts';
import { disposeAll, type Device } from '../runtime/ort.ts';
import { backboneFor } from '../train/experiment.ts';
import { StopRequested, trainContinual } from '../train/loop.ts';
import type { ParallelOptions } from '../train/parallel.ts';
import { streamFor } from '../train/stream.ts';
import { optionalInt } from './args.ts';
import { deviceOption, DEVICE_HELP } from './device.ts';
import { givenConfig, takeMyConfig } from './my-config.ts';
import { parallelOption, PARALLEL_HELP, PARALLEL_OPTIONS } from './parallel.ts';

const HELP = `usage: l2p train (--config <preset | file.json> | --my_config FILE.py[:ARG] [--my_config.key=value ...])
                 --workdir <dir> [--set key=value ...] [--resume]
                 [--threads N] [--workers N] [--device cpu|webgpu] [--data-parallel N [--worker-env [RANK:]NAME=VALUE ...] [--shm-dir DIR]]

Trains L2P task after task, evaluating every task seen so far at each epoch's end, and writes
TensorBoard event files, metrics.jsonl, summary.json and checkpoints into the workdir.
  --config    a preset (${presetNames().join(', ')}) or a JSON config file
  --my_config an official-style ml_collections config file, read without running Python, with
              --my_config.key=value overrides as the official main.py takes them (docs/official-workflow.md)
  --set       override a config key, e.g. --set init_checkpoint=./ViT-B_16.npz --set prompt_pool_param.pool_size=20
  --resume    continue the run in --workdir from its last checkpoint
  --threads   ONNX Runtime intra-op threads (default: one per core)
  --workers   image decoding workers (default: automatic)
${DEVICE_HELP}
${PARALLEL_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const my = takeMyConfig(argv);
  const { values } = parseArgs({
    args: my.rest,
    options: {
      config: { type: 'string' },
      workdir: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      resume: { type: 'boolean', default: false },
      threads: { type: 'string' },
      workers: { type: 'string' },
      device: { type: 'string' },
      ...PARALLEL_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.config && my.config) throw new UserError('give --config or --my_config, not both');
  if ((!values.config && !my.config) || !values.workdir) throw new UserError(`--config (or --my_config) and --workdir are required\n\n${HELP}`);
  const config = givenConfig(values.config, my, values.set ?? [])!;
  const threads = optionalInt(values.threads, '--threads');
  const workers = optionalInt(values.workers, '--workers', { min: 0 });
  const device = deviceOption(values.device);
  const parallel = parallelOption(values['data-parallel'], values['worker-env'], values['shm-dir']);
  return trainRun(config, values.workdir, { resume: values.resume ?? false, threads, workers, device, parallel });
}

export interface TrainRunOptions {
  resume: boolean;
  threads?: number;
  workers?: number;
  device?: Device;
  parallel?: ParallelOptions;
}

/** Trains `config` into `workdir` and prints the summary line; the exit status (130/143 when stopped). */
export async function trainRun(config: L2PConfig, workdir: string, { resume, threads, workers, device, parallel }: TrainRunOptions): Promise<number> {
  const stream = await streamFor(config);
  const notes: string[] = [];
  const backbone = backboneFor(config, (m) => notes.push(`warning: ${m}`), (m) => notes.push(m));
  try {
    const s = await trainContinual({ config, workdir, resume, stream, backbone, runtime: { threads, device }, workers, notes, parallel });
    console.log(`avg_acc ${s.avg_acc.toFixed(2)}%${s.forgetting !== null ? ` | forgetting ${s.forgetting.toFixed(2)}` : ''} | summary in ${workdir}/summary.json`);
  } catch (e) {
    if (!(e instanceof StopRequested)) throw e;
    console.error(e.message);
    return e.signal === 'SIGINT' ? 130 : 143;
  } finally {
    await disposeAll();
  }
  return 0;
}
