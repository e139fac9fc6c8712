// The fault hook itself: the planned occurrence of the planned event stops the process with the
// planned signal, the others pass; a malformed plan is refused before anything runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from './fixtures/data/write.ts';

const script = `
import { faultPoint } from './src/fault.ts';
import './src/fault-counts.ts';
for (let i = 1; i <= 5; i++) { faultPoint('write'); faultPoint('step'); console.log('step', i); }
`;

function run(fault: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, L2P_FAULT: fault, ...env } });
}

test('L2P_FAULT=step:3 kills the process at the third step, after two', () => {
  const r = run('step:3');
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(r.stdout, 'step 1\nstep 2\n');
  const term = run('step:2:SIGTERM');
  assert.equal(term.signal, 'SIGTERM');
  assert.equal(term.stdout, 'step 1\n');
  const never = run('step:9');
  assert.equal(never.status, 0);
  assert.equal(never.stdout.split('\n').length - 1, 5);
});

test('a malformed L2P_FAULT is refused', () => {
  for (const bad of ['stepp:1', 'step:0', 'step:x', 'step', 'step:1:kill']) {
    const r = run(bad);
    assert.notEqual(r.status, 0, bad);
    assert.match(r.stderr, /L2P_FAULT='.*': expected <event>:<n>\[:<signal or error code>\] with event one of step, eval-batch, stats-batch, metrics, checkpoint, write, worker-step, shm-write, worker-reduce and n >= 1/, bad);
  }
});

test('L2P_FAULT_COUNTS writes how often each event occurred, with or without a plan, a handled signal included', () => {
  const file = join(tempDir('fault-counts'), 'counts.json');
  assert.equal(run('', { L2P_FAULT_COUNTS: file }).status, 0);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { write: 5, step: 5 });
  const handled = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `process.on('SIGTERM', () => process.exit(143));${script}await new Promise((r) => setTimeout(r, 1000));`], {
    encoding: 'utf8',
    env: { ...process.env, L2P_FAULT: 'step:2:SIGTERM', L2P_FAULT_COUNTS: file },
  });
  assert.equal(handled.status, 143);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { write: 5, step: 5 });
});
