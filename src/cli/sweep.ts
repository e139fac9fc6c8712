// `l2p sweep`: many runs over a grid of config values and seeds, launched locally or as a Slurm job
// array; `l2p sweep status | resubmit | report DIR` follow it up.
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { presetNames } from '../config/presets.ts';
import { UserError } from '../errors.ts';
import { CLASS_ORDERS, configSource, expandGrid, parseGridArg, parseSeeds, type ClassOrder, type SweepSpec } from '../sweep/grid.ts';
import { defaultParallel, runLocal } from '../sweep/local.ts';
import { writeSweepPage } from '../sweep/page.ts';
import { createSweepDir, readPlan, recordLaunch, PLAN_FORMAT, type LauncherName, type SlurmOptions, type SweepPlan } from '../sweep/plan.ts';
import { requireSbatch, SCRIPT_FILE, sbatchScript, submit } from '../sweep/slurm.ts';
import { statusTable, sweepStatus, toResubmit } from '../sweep/status.ts';
import { backboneInit } from '../train/backbone-init.ts';
import { intArg } from './args.ts';
import { deviceOption } from './device.ts';

const HELP = `usage: l2p sweep --config <preset | file.json> --workdir DIR [--grid key=v1,v2 ...] [--seeds 0,1,2]
                 [--set key=value ...] [--class-order rand_seed|pycil|config]
                 [--launcher local|slurm] [--max-parallel K] [--threads N] [--device cpu|webgpu] [--no-launch]
                 [--partition P] [--time T] [--cpus-per-task C] [--gpus G] [--mem M]
                 [--signal-seconds S] [--slurm-options file.json]
       l2p sweep status DIR
       l2p sweep resubmit DIR [--max-parallel K]
       l2p sweep report DIR [--no-png]

Expands the Cartesian product of the --grid axes and the seeds, writes DIR/runs/<id>/config.json
for every point (the id comes from how the point's config differs from the base) and launches
'l2p train --resume' on each point.
  --config        a preset (${presetNames().join(', ')}) or a JSON config file
  --grid          a config key and its values, as --set takes them; repeat for more axes
  --seeds         the seed axis; each seed sets 'seed', and the class order per --class-order
  --class-order   rand_seed (default): continual.rand_seed = the seed, a class order per seed;
                  pycil: PyCIL's order (np.random.seed(1993), then a permutation) for every seed;
                  config: the config's class order for every seed
  --set           an override applied to every point
  --launcher      local (default): a pool of processes on this machine; slurm: one sbatch job array
  --max-parallel  runs at once (local default: cores / threads; slurm default: all, the %K of --array)
  --threads       ONNX Runtime threads per run (default: 1 locally, --cpus-per-task under Slurm)
  --device        ONNX Runtime provider of every run, as 'l2p train --device': cpu (default) or
                  webgpu (docs/gpu.md; under Slurm, ask for the GPU with --gpus)
  --no-launch     write the sweep directory (and the sbatch script) only; 'resubmit' launches it
Slurm (per array task; --slurm-options reads the same from a JSON file of
partition, time, cpus_per_task, gpus, mem, signal_seconds; flags win):
  --partition, --time (Slurm syntax), --cpus-per-task (default: --threads or 1),
  --gpus (--gres=gpu:N), --mem (e.g. 16G), --signal-seconds (SIGTERM this long before the time
  limit so the run checkpoints and requeues itself; default 120)

status    pending / running / done / failed / missing per point, from the run directories, squeue and sacct
resubmit  launches the points that failed or never started (not those queued or running)
report    writes DIR/sweep.json, DIR/sweep.md and the sweep page DIR/sweep.html (also 'l2p report DIR')`;

const SLURM_KEYS = ['partition', 'time', 'cpus_per_task', 'gpus', 'mem', 'signal_seconds'] as const;

