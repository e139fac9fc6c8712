// The run directory's readers say what is wrong: only a last line cut short by a kill may be left out
// of metrics.jsonl; any other bad line, a damaged summary.json or checkpoints/state.json is an error
// naming the file (the report used to drop such lines, or show a damaged state as "no prompt usage").
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { loadRun } from '../../src/report/run-data.ts';
import { runFiles } from '../../src/rundir/layout.ts';
import { readMetrics, trimMetrics } from '../../src/rundir/records.ts';
import { readState } from '../../src/rundir/state.ts';
import { tempDir } from '../fixtures/data/write.ts';

const rec = (task: number, step: number) => JSON.stringify({ task, step, global_step: step, loss: 1, train_accuracy: 0.5, accuracy: [50], elapsed_s: 1 });
const isUserError = (p: RegExp) => (e: unknown) => e instanceof UserError && p.test(e.message);

function run(metrics: string): string {
  const dir = tempDir('records');
  writeFileSync(runFiles(dir).metrics, metrics);
  return dir;
}

test('metrics.jsonl: a torn last line is left out, and trimming drops it', () => {
  const dir = run(`${rec(0, 1)}\n${rec(0, 2)}\n{"task":0,"st`);
  assert.deepEqual(readMetrics(runFiles(dir).metrics).map((r) => r.step), [1, 2]);
  assert.equal(trimMetrics(dir, 1), `'${runFiles(dir).metrics}' line 3 is a record cut short (the run was stopped while writing it): dropped`);
  assert.equal(readFileSync(runFiles(dir).metrics, 'utf8'), `${rec(0, 1)}\n`);
  assert.equal(trimMetrics(dir, 1), null, 'a whole file trims without a warning');
  // A last line that is whole but lacks its newline (killed between write and newline) counts.
  assert.deepEqual(readMetrics(runFiles(run(`${rec(0, 1)}\n${rec(0, 2)}`)).metrics).map((r) => r.step), [1, 2]);
});

test('metrics.jsonl: a bad line anywhere else is an error naming the file and line', () => {
  const broken = run(`${rec(0, 1)}\n{"task":0,"st\n${rec(0, 3)}\n`);
  assert.throws(() => readMetrics(runFiles(broken).metrics), isUserError(/metrics\.jsonl' line 2 is not valid JSON: \{"task":0,"st$/));
  assert.throws(() => trimMetrics(broken, 5), isUserError(/line 2 is not valid JSON/));
  assert.throws(() => loadRun(broken), isUserError(/metrics\.jsonl' line 2 is not valid JSON/));
  const notRecord = run(`${rec(0, 1)}\n{"task":"zero","global_step":2,"accuracy":[1]}\n`);
  assert.throws(() => readMetrics(runFiles(notRecord).metrics), isUserError(/line 2: not a metrics record/));
  // Even as the last line: it is whole (it ends in a newline), so no kill cut it.
  const lastWhole = run(`${rec(0, 1)}\n[1, 2]\n`);
  assert.throws(() => readMetrics(runFiles(lastWhole).metrics), isUserError(/line 2: not a metrics record/));
});

test('a damaged checkpoints/state.json is an error, not "no prompt usage"', () => {
  const dir = run(`${rec(0, 1)}\n`);
  mkdirSync(runFiles(dir).checkpoints);
  writeFileSync(runFiles(dir).state, '{"version": 1, "npz": "ckpt-00000001.np');
  assert.throws(() => readState(dir), isUserError(/state\.json' cannot be read: /));
  assert.throws(() => loadRun(dir), isUserError(/state\.json' cannot be read: /));
  writeFileSync(runFiles(dir).state, JSON.stringify({ version: 1, npz: 'ckpt-00000001.npz', loop: { promptUsage: 'many' }, optimizer: { kind: 'adam', step: 1 } }));
  assert.throws(() => loadRun(dir), isUserError(/state\.json' holds no prompt usage/));
  writeFileSync(runFiles(dir).state, JSON.stringify({ version: 1, npz: 'ckpt-00000001.npz', loop: { promptUsage: [[2, 1]] }, optimizer: { kind: 'adam', step: 1 } }));
  assert.deepEqual(loadRun(dir).promptUsage, [[2, 1]]);
});

test('a damaged summary.json is an error naming it', () => {
  const dir = run(`${rec(0, 1)}\n`);
  writeFileSync(runFiles(dir).summary, '{"tasks": 2}');
  assert.throws(() => loadRun(dir), isUserError(/summary\.json' is not a summary written by l2p train/));
});
