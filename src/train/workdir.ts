// A run's work directory belongs to one configuration: a fresh run refuses a directory that holds
// another run, and --resume refuses one whose configuration differs, naming the keys.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { flattenConfig } from '../config/flatten.ts';
import type { L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { CONFIG_FILE, EVENTS_PREFIX, METRICS_FILE } from '../rundir/layout.ts';

/** Dotted keys whose values differ between two configs. */
export function configDiff(a: L2PConfig, b: L2PConfig): string[] {
  const fa = new Map(flattenConfig(a).map(([k, v]) => [k, JSON.stringify(v)] as const));
  const fb = new Map(flattenConfig(b).map(([k, v]) => [k, JSON.stringify(v)] as const));
  const keys = new Set([...fa.keys(), ...fb.keys()]);
  return [...keys].filter((k) => fa.get(k) !== fb.get(k)).sort();
}

export function claimWorkdir(workdir: string, c: L2PConfig, resume: boolean): void {
  const file = join(workdir, CONFIG_FILE);
  if (existsSync(file)) {
    if (!resume) throw new UserError(`'${workdir}' already holds a run; pass --resume to continue it, or choose another --workdir`);
    let saved: L2PConfig;
    try {
      saved = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UserError(`'${file}' cannot be read: ${(e as Error).message}`);
    }
    const diff = configDiff(saved, c);
    if (diff.length > 0) {
      throw new UserError(`'${workdir}' holds a run with another configuration (differs in ${diff.slice(0, 8).join(', ')}${diff.length > 8 ? ', …' : ''}); resume with the same config and --set values`);
    }
    return;
  }
  mkdirSync(workdir, { recursive: true });
  writeJsonAtomic(file, c);
}

/** Takes back what a fresh run that failed before its first checkpoint wrote, leaving the workdir as it was. */
export function undoFreshRun(workdir: string, existed: boolean): void {
  if (!existsSync(workdir)) return;
  for (const f of readdirSync(workdir)) {
    if (f === CONFIG_FILE || f === METRICS_FILE || f.startsWith(EVENTS_PREFIX)) rmSync(join(workdir, f), { force: true });
  }
  if (!existed && readdirSync(workdir).length === 0) rmSync(workdir, { recursive: true, force: true });
}
