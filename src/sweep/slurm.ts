// The Slurm launcher: one array job script (DIR/sweep.sbatch) whose task i runs point i with
// `l2p train --resume`, submitted with sbatch; and what squeue and sacct say about its tasks.
//
// Signals. A requeue, a preemption or a cancellation makes slurmstepd send SIGTERM to every process
// of the task: the run saves a checkpoint and stops, and the shell only waits for it. Before the
// time limit, --signal=B:USR1@S reaches the shell alone, which passes one SIGTERM to the run and,
// once the run has checkpointed, requeues its own task; a requeued task continues with --resume.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { ATTEMPTS_FILE, TRAIN_LOG } from './attempts.ts';
import { L2P_BIN, trainArgs } from './local.ts';
import type { SweepPlan } from './plan.ts';

export const SCRIPT_FILE = 'sweep.sbatch';

/** A word quoted for bash. */
export const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Array index ranges in Slurm's syntax: [0,1,2,5,7,8] → '0-2,5,7-8'. */
export function arraySpec(indices: number[]): string {
  const s = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function sbatchScript(dir: string, plan: SweepPlan): string {
  const o = plan.slurm!;
  if (/[\s%]/.test(dir)) throw new UserError(`--workdir '${dir}' holds whitespace or '%', which #SBATCH --output cannot name; choose another directory`);
  const n = plan.points.length;
  const directives = [
    `--job-name=l2p-sweep`,
    `--array=0-${n - 1}%${plan.maxParallel}`,
    '--requeue',
    '--open-mode=append',
    `--output=${join(dir, 'logs', '%A_%a.out')}`,
    `--cpus-per-task=${o.cpusPerTask}`,
    `--signal=B:USR1@${o.signalSeconds}`,
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.time ? [`--time=${o.time}`] : []),
    ...(o.gpus > 0 ? [`--gres=gpu:${o.gpus}`] : []),
    ...(o.mem ? [`--mem=${o.mem}`] : []),
  ];
  const args = trainArgs(dir, '__ID__', plan.threads, plan.device).map((a) => (a.includes('__ID__') ? `"$run${a.slice(a.indexOf('__ID__') + 6)}"` : shq(a)));
  return `#!/bin/bash
# l2p sweep: ${n} points of ${plan.spec.config}; array task i runs point i of ${join(dir, 'sweep-plan.json')}.
# 'l2p sweep status ${dir}' shows them; 'l2p sweep resubmit ${dir}' relaunches what failed.
${directives.map((d) => `#SBATCH ${d}`).join('\n')}

runs=(${plan.points.map((p) => shq(p.id)).join(' ')})
id="\${runs[$SLURM_ARRAY_TASK_ID]}"
run=${shq(join(dir, 'runs'))}/"$id"
printf '{"start":"%s","launcher":"slurm","host":"%s","job":"%s_%s"}\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" "$SLURM_ARRAY_JOB_ID" "$SLURM_ARRAY_TASK_ID" >> "$run/${ATTEMPTS_FILE}"

requeue=0
trap 'requeue=1; kill -TERM "$pid" 2>/dev/null' USR1
trap ':' TERM
${shq(process.execPath)} ${shq(L2P_BIN)} ${args.join(' ')} >> "$run/${TRAIN_LOG}" 2>&1 &
pid=$!
wait "$pid"
rc=$?
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; rc=$?; done
printf '{"end":"%s","rc":%d}\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$rc" >> "$run/${ATTEMPTS_FILE}"
if [ "$requeue" = 1 ] && [ "$rc" != 0 ]; then scontrol requeue "$SLURM_JOB_ID"; fi
exit "$rc"
`;
}

export function writeScript(dir: string, plan: SweepPlan): string {
  const file = join(dir, SCRIPT_FILE);
  writeFileSync(file, sbatchScript(dir, plan), { mode: 0o755 });
  return file;
}

/** A UserError unless `sbatch` can be run. */
export function requireSbatch(): void {
  const r = spawnSync('sbatch', ['--version'], { encoding: 'utf8' });
  if (r.error) throw new UserError(`--launcher slurm needs 'sbatch' on the PATH, and it is not there (${(r.error as NodeJS.ErrnoException).code}); run on a Slurm login node or use --launcher local`);
}

/** Submits the script for the given array indices; returns the array job id. */
export function submit(dir: string, indices: number[], maxParallel: number): string {
  const r = spawnSync('sbatch', ['--parsable', `--array=${arraySpec(indices)}%${maxParallel}`, join(dir, SCRIPT_FILE)], { encoding: 'utf8' });
  if (r.error) throw new UserError(`sbatch could not be run: ${r.error.message}`);
  if (r.status !== 0) throw new UserError(`sbatch refused the sweep (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  const id = r.stdout.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new UserError(`sbatch answered '${r.stdout.trim()}', not a job id`);
  return id;
}

export interface QueueEntry {
  /** Array index, the point's index. */
  index: number;
  /** squeue's state: PENDING, RUNNING, CONFIGURING, COMPLETING, SUSPENDED, REQUEUED, ... */
  state: string;
  job: string;
}

/**
 * The queued and running tasks of the given array jobs, one entry per array index (squeue --array
 * lists each pending index on its own line), or why squeue could not say.
 */
export function queueOf(jobIds: string[]): { entries: QueueEntry[] } | { error: string } {
  if (jobIds.length === 0) return { entries: [] };
  const r = spawnSync('squeue', ['--noheader', '--array', '--states=all', `--jobs=${jobIds.join(',')}`, '--format=%i|%T'], { encoding: 'utf8' });
  if (r.error) return { error: `squeue could not be run: ${r.error.message}` };
  // squeue refuses a list where every job has left its memory ("Invalid job id specified"): nothing queued.
  if (r.status !== 0) return /invalid job id/i.test(r.stderr) ? { entries: [] } : { error: `squeue failed: ${r.stderr.trim()}` };
  return { entries: parseQueue(r.stdout) };
}

export function parseQueue(text: string): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)_(\d+)\|(\S+)$/.exec(line.trim());
    if (m) out.push({ job: `${m[1]}_${m[2]}`, index: Number(m[2]), state: m[3] });
  }
  return out;
}

