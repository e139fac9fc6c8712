// A run killed with SIGKILL at random moments and resumed with --resume ends with the same accuracy
// matrix, prompt usage and metrics as an uninterrupted run; a workdir of another config is refused.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir } from '../fixtures/data/write.ts';
import { writePresetData } from '../helpers/tfds-fixtures.ts';
import { rng } from '../helpers/rng.ts';

const dataDir = tempDir('resume-data');
before(() => writePresetData(dataDir));

const args = (workdir: string) => [
  'bin/l2p.mjs', 'train', '--config', 'cifar100_l2p_smoke', '--workdir', workdir, '--workers', '0', '--threads', '1',
  '--set', `data_dir=${dataDir}`, '--set', 'num_epochs=20', '--set', 'continual.num_train_steps_per_task=-1', '--set', 'eval_every_steps=4',
];

function results(workdir: string) {
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

/** Runs the command and kills it `ms` after it starts working (its first line on stderr). */
function runKilledAfter(workdir: string, ms: number, resume: boolean): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...args(workdir), ...(resume ? ['--resume'] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', () => {
      timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test('a run killed at random moments resumes to the same results', async (t) => {
  const ref = join(tempDir('resume-ref'), 'run');
  execFileSync(process.execPath, args(ref), { stdio: 'pipe' });
  const want = results(ref);

  const workdir = join(tempDir('resume-kill'), 'run');
  const r = rng(11);
  let kills = 0;
  let code: number | null = null;
  for (let attempt = 0; attempt < 60 && code !== 0; attempt++) {
    // Kills land in training steps, evaluations and checkpoint writes; the window widens with each
    // attempt so that a slow (loaded) machine still gets past checkpoints.
    code = await runKilledAfter(workdir, Math.floor(r() * (250 + 30 * attempt)), attempt > 0);
    if (code !== 0) kills++;
  }
  assert.equal(code, 0, 'the run finished');
  assert.ok(kills >= 4, `only ${kills} kills landed`);
  t.diagnostic(`${kills} kills before the run finished`);
  assert.deepEqual(results(workdir), want);
});

test('--resume refuses a workdir of another configuration, and a fresh run refuses a used workdir', () => {
  const workdir = join(tempDir('resume-diff'), 'run');
  execFileSync(process.execPath, args(workdir), { stdio: 'pipe' });
  const again = spawnSync(process.execPath, args(workdir), { encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds a run; pass --resume/);
  const other = spawnSync(process.execPath, [...args(workdir), '--resume', '--set', 'learning_rate=0.5'], { encoding: 'utf8' });
  assert.equal(other.status, 1);
  assert.match(other.stderr, /holds a run with another configuration \(differs in learning_rate\)/);
});

test('SIGTERM stops after saving a checkpoint, and --resume finishes the run', async () => {
  const ref = join(tempDir('resume-ref2'), 'run');
  execFileSync(process.execPath, args(ref), { stdio: 'pipe' });
  const workdir = join(tempDir('resume-term'), 'run');
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, args(workdir), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      err += d;
      if (!sent && err.includes('train task 0')) {
        sent = true;
        setTimeout(() => child.kill('SIGTERM'), 100);
      }
    });
    child.on('exit', (c) => resolve({ code: c, stderr: err }));
  });
  assert.equal(code, 143, stderr);
  assert.match(stderr, /stopped by SIGTERM after saving a checkpoint; continue with --resume/);
  execFileSync(process.execPath, [...args(workdir), '--resume'], { stdio: 'pipe' });
  assert.deepEqual(results(workdir), results(ref));
});
