// The run directory's names, against the layout src/rundir/layout.ts documents (and docs/ name to
// users): checkpoint names by step, tasks finished and phase, sorting in save order, and the
// pattern that finds them among other files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKPOINT_NAME, checkpointName, QUERY_CACHE_DIR, runFiles } from '../../src/rundir/layout.ts';

test('checkpoint names: the step in 8 digits, then the tasks finished in 4 and the phase in 2 when given', () => {
  assert.equal(checkpointName(12), 'ckpt-00000012.npz');
  assert.equal(checkpointName(12, 3), 'ckpt-00000012.t0003.npz');
  assert.equal(checkpointName(12, 3, 1), 'ckpt-00000012.t0003.p01.npz');
  assert.equal(checkpointName(12, undefined, 2), 'ckpt-00000012.p02.npz');
  assert.equal(checkpointName(123456789, 12345, 123), 'ckpt-123456789.t12345.p123.npz');
  // Saved in this order: a step, the ends of two tasks that ran no step, then a later phase.
  const saved = [checkpointName(9, 1), checkpointName(40, 2), checkpointName(40, 3), checkpointName(40, 3, 1), checkpointName(41, 3, 2)];
  assert.deepEqual([...saved].reverse().sort(), saved);
});

test('the checkpoint pattern finds every name checkpointName makes, and nothing else', () => {
  for (const name of [checkpointName(0), checkpointName(12, 3), checkpointName(12, 3, 1), checkpointName(12, undefined, 10), checkpointName(7, 1234, 56)]) {
    assert.ok(CHECKPOINT_NAME.test(name), name);
  }
  for (const name of ['ckpt-12.npz.tmp', 'ckpt-.npz', 'ckpt-12.tab.npz', 'ckpt-12.t.npz', 'ckpt-12.t0003.pab.npz', 'ckpt-12.p01.t0003.npz', 'xckpt-12.npz', 'state.json']) {
    assert.equal(CHECKPOINT_NAME.test(name), false, name);
  }
});

test('the run files and the query cache are where the layout says', () => {
  const f = runFiles('/r');
  assert.deepEqual({ ...f, evalResult: f.evalResult('prompt') }, {
    config: '/r/config.json',
    metrics: '/r/metrics.jsonl',
    summary: '/r/summary.json',
    checkpoints: '/r/checkpoints',
    state: '/r/checkpoints/state.json',
    lock: '/r/lock',
    evalResult: '/r/eval-prompt.json',
  });
  assert.equal(QUERY_CACHE_DIR, 'query-cache');
});