function readSlurmOptions(file: string): Partial<Record<(typeof SLURM_KEYS)[number], unknown>> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`--slurm-options '${file}' cannot be read as JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UserError(`--slurm-options '${file}' must hold a JSON object`);
  for (const k of Object.keys(v)) {
    if (!(SLURM_KEYS as readonly string[]).includes(k)) throw new UserError(`--slurm-options '${file}': unknown key '${k}'; the keys are ${SLURM_KEYS.join(', ')}`);
  }
  return v as Record<string, unknown>;
}

function text(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '' || /[\s#]/.test(v)) throw new UserError(`${name} must be one word, got ${JSON.stringify(v)}`);
  return v;
}

function count(v: unknown, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

async function create(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      workdir: { type: 'string' },
      grid: { type: 'string', multiple: true, default: [] },
      seeds: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      'class-order': { type: 'string', default: 'rand_seed' },
      launcher: { type: 'string', default: 'local' },
      'max-parallel': { type: 'string' },
      threads: { type: 'string' },
      device: { type: 'string' },
      'no-launch': { type: 'boolean', default: false },
      partition: { type: 'string' },
      time: { type: 'string' },
      'cpus-per-task': { type: 'string' },
      gpus: { type: 'string' },
      mem: { type: 'string' },
      'signal-seconds': { type: 'string' },
      'slurm-options': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.config || !values.workdir) throw new UserError(`--config and --workdir are required\n\n${HELP}`);
  const launcher = values.launcher as LauncherName;
  if (launcher !== 'local' && launcher !== 'slurm') throw new UserError(`--launcher must be local or slurm, got '${values.launcher}'`);
  const classOrder = values['class-order'] as ClassOrder;
  if (!CLASS_ORDERS.includes(classOrder)) throw new UserError(`--class-order must be one of ${CLASS_ORDERS.join(', ')}, got '${values['class-order']}'`);
  // Everything is checked before anything is written or launched.
  let slurm: SlurmOptions | null = null;
  const file = values['slurm-options'] ? readSlurmOptions(values['slurm-options']) : {};
  let threads = values.threads !== undefined ? intArg(values.threads, '--threads') : undefined;
  if (launcher === 'slurm') {
    const cpus = count(values['cpus-per-task'] ?? file.cpus_per_task, '--cpus-per-task', 1) ?? threads ?? 1;
    threads ??= cpus;
    slurm = {
      partition: text(values.partition ?? file.partition, '--partition'),
      time: text(values.time ?? file.time, '--time'),
      cpusPerTask: cpus,
      gpus: count(values.gpus ?? file.gpus, '--gpus', 0) ?? 0,
      mem: text(values.mem ?? file.mem, '--mem'),
      signalSeconds: count(values['signal-seconds'] ?? file.signal_seconds, '--signal-seconds', 1) ?? 120,
    };
  } else {
    const slurmOnly = ['partition', 'time', 'cpus-per-task', 'gpus', 'mem', 'signal-seconds', 'slurm-options'].filter((k) => values[k as keyof typeof values] !== undefined);
    if (slurmOnly.length) throw new UserError(`--${slurmOnly[0]} is a Slurm option; it needs --launcher slurm`);
  }
  threads ??= 1;
  const device = deviceOption(values.device);
  const spec: SweepSpec = {
    config: configSource(values.config),
    sets: values.set ?? [],
    grid: (values.grid ?? []).map(parseGridArg),
    seeds: values.seeds !== undefined ? parseSeeds(values.seeds) : null,
    classOrder,
  };
  const { points } = expandGrid(spec);
  // A point that would train a random backbone unasked is refused before the sweep directory exists.
  for (const p of points) backboneInit(p.config);
  const maxParallel = values['max-parallel'] !== undefined ? intArg(values['max-parallel'], '--max-parallel') : launcher === 'local' ? defaultParallel(threads) : points.length;
  const dir = resolve(values.workdir);
  const plan: SweepPlan = {
    format: PLAN_FORMAT,
    spec,
    launcher,
    maxParallel,
    threads,
    ...(device ? { device } : {}),
    slurm,
    points: points.map(({ index, id, values: v, seed, sets }) => ({ index, id, values: v, seed, sets })),
  };
  const files: Record<string, string> = {};
  if (launcher === 'slurm') {
    if (!values['no-launch']) requireSbatch();
    files[SCRIPT_FILE] = sbatchScript(dir, plan);
  }
  createSweepDir(dir, plan, points, files);
  console.log(`sweep: ${points.length} points in ${dir}/runs (${launcher}, at most ${maxParallel} at once, ${threads} thread${threads > 1 ? 's' : ''} each${device ? ` on ${device}` : ''})`);
  if (values['no-launch']) {
    console.log(`not launched; launch with 'l2p sweep resubmit ${dir}'`);
    return 0;
  }
  return launch(dir, plan, plan.points.map((p) => p.index), maxParallel, true);
}

async function launch(dir: string, plan: SweepPlan, indices: number[], maxParallel: number, fresh: boolean): Promise<number> {
  const time = new Date().toISOString();
  if (plan.launcher === 'slurm') {
    let jobId: string;
    try {
      jobId = submit(dir, indices, maxParallel);
    } catch (e) {
      // A sweep that never reached the queue is taken back whole, so the same command can be rerun.
      if (fresh) rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    recordLaunch(dir, { time, launcher: 'slurm', indices, jobId });
    console.log(`submitted array job ${jobId}: ${indices.length} task${indices.length > 1 ? 's' : ''}, at most ${maxParallel} at once; follow it with 'l2p sweep status ${dir}'`);
    return 0;
  }
  recordLaunch(dir, { time, launcher: 'local', indices });
  const points = plan.points.filter((p) => indices.includes(p.index));
  const r = await runLocal(dir, points, { maxParallel, threads: plan.threads, device: plan.device, log: (l) => console.log(l) });
  const failed = [...r.rc.values()].filter((c) => c !== 0 && c !== null).length;
  const notRun = [...r.rc.values()].filter((c) => c === null).length;
  console.log(`${points.length - failed - notRun} of ${points.length} points done${failed ? `, ${failed} failed` : ''}${notRun ? `, ${notRun} not started` : ''}${failed + notRun ? `; 'l2p sweep resubmit ${dir}' relaunches them` : ''}`);
  return failed + notRun > 0 ? 1 : 0;
}

function oneDir(argv: string[], what: string, extra: Record<string, { type: 'string' | 'boolean'; default?: boolean }> = {}) {
  const { values, positionals } = parseArgs({ args: argv, options: { ...extra, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) return { help: true as const };
  if (positionals.length !== 1) throw new UserError(`l2p sweep ${what} takes one sweep directory\n\n${HELP}`);
  return { help: false as const, dir: resolve(positionals[0]), values: values as Record<string, string | boolean | undefined> };
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'status') {
    const a = oneDir(rest, 'status');
    if (a.help) return console.log(HELP), 0;
    console.log(statusTable(sweepStatus(a.dir)));
    return 0;
  }
  if (sub === 'resubmit') {
    const a = oneDir(rest, 'resubmit', { 'max-parallel': { type: 'string' } });
    if (a.help) return console.log(HELP), 0;
    const status = sweepStatus(a.dir);
    const plan = status.plan;
    const indices = toResubmit(status);
    if (indices.length === 0) {
      console.log(`nothing to resubmit: every point is done, queued or running ('l2p sweep status ${a.dir}')`);
      return 0;
    }
    if (plan.launcher === 'slurm') requireSbatch();
    const mp = a.values['max-parallel'] !== undefined ? intArg(String(a.values['max-parallel']), '--max-parallel') : plan.maxParallel;
    console.log(`resubmitting ${indices.length} point${indices.length > 1 ? 's' : ''}: ${indices.map((i) => plan.points[i].id).join(', ')}`);
    return launch(a.dir, plan, indices, mp, false);
  }
  if (sub === 'report') {
    const a = oneDir(rest, 'report', { 'no-png': { type: 'boolean', default: false } });
    if (a.help) return console.log(HELP), 0;
    readPlan(a.dir);
    const w = await writeSweepPage(a.dir, { png: !a.values['no-png'] });
    console.log(`sweep report: ${w.report.groups.length} configuration${w.report.groups.length === 1 ? '' : 's'}, ${w.report.done} of ${w.report.points} points finished\n  ${w.json}\n  ${w.markdown}\n  ${w.html}${w.pngs.length ? ` (+ ${w.pngs.length} PNG charts)` : ''}`);
    return 0;
  }
  return create(argv);
}
