// The golden cases' own provenance, checked: scripts/golden/make_case.py (an independent float64
// NumPy implementation of the official step) recomputes each case's expected.npz from its inputs,
// and its hand-written backward agrees with central differences of its forward.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = 'test/fixtures/golden';
const script = 'scripts/golden/make_case.py';

/** The L2P cases, under either clip scope ('all' adds the prompted backbone's gradients to the norm). */
const cases = readdirSync(root).filter((name) => {
  if (!existsSync(join(root, name, 'case.json'))) return false;
  const c = JSON.parse(readFileSync(join(root, name, 'case.json'), 'utf8'));
  return (c.method ?? 'l2p') === 'l2p';
});

test('the golden cases make_case.py reproduces include a, b, c, d and e (clip_scope all)', () => {
  for (const name of ['a', 'b', 'c', 'd', 'e']) assert.ok(cases.includes(name), name);
  assert.equal(JSON.parse(readFileSync(join(root, 'e', 'case.json'), 'utf8')).clip_scope, 'all');
});

function python(args: string[]): string {
  const r = spawnSync('python3', [script, ...args], { encoding: 'utf8' });
  assert.ok(!r.error, `python3 cannot run (${r.error?.message}): install python3 and python3-numpy`);
  assert.equal(r.status, 0, `python3 ${script} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

for (const name of cases) {
  const dir = join(root, name);
  test(`golden ${name}: make_case.py recomputes expected.npz (to 1e-6) and its gradients pass a finite-difference check (to 1e-5)`, () => {
    const verify = python(['verify', dir]);
    const worst = Number(/worst \(abs, relative above 1\): (\S+)/.exec(verify)?.[1]);
    assert.ok(worst < 1e-6, verify);
    const fd = python(['fdcheck', dir]);
    const fdWorst = Number(/worst relative fd error (\S+)/.exec(fd)?.[1]);
    assert.ok(fdWorst < 1e-5, fd);
  });
}
