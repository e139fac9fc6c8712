// A run killed with SIGKILL at random moments (20 times and more) and resumed with --resume ends
// with the same accuracy matrix, prompt usage and metrics as an uninterrupted run; SIGTERM saves and
// stops; a workdir of another config is refused.
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

const args = (workdir: string, epochs = 20) => [
  'bin/l2p.mjs', 'train', '--config', 'cifar100_l2p_smoke', '--workdir', workdir, '--workers', '0', '--threads', '1',
  '--set', `data_dir=${dataDir}`, '--set', `num_epochs=${epochs}`, '--set', 'continual.num_train_steps_per_task=-1', '--set', 'eval_every_steps=4',
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

/**
 * Runs the command and kills it `ms` after it starts working (its first line on stderr); returns the
 * exit code and the phase its last line reported before the kill ('train' or 'eval').
 */
function runKilledAfter(argv: string[], ms: number): Promise<{ code: number | null; phase: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let timer: NodeJS.Timeout | undefined;
    let phase = 'train';
    child.stderr.on('data', (d: Buffer) => {
      const lines = d.toString().trim().split('\n');
      phase = /^\s*eval task/.test(lines[lines.length - 1]) ? 'eval' : 'train';
      timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, phase });
    });
  });
}

test('a run killed 20 times at random moments resumes to the same results', async (t) => {
  const epochs = 60;
  const ref = join(tempDir('resume-ref'), 'run');
  execFileSync(process.execPath, args(ref, epochs), { stdio: 'pipe' });
  const want = results(ref);

  const workdir = join(tempDir('resume-kill'), 'run');
  const r = rng(11);
  const phases: Record<string, number> = {};
  let kills = 0;
  let code: number | null = null;
  for (let attempt = 0; attempt < 120 && code !== 0; attempt++) {
    // Kills land in training steps, evaluations and checkpoint writes. Until 20 have landed the
    // window stays short; then it widens so that the run can finish.
    const window = kills < 20 ? 300 : 400 + 60 * (attempt - kills);
    const res = await runKilledAfter([...args(workdir, epochs), ...(attempt > 0 ? ['--resume'] : [])], Math.floor(r() * window));
    code = res.code;
    if (code !== 0) {
      kills++;
      phases[res.phase] = (phases[res.phase] ?? 0) + 1;
    }
  }
  assert.equal(code, 0, 'the run finished');
  t.diagnostic(`${kills} kills before the run finished: ${JSON.stringify(phases)}`);
  assert.ok(kills >= 20, `only ${kills} kills landed`);
  assert.ok(phases.train > 0 && phases.eval > 0, `kills in training and in evaluation: ${JSON.stringify(phases)}`);
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

test('two runs with the same seed give identical metrics, whatever the number of data workers', () => {
  const a = join(tempDir('det-a'), 'run');
  const b = join(tempDir('det-b'), 'run');
  execFileSync(process.execPath, args(a, 3), { stdio: 'pipe' });
  execFileSync(process.execPath, args(b, 3).map((x) => (x === '0' ? '2' : x)), { stdio: 'pipe' });
  assert.ok(args(b, 3).includes('--workers'));
  assert.deepEqual(results(b), results(a));
});
