// A small cifar100_l2p_smoke run through the real CLI, and the fault hook (src/fault.ts) that stops
// it at an exact event, for the kill-and-resume tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TrainArgs {
  dataDir: string;
  epochs?: number;
  workers?: number;
}

export function trainArgv(workdir: string, o: TrainArgs): string[] {
  return [
    'bin/l2p.mjs', 'train', '--config', 'cifar100_l2p_smoke', '--workdir', workdir, '--workers', String(o.workers ?? 0), '--threads', '1',
    '--set', `data_dir=${o.dataDir}`, '--set', `num_epochs=${o.epochs ?? 20}`, '--set', 'continual.num_train_steps_per_task=-1', '--set', 'eval_every_steps=4',
  ];
}

/** Runs to the end; throws (with its stderr) if it fails. */
export function trainToEnd(argv: string[]): void {
  execFileSync(process.execPath, argv, { stdio: 'pipe' });
}

export interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs with L2P_FAULT=`fault` (see src/fault.ts), e.g. 'step:3' or 'step:3:SIGTERM'. */
export function runWithFault(argv: string[], fault: string): Outcome {
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, L2P_FAULT: fault } });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

/** What must not depend on interruptions: the results and every metrics record but its wall time. */
export function results(workdir: string) {
  const s = JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8'));
  const metrics = readFileSync(join(workdir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { elapsed_s: _e, ...rest } = JSON.parse(l);
      return rest;
    });
  return { acc: s.acc_matrix, usage: s.prompt_usage, avg: s.avg_acc, forgetting: s.forgetting, images: s.train_images, metrics };
}