export interface AccountingEntry {
  index: number;
  job: string;
  state: string;
  exitCode: string;
}

/**
 * Final states of the array tasks from sacct: the accounting database when there is one, else the
 * job-completion log (`sacct --completion`, jobcomp/filetxt). Which source answered, or null when
 * neither listed an array task (then status rests on the run directories and squeue).
 */
export function accountingOf(jobIds: string[]): { source: string; entries: AccountingEntry[] } | null {
  if (jobIds.length === 0) return null;
  for (const extra of [[], ['--completion']]) {
    const r = spawnSync('sacct', [...extra, '--noheader', '--parsable2', `--jobs=${jobIds.join(',')}`, '--format=JobID,State,ExitCode'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) continue;
    const entries = parseAccounting(r.stdout);
    // Slurm 22.05's `sacct --completion` cannot read the array fields of a filetxt log
    // ("Unknown type ArrayJobId") and lists no array task: that is no answer.
    if (entries.length > 0) return { source: extra.length ? 'sacct --completion' : 'sacct', entries };
  }
  return null;
}

export function parseAccounting(text: string): AccountingEntry[] {
  const out: AccountingEntry[] = [];
  for (const line of text.split('\n')) {
    const [jobId, state, exitCode] = line.trim().split('|');
    const m = /^(\d+)_(\d+)$/.exec(jobId ?? '');
    if (m && state) out.push({ job: jobId, index: Number(m[2]), state: state.split(' ')[0], exitCode: exitCode ?? '' });
  }
  return out;
}
