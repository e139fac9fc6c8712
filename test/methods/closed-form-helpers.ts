// The train-smoke and stop/resume runs the closed-form methods' tests share (SimpleCIL, APER,
// RanPAC with and without its first session): one `l2p train` run of a smoke preset to the end, its
// checkpoints' files and keys, and the same run stopped at fault events, resumed, and compared.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NpzReader } from '../../src/io/npz.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { results, runWithFault, trainToEnd } from '../helpers/train-run.ts';

export type Argv = (workdir: string) => string[];

/** `l2p train` of `config` on one worker and one thread, with data_dir and further `--set`s. */
export const trainArgv = (config: string, dataDir: string, sets: readonly string[] = []): Argv => (workdir) => [
  'bin/l2p.mjs', 'train', '--config', config, '--workdir', workdir, '--workers', '0', '--threads', '1',
  '--set', `data_dir=${dataDir}`, ...sets.flatMap((s) => ['--set', s]),
];

export interface ReferenceRun {
  workdir: string;
  want: ReturnType<typeof results>;
  /** How many of each fault event the run passed (L2P_FAULT_COUNTS): 'step', 'stats-batch', ... */
  counts: Record<string, number>;
}

/** Runs to the end in a fresh directory. */
export function referenceRun(argv: Argv, name: string): ReferenceRun {
  const workdir = join(tempDir(`${name}-ref`), 'run');
  const countsFile = join(tempDir(`${name}-counts`), 'counts.json');
  const r = spawnSync(process.execPath, argv(workdir), { encoding: 'utf8', env: { ...process.env, L2P_FAULT_COUNTS: countsFile } });
  assert.equal(r.status, 0, r.stderr);
  return { workdir, want: results(workdir), counts: JSON.parse(readFileSync(countsFile, 'utf8')) };
}

/** The run's checkpoint files, and the keys of the last one's npz, sorted. */
export function checkpoints(workdir: string): { files: string[]; keys: string[] } {
  const dir = join(workdir, 'checkpoints');
  const files = readdirSync(dir).filter((f) => f.endsWith('.npz')).sort();
  const r = NpzReader.open(join(dir, files[files.length - 1]));
  try {
    return { files, keys: r.keys().sort() };
  } finally {
    r.close();
  }
}

/**
 * The run stopped by SIGTERM at each fault in turn (each later one resumed), then resumed to the end:
 * its results must be the reference's. Returns the stopped runs' stderr and the workdir.
 */
export function stopAndResume(argv: Argv, name: string, faults: readonly string[], want: ReferenceRun['want']): { stderr: string[]; workdir: string } {
  const workdir = join(tempDir(`${name}-stop`), 'run');
  const stderr = faults.map((fault, i) => {
    const out = runWithFault(i === 0 ? argv(workdir) : [...argv(workdir), '--resume'], `${fault}:SIGTERM`);
    assert.equal(out.status, 143, `${fault}: ${out.stderr}`);
    return out.stderr;
  });
  trainToEnd([...argv(workdir), '--resume']);
  assert.deepEqual(results(workdir), want);
  return { stderr, workdir };
}
