// The cases of issue 24 outside the server, through the real command line: an image that is a
// device, a pipe or a directory (read forever before), a config whose model cannot be allocated (a
// RangeError's stack before); each is one line naming the file or key, exit status 1, nothing
// written. And the two a resume now reports instead of passing over in silence: a record cut short
// at the end of metrics.jsonl (a warning naming the file and line), and a newest checkpoint that
// cannot be read (the one kept before it is used, with a warning naming both).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir } from '../fixtures/data/write.ts';
import { assertRefusal, assertUnchanged, l2p, snapshot } from './cli.ts';
import { tfdsCifar100 } from './data.ts';

const root = tempDir('refusals');
const data = join(root, 'data');
const run = join(root, 'run');
const train = (workdir: string, ...more: string[]) => [
  'train', '--config', 'cifar100_l2p_smoke', '--workdir', workdir, '--set', `data_dir=${data}`, '--workers', '0', '--threads', '1', '--set', 'num_epochs=2', ...more,
];
before(async () => {
  await tfdsCifar100(data);
  const r = await l2p(train(run));
  assert.equal(r.status, 0, r.stderr);
});

/** `args` must end with one line matching `pattern`, and exit 1, leaving every path in `watch` as it was. */
async function refused(command: string, args: string[], watch: string[], pattern: RegExp): Promise<void> {
  const was = snapshot(watch);
  const r = await l2p(args);
  assert.deepEqual(assertRefusal(r, command, pattern), [], `lines before the error:\n${r.stderr}`);
  assertUnchanged(was, snapshot(watch), watch.join(', '));
}

test('l2p predict refuses a device, a pipe and a directory as an image, at once and in one line', async () => {
  const d = tempDir('predict-special');
  const fifo = join(d, 'pipe.png');
  execFileSync('mkfifo', [fifo]);
  for (const file of ['/dev/zero', fifo, d]) {
    await refused('predict', ['predict', '--workdir', run, '--images', file], [run, d], new RegExp(`cannot read image '${file}': it is not a regular file$`));
  }
  await refused('predict', ['predict', '--workdir', run, '--images', join(d, 'absent.png')], [run, d], /cannot read image '.*absent\.png': it does not exist$/);
});

test('a config whose model cannot be allocated is one line naming the key, with nothing written', async () => {
  const w = join(tempDir('alloc'), 'run');
  for (const [key, value] of [['prompt_pool_param.pool_size', '1e9'], ['prompt_pool_param.length', '1e9']]) {
    await refused('train', train(w, '--set', `${key}=${value}`), [w], new RegExp(`'${key.replace('.', '\\.')}'`));
  }
});

test('--resume warns of a record cut short at the end of metrics.jsonl, naming the file and line, and drops it', async () => {
  const w = join(tempDir('cut'), 'run');
  cpSync(run, w, { recursive: true });
  const metrics = join(w, 'metrics.jsonl');
  const whole = readFileSync(metrics, 'utf8');
  const lines = whole.trim().split('\n').length;
  appendFileSync(metrics, '{"task":1,"step":4,"glo');
  const r = await l2p(train(w, '--resume'));
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.includes(`warning: '${metrics}' line ${lines + 1} is a record cut short (the run was stopped while writing it): dropped\n`), r.stderr);
  assert.equal(readFileSync(metrics, 'utf8'), whole);
});

test('--resume falls back to the checkpoint kept before a newest one that cannot be read, naming both, and ends as the run did', async () => {
  const w = join(tempDir('fallback'), 'run');
  cpSync(run, w, { recursive: true });
  const state = JSON.parse(readFileSync(join(w, 'checkpoints', 'state.json'), 'utf8'));
  assert.ok(state.previous, 'state.json keeps the checkpoint before the newest');
  const newest = join(w, 'checkpoints', state.npz);
  const older = join(w, 'checkpoints', state.previous.npz);
  truncateSync(newest, Math.floor(statSync(newest).size / 2));
  const r = await l2p(train(w, '--resume'));
  assert.equal(r.status, 0, r.stderr);
  const warning = r.stderr.split('\n').find((l) => l.startsWith('warning: the newest checkpoint'));
  assert.ok(warning?.startsWith(`warning: the newest checkpoint '${newest}' cannot be read ('${newest}' `), r.stderr);
  assert.ok(warning!.endsWith(`; resuming from the one before it, '${older}'`), warning);
  assert.match(r.stderr, new RegExp(`resuming at task ${state.previous.loop.task}, step ${state.previous.loop.stepInTask} `));
  const summary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.deepEqual(summary(w).acc_matrix, summary(run).acc_matrix);
  assert.deepEqual(summary(w).prompt_usage, summary(run).prompt_usage);
  // Without a checkpoint before it, the newest one's fault is the error, as before.
  const alone = join(tempDir('fallback-alone'), 'run');
  mkdirSync(alone, { recursive: true });
  cpSync(w, alone, { recursive: true });
  const s2 = JSON.parse(readFileSync(join(alone, 'checkpoints', 'state.json'), 'utf8'));
  truncateSync(join(alone, 'checkpoints', s2.npz), 10);
  truncateSync(join(alone, 'checkpoints', s2.previous.npz), 10);
  await refused('train', train(alone, '--resume'), [alone], /ckpt-\d+\.npz'/);
});
