// Where each point of a sweep stands, from its run directory first (summary.json means done) and
// then from the launcher: squeue for queued and running Slurm tasks, sacct (or its job-completion
// log) for how they ended, the attempts file and process table for local runs.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readAttempts, TRAIN_LOG, type Attempt } from './attempts.ts';
import { readLaunches, readPlan, runDir, type SweepPlan } from './plan.ts';
import { accountingOf, queueOf } from './slurm.ts';

export type PointState = 'pending' | 'running' | 'done' | 'failed' | 'missing';

export interface PointStatus {
  index: number;
  id: string;
  state: PointState;
  /** Why: the exit status, the Slurm state, 'not started', ... */
  detail: string;
  attempts: number;
}

export interface SweepStatus {
  plan: SweepPlan;
  points: PointStatus[];
  /** Remarks on the sources: squeue unreachable, which sacct answered. */
  notes: string[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const ACTIVE = new Set(['RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'STAGE_OUT', 'RESIZING']);
const WAITING = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SPECIAL_EXIT']);

/** Oldest array job first, so that a resubmission's entry for an index overrides the first submission's. */
const byJob = <T extends { job: string }>(xs: T[]) => [...xs].sort((a, b) => Number(a.job.split('_')[0]) - Number(b.job.split('_')[0]));

export function sweepStatus(dir: string): SweepStatus {
  const plan = readPlan(dir);
  const notes: string[] = [];
  const jobs = [...new Set(readLaunches(dir).flatMap((l) => (l.jobId ? [l.jobId] : [])))];
  const queued = new Map<number, string>();
  const ended = new Map<number, string>();
  if (jobs.length > 0) {
    const q = queueOf(jobs);
    if ('error' in q) notes.push(`${q.error}; queued and running tasks cannot be told apart from stopped ones`);
    else {
      for (const e of byJob(q.entries)) {
        // squeue keeps a finished task (COMPLETED, FAILED, CANCELLED, TIMEOUT, ...) for MinJobAge.
        if (ACTIVE.has(e.state) || WAITING.has(e.state)) queued.set(e.index, e.state);
        else {
          queued.delete(e.index);
          ended.set(e.index, `Slurm ${e.state}`);
        }
      }
    }
    const acct = accountingOf(jobs);
    if (acct) {
      notes.push(`final Slurm states from ${acct.source}`);
      for (const e of byJob(acct.entries)) if (!queued.has(e.index)) ended.set(e.index, `Slurm ${e.state} ${e.exitCode}`.trim());
    } else notes.push('sacct has no record of these array tasks (no accounting storage); states come from the run directories and squeue');
  }
  const points = plan.points.map((p): PointStatus => {
    const rd = runDir(dir, p.id);
    const attempts = readAttempts(rd);
    const base = { index: p.index, id: p.id, attempts: attempts.length };
    if (existsSync(join(rd, 'summary.json'))) return { ...base, state: 'done', detail: 'summary.json written' };
    const q = queued.get(p.index);
    if (q && ACTIVE.has(q)) return { ...base, state: 'running', detail: `Slurm ${q}` };
    if (q && WAITING.has(q)) return { ...base, state: 'pending', detail: `Slurm ${q}${attempts.length ? ` (after ${attempts.length} attempt${attempts.length > 1 ? 's' : ''})` : ''}` };
    const last: Attempt | undefined = attempts[attempts.length - 1];
    if (last?.launcher === 'local' && last.end === undefined && last.host === hostname() && last.pid !== undefined && alive(last.pid)) {
      return { ...base, state: 'running', detail: `local process ${last.pid}` };
    }
    if (!last) return { ...base, state: 'missing', detail: `${existsSync(join(rd, TRAIN_LOG)) ? 'no attempt recorded' : 'not started'}${ended.has(p.index) ? ` (${ended.get(p.index)})` : ''}` };
    const rc = last.rc !== undefined ? `exit ${last.rc}` : 'ended without an exit status (killed)';
    const how = ended.has(p.index) ? `${ended.get(p.index)}, ${rc}` : rc;
    return { ...base, state: 'failed', detail: `${how}; see ${join(rd, TRAIN_LOG)}` };
  });
  return { plan, points, notes };
}

/** The points `l2p sweep resubmit` relaunches: failed or never started, and not queued or running. */
export function toResubmit(s: SweepStatus): number[] {
  return s.points.filter((p) => p.state === 'failed' || p.state === 'missing').map((p) => p.index);
}

export function statusTable(s: SweepStatus): string {
  const counts = new Map<PointState, number>();
  for (const p of s.points) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  const width = Math.max(2, ...s.points.map((p) => p.id.length));
  const lines = s.points.map((p) => `${String(p.index).padStart(4)}  ${p.id.padEnd(width)}  ${p.state.padEnd(7)}  ${p.detail}`);
  const order: PointState[] = ['done', 'running', 'pending', 'failed', 'missing'];
  const summary = order.filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${k}`).join(', ');
  return [`${s.points.length} points (${s.plan.launcher}): ${summary}`, ...s.notes.map((n) => `note: ${n}`), ...lines].join('\n');
}
