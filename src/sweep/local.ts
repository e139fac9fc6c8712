// The local launcher: a bounded pool of `l2p train --resume` processes, one per point, each
// writing its output to runs/<id>/train.log. Ctrl-C (or SIGTERM) stops launching and passes one
// SIGTERM to every running point, which saves a checkpoint and stops; `l2p sweep resubmit` goes on.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE } from '../rundir/layout.ts';
import type { Device } from '../runtime/ort.ts';
import { appendAttempt, TRAIN_LOG } from './attempts.ts';
import { runDir, type PlanPoint } from './plan.ts';

/** The `l2p` entry point of this checkout, which every launched run executes. */
export const L2P_BIN = fileURLToPath(new URL('../../bin/l2p.mjs', import.meta.url));

/** Runs at once by default: the cores over the threads each run uses, at least one. */
export function defaultParallel(threads: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, threads)));
}

/** The argument list of one point's run. */
export function trainArgs(dir: string, id: string, threads: number, device?: Device): string[] {
  const rd = runDir(dir, id);
  return ['train', '--config', join(rd, CONFIG_FILE), '--workdir', rd, '--resume', '--threads', String(threads), ...(device ? ['--device', device] : [])];
}

export interface LocalResult {
  /** Exit status per point index; null where the point was not started (stopped before its turn). */
  rc: Map<number, number | null>;
  stopped: boolean;
}

export async function runLocal(
  dir: string,
  points: PlanPoint[],
  o: { maxParallel: number; threads: number; device?: Device; log?: (line: string) => void },
): Promise<LocalResult> {
  const log = o.log ?? (() => {});
  const rc = new Map<number, number | null>(points.map((p) => [p.index, null]));
  const running = new Map<number, ReturnType<typeof spawn>>();
  const queue = [...points];
  let stopped = false;
  let finished = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopped) return;
    stopped = true;
    log(`${sig}: no new runs; asking ${running.size} running point(s) to checkpoint and stop`);
    for (const child of running.values()) child.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await new Promise<void>((done) => {
      const next = () => {
        while (!stopped && running.size < o.maxParallel && queue.length > 0) start(queue.shift()!);
        if (running.size === 0) done();
      };
      const start = (p: PlanPoint) => {
        const rd = runDir(dir, p.id);
        const out = openSync(join(rd, TRAIN_LOG), 'a');
        // Its own process group: a terminal's Ctrl-C reaches this process only, which passes on one
        // SIGTERM; a second signal would make a run quit without its checkpoint.
        const child = spawn(process.execPath, [L2P_BIN, ...trainArgs(dir, p.id, o.threads, o.device)], { detached: true, stdio: ['ignore', out, out] });
        closeSync(out);
        running.set(p.index, child);
        appendAttempt(rd, { start: new Date().toISOString(), launcher: 'local', host: hostname(), pid: child.pid });
        log(`started ${p.id}`);
        child.on('error', (e) => log(`${p.id}: could not start: ${e.message}`));
        child.on('close', (code, signal) => {
          const status = code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1);
          appendAttempt(rd, { end: new Date().toISOString(), rc: status });
          rc.set(p.index, status);
          running.delete(p.index);
          finished++;
          log(`${status === 0 ? 'done' : `failed (exit ${status}, see ${join(rd, TRAIN_LOG)})`} ${p.id} [${finished}/${points.length}]`);
          next();
        });
      };
      next();
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { rc, stopped };
}
