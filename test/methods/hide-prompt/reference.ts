// Runs scripts/golden/hide_prompt.py (the official functions, written out in PyTorch/NumPy) on one
// request, with Debian's PyTorch, and returns its JSON answer.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PYTHON, runPython } from '../../helpers/python-cache.ts';

const SCRIPT = join(import.meta.dirname, '../../../scripts/golden/hide_prompt.py');

/** The answers to `requests`, in order, from one run of the script. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function reference(requests: Record<string, unknown>[]): any[] {
  const r = runPython([SCRIPT], JSON.stringify(requests, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v)));
  assert.ok(!r.error, `${PYTHON} cannot run (${r.error?.message}): install python3-torch and python3-numpy`);
  assert.equal(r.status, 0, `hide_prompt.py ${requests.map((q) => q.op).join(', ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** |a − b| ≤ tol · max(1, |b|) elementwise. */
export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}
