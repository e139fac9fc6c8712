// A sweep directory: sweep-plan.json (what was asked and every point), runs/<id>/config.json (each
// point's resolved config; the directory is the point's `l2p train` workdir), launches.jsonl (one
// line per launch or resubmission), logs/. It is built beside its final place and renamed into it,
// so a refused or failed sweep leaves nothing half-written.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { CONFIG_FILE } from '../rundir/layout.ts';
import type { Device } from '../runtime/ort.ts';
import type { SweepPoint, SweepSpec } from './grid.ts';

export const PLAN_FILE = 'sweep-plan.json';
export const PLAN_FORMAT = 'l2p-sweep/1';
const LAUNCHES = 'launches.jsonl';

export type LauncherName = 'local' | 'slurm';

/** What the Slurm launcher asks for each array task. */
export interface SlurmOptions {
  partition?: string;
  /** --time, Slurm's syntax (minutes, or [days-]hours:minutes:seconds). */
  time?: string;
  cpusPerTask: number;
  /** GPUs per task (--gres=gpu:N); 0 asks for none. */
  gpus: number;
  /** --mem, Slurm's syntax (e.g. 16G). */
  mem?: string;
  /** Seconds before the time limit at which the task gets SIGTERM, to checkpoint and be requeued. */
  signalSeconds: number;
}

export interface PlanPoint {
  index: number;
  id: string;
  values: Record<string, unknown>;
  seed: number | null;
  sets: string[];
}

export interface SweepPlan {
  format: typeof PLAN_FORMAT;
  spec: SweepSpec;
  launcher: LauncherName;
  /** Simultaneous runs: the local pool's size, Slurm's %K. */
  maxParallel: number;
  /** ONNX Runtime threads of each run (`l2p train --threads`). */
  threads: number;
  /** The execution provider of each run (`l2p train --device`); absent: the CPU provider. */
  device?: Device;
  slurm: SlurmOptions | null;
  points: PlanPoint[];
}

export interface Launch {
  time: string;
  launcher: LauncherName;
  /** Point indices launched. */
  indices: number[];
  /** Slurm's array job id. */
  jobId?: string;
}

export const runDir = (dir: string, id: string) => join(dir, 'runs', id);

/** Reads DIR/sweep-plan.json; a UserError naming the file if it is missing or not a sweep plan. */
export function readPlan(dir: string): SweepPlan {
  const file = join(dir, PLAN_FILE);
  if (!existsSync(file)) throw new UserError(`'${dir}' is not a sweep directory (no ${PLAN_FILE}); make one with l2p sweep --workdir`);
  let plan: SweepPlan;
  try {
    plan = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read: ${(e as Error).message}`);
  }
  if (plan?.format !== PLAN_FORMAT || !Array.isArray(plan.points)) throw new UserError(`'${file}' is not a sweep plan of this version (format '${String(plan?.format)}', expected '${PLAN_FORMAT}')`);
  return plan;
}

export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, PLAN_FILE));
}

/**
 * Refuses a directory that holds anything: another sweep (named as such, with what differs), this
 * same sweep (status and resubmit are the way on), or files of something else.
 */
export function checkFreeDir(dir: string, plan: SweepPlan): void {
  if (!existsSync(dir)) return;
  if (isSweepDir(dir)) {
    let old: SweepPlan | null = null;
    try {
      old = readPlan(dir);
    } catch {
      /* reported below as another sweep */
    }
    const same = old !== null && JSON.stringify([old.spec, old.points.map((p) => p.id)]) === JSON.stringify([plan.spec, plan.points.map((p) => p.id)]);
    if (same) throw new UserError(`'${dir}' already holds this sweep; see it with 'l2p sweep status ${dir}', relaunch what failed with 'l2p sweep resubmit ${dir}'`);
    const n = old ? `${old.points.length} points of ${old.spec.config}` : 'an unreadable plan';
    throw new UserError(`'${dir}' holds another sweep (${n}); choose another --workdir`);
  }
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw new UserError(`--workdir '${dir}' cannot be used: ${(e as Error).message}`);
  }
  if (entries.length > 0) throw new UserError(`--workdir '${dir}' is not empty and holds no sweep (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); choose a new or empty directory`);
}

/** Writes the plan and one run directory per point, all at once: the directory appears complete or not at all. */
export function createSweepDir(dir: string, plan: SweepPlan, points: SweepPoint[], files: Record<string, string> = {}): void {
  checkFreeDir(dir, plan);
  const parent = dirname(resolve(dir));
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(join(tmp, 'runs'), { recursive: true });
    mkdirSync(join(tmp, 'logs'));
    for (const p of points) {
      mkdirSync(runDir(tmp, p.id));
      writeJsonAtomic(join(runDir(tmp, p.id), CONFIG_FILE), p.config);
    }
    for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text, { mode: 0o755 });
    writeJsonAtomic(join(tmp, PLAN_FILE), plan);
    if (existsSync(dir)) rmdirSync(dir); // empty, checked above
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

export function recordLaunch(dir: string, launch: Launch): void {
  appendFileSync(join(dir, LAUNCHES), `${JSON.stringify(launch)}\n`);
}

export function readLaunches(dir: string): Launch[] {
  const file = join(dir, LAUNCHES);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Launch];
      } catch {
        return [];
      }
    });
}
