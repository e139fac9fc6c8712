// Each point's runs/<id>/attempts.jsonl: one line when a launcher starts `l2p train --resume` on the
// point ({start, launcher, pid?, job?, host}) and, where the launcher outlives the run, one when it
// ends ({end, rc}). Slurm replaces its array task's shell by the run, so its attempts have no end
// line; their end is read from squeue and sacct.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ATTEMPTS_FILE = 'attempts.jsonl';
export const TRAIN_LOG = 'train.log';

export interface AttemptStart {
  start: string;
  launcher: 'local' | 'slurm';
  host: string;
  pid?: number;
  /** Slurm's `<array job id>_<array index>`. */
  job?: string;
}

export interface AttemptEnd {
  end: string;
  rc: number;
}

export interface Attempt extends AttemptStart {
  end?: string;
  rc?: number;
}

export function appendAttempt(runDir: string, line: AttemptStart | AttemptEnd): void {
  appendFileSync(join(runDir, ATTEMPTS_FILE), `${JSON.stringify(line)}\n`);
}

/** The attempts in order, each start paired with the end line after it, if any. */
export function readAttempts(runDir: string): Attempt[] {
  const file = join(runDir, ATTEMPTS_FILE);
  if (!existsSync(file)) return [];
  const out: Attempt[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let rec: Partial<Attempt>;
    try {
      rec = JSON.parse(line);
    } catch {
      continue; // a line cut short by a kill
    }
    if (typeof rec.start === 'string') out.push(rec as Attempt);
    else if (typeof rec.end === 'string' && out.length > 0 && out[out.length - 1].end === undefined) Object.assign(out[out.length - 1], { end: rec.end, rc: rec.rc });
  }
  return out;
}
