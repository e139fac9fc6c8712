// The Python reference cache of mutation runs (test/helpers/python-cache.ts): an answer is kept under
// its script and input, a different script or input runs Python again, and a failure is never kept.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPython } from '../helpers/python-cache.ts';

const SCRIPT = 'import sys, random; print(sys.stdin.read(), random.random())';

test('kept under script and input; a different script or input runs again; failures are not kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-pycache-'));
  const before = process.env.L2P_PYTHON_CACHE;
  try {
    delete process.env.L2P_PYTHON_CACHE;
    assert.notEqual(runPython(['-c', SCRIPT], 'a').stdout, runPython(['-c', SCRIPT], 'a').stdout, 'no cache: each call runs Python');
    process.env.L2P_PYTHON_CACHE = dir;
    const first = runPython(['-c', SCRIPT], 'a');
    assert.equal(first.status, 0);
    assert.match(first.stdout, /^a 0\.\d+/);
    assert.deepEqual(runPython(['-c', SCRIPT], 'a'), first);
    assert.notEqual(runPython(['-c', SCRIPT], 'b').stdout.slice(2), first.stdout.slice(2));
    assert.notEqual(runPython(['-c', `${SCRIPT}  # another script`], 'a').stdout, first.stdout);
    assert.equal(readdirSync(dir).length, 3);
    assert.equal(runPython(['-c', 'import sys; sys.exit(3)'], 'a').status, 3);
    assert.equal(readdirSync(dir).length, 3, 'a failed run is not kept');
  } finally {
    if (before === undefined) delete process.env.L2P_PYTHON_CACHE;
    else process.env.L2P_PYTHON_CACHE = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
