// The run directory's files on known inputs: the names the layout gives them, and what the readers
// of checkpoints/state.json, summary.json and metrics.jsonl accept and refuse, one field at a time
// (each check of a reader is needed: a record that breaks only that check is refused by it).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { CHECKPOINT_NAME, checkpointName, EVENTS_PREFIX, runFiles } from '../../src/rundir/layout.ts';
import { appendMetrics, readMetrics, trimMetrics } from '../../src/rundir/records.ts';
import { hasState, readState } from '../../src/rundir/state.ts';
import { readSummary, writeSummaryFile, type RunSummary } from '../../src/rundir/summary.ts';
import { tempDir } from '../fixtures/data/write.ts';

const userError = (p: RegExp) => (e: unknown) => e instanceof UserError && p.test(e.message);

test('the layout: file names under the workdir, checkpoint names with 8-digit steps', () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(runFiles('/w')).filter(([, v]) => typeof v === 'string')),
    { config: '/w/config.json', metrics: '/w/metrics.jsonl', summary: '/w/summary.json', checkpoints: '/w/checkpoints', state: '/w/checkpoints/state.json', lock: '/w/lock' },
  );
  assert.equal(runFiles('/w').evalResult('best'), '/w/eval-best.json');
  // TensorBoard finds event files by this prefix.
  assert.equal(EVENTS_PREFIX, 'events.out.tfevents.');
  assert.equal(checkpointName(7), 'ckpt-00000007.npz');
  assert.equal(checkpointName(123456789), 'ckpt-123456789.npz');
  for (const ok of ['ckpt-00000007.npz', 'ckpt-123456789.npz', 'ckpt-0.npz']) assert.ok(CHECKPOINT_NAME.test(ok), ok);
  for (const bad of ['ckpt-.npz', 'ckpt-1a.npz', 'xckpt-1.npz', 'ckpt-1.npz.tmp', 'ckpt-1.npy', 'ckpt-1xnpz', '../ckpt-1.npz']) assert.ok(!CHECKPOINT_NAME.test(bad), bad);
});

const position = { npz: 'ckpt-00000004.npz', loop: { task: 1 }, optimizer: { kind: 'adam', step: 4 } };

function stateDir(state: unknown): string {
  const dir = tempDir('state');
  mkdirSync(runFiles(dir).checkpoints);
  writeFileSync(runFiles(dir).state, typeof state === 'string' ? state : JSON.stringify(state));
  return dir;
}

test('checkpoints/state.json: a whole state is read as written, with or without the previous checkpoint', () => {
  const empty = tempDir('state-none');
  assert.equal(hasState(empty), false);
  assert.throws(() => readState(empty), userError(/^'.*checkpoints\/state\.json' cannot be read: ENOENT/));
  const plain = { version: 1, ...position };
  assert.equal(hasState(stateDir(plain)), true);
  assert.deepEqual(readState(stateDir(plain)), plain);
  const withPrevious = { ...plain, previous: { ...position, npz: 'ckpt-00000002.npz' } };
  assert.deepEqual(readState(stateDir(withPrevious)), withPrevious);
});

test('checkpoints/state.json: each field that is wrong alone is refused, naming the file', () => {
  const bad: [string, unknown][] = [
    ['null', null],
    ['a list', [position]],
    ['version 2', { version: 2, ...position }],
    ['no version', position],
    ['npz not a string', { version: 1, ...position, npz: 4 }],
    ['npz not a checkpoint name', { version: 1, ...position, npz: 'state.json' }],
    // A list whose text is a checkpoint name: only a string is a name.
    ['npz a list', { version: 1, ...position, npz: [position.npz] }],
    ['loop null', { version: 1, ...position, loop: null }],
    ['loop a number', { version: 1, ...position, loop: 3 }],
    ['no optimizer', { version: 1, npz: position.npz, loop: position.loop }],
    ['optimizer kind a number', { version: 1, ...position, optimizer: { kind: 1, step: 4 } }],
    ['optimizer step fractional', { version: 1, ...position, optimizer: { kind: 'adam', step: 4.5 } }],
    ['previous null', { version: 1, ...position, previous: null }],
    ['previous without npz', { version: 1, ...position, previous: { loop: {}, optimizer: { kind: 'adam', step: 2 } } }],
  ];
  for (const [what, state] of bad) {
    assert.throws(() => readState(stateDir(state)), userError(/^'.*checkpoints\/state\.json' is not a checkpoint state written by this version$/), what);
  }
});

const summary = {
  method: 'l2p',
  tasks: 2,
  acc_matrix: [[90, 80], [0, 70]],
  avg_acc: 75,
  forgetting: 10,
  backward: -10,
  learning_acc: 80,
  prompt_usage: [[3, 1], [0, 4]],
  prompt_selection_accuracy: null,
  test_time_selection: 'top_k',
  shared_test_set: false,
  wall_time_s: 1.5,
  train_images: 10,
  images_per_s: 6.7,
  config: { method: 'l2p' },
} as unknown as RunSummary;

test('summary.json: written atomically and read back; each missing or mistyped field is refused', () => {
  const dir = tempDir('summary');
  writeSummaryFile(dir, summary);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')), summary);
  assert.deepEqual(readSummary(runFiles(dir).summary), summary);
  assert.throws(() => readSummary(join(dir, 'absent.json')), userError(/^'.*absent\.json' cannot be read: ENOENT/));
  const refuse = /^'.*summary\.json' is not a summary written by l2p train \(it needs tasks, acc_matrix, avg_acc, prompt_usage and config\)$/;
  const bad: [string, unknown][] = [
    ['null', null],
    ['acc_matrix missing', { ...summary, acc_matrix: undefined }],
    ['acc_matrix a row not a list', { ...summary, acc_matrix: [[90, 80], 70] }],
    ['acc_matrix an entry not a number', { ...summary, acc_matrix: [[90, '80'], [0, 70]] }],
    ['avg_acc a string', { ...summary, avg_acc: '75' }],
    ['tasks missing', { ...summary, tasks: undefined }],
    ['prompt_usage not a list', { ...summary, prompt_usage: {} }],
    ['config missing', { ...summary, config: undefined }],
    ['config null', { ...summary, config: null }],
  ];
  for (const [what, s] of bad) {
    writeFileSync(runFiles(dir).summary, JSON.stringify(s));
    assert.throws(() => readSummary(runFiles(dir).summary), userError(refuse), what);
  }
});

const rec = (step: number, extra: object = {}) => ({ task: 0, step, global_step: step, loss: 1, train_accuracy: 0.5, accuracy: [50], elapsed_s: 1, ...extra });

function metricsDir(text: string): string {
  const dir = tempDir('metrics');
  writeFileSync(runFiles(dir).metrics, text);
  return dir;
}

test('metrics.jsonl: appended records read back in order; blank lines are skipped', () => {
  const dir = tempDir('metrics-append');
  appendMetrics(dir, rec(1));
  appendMetrics(dir, rec(2, { task: 1, accuracy: [40, 60] }));
  assert.equal(readFileSync(runFiles(dir).metrics, 'utf8'), `${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2, { task: 1, accuracy: [40, 60] }))}\n`);
  assert.deepEqual(readMetrics(runFiles(dir).metrics), [rec(1), rec(2, { task: 1, accuracy: [40, 60] })]);
  const blanks = metricsDir(`\n${JSON.stringify(rec(1))}\n  \n${JSON.stringify(rec(2))}\n`);
  assert.deepEqual(readMetrics(runFiles(blanks).metrics).map((r) => r.step), [1, 2]);
  // Spaces after the last newline are no record cut short.
  const spaces = metricsDir(`${JSON.stringify(rec(1))}\n  `);
  assert.equal(trimMetrics(spaces, 5), null);
});

test('metrics.jsonl: each field a record needs, wrong alone, is refused naming the line', () => {
  const bad: [string, object | null][] = [
    ['null', null],
    ['task fractional', rec(1, { task: 0.5 })],
    ['global_step missing', rec(1, { global_step: undefined })],
    ['accuracy not a list', rec(1, { accuracy: {} })],
    ['an accuracy entry not a number', rec(1, { accuracy: [50, '60'] })],
  ];
  for (const [what, r] of bad) {
    const dir = metricsDir(`${JSON.stringify(rec(1))}\n${JSON.stringify(r)}\n`);
    assert.throws(() => readMetrics(runFiles(dir).metrics), userError(/metrics\.jsonl' line 2: not a metrics record \(it needs integer task and global_step and an accuracy list\)$/), what);
  }
  // A whole last line without its newline is judged too, under its own number.
  const noNewline = metricsDir(`${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2))}\n[1, 2]`);
  assert.throws(() => readMetrics(runFiles(noNewline).metrics), userError(/metrics\.jsonl' line 3: not a metrics record/));
});

test('metrics.jsonl: a bad line is quoted up to 60 characters', () => {
  const line60 = `{${'x'.repeat(59)}`;
  const line61 = `{${'x'.repeat(60)}`;
  assert.throws(() => readMetrics(runFiles(metricsDir(`${line60}\n`)).metrics), userError(new RegExp(`line 1 is not valid JSON: ${line60.replace('{', '\\{')}$`)));
  assert.throws(() => readMetrics(runFiles(metricsDir(`${line61}\n`)).metrics), userError(new RegExp(`line 1 is not valid JSON: ${line60.replace('{', '\\{')}…$`)));
});

test('metrics.jsonl: trimming keeps records up to the step, and a run without the file is left without one', () => {
  const dir = metricsDir([1, 2, 3, 4].map((s) => `${JSON.stringify(rec(s))}\n`).join(''));
  assert.equal(trimMetrics(dir, 2), null);
  assert.deepEqual(readMetrics(runFiles(dir).metrics).map((r) => r.global_step), [1, 2]);
  const none = tempDir('metrics-none');
  assert.equal(trimMetrics(none, 2), null);
  assert.equal(existsSync(runFiles(none).metrics), false);
});
