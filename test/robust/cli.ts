// Running the real `l2p` command and checking what it leaves behind: a snapshot of directory trees
// (every entry's kind, size, mtime and content hash) taken before and after a command.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const ROOT = join(import.meta.dirname, '..', '..');

/** Runs `node bin/l2p.mjs ...args` from the repository root, asynchronously so that cases can overlap. */
export function l2p(args: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'l2p.mjs'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every entry under each of `paths` (or 'absent'), keyed by its path. */
export function snapshot(paths: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (p: string, root: string) => {
    const key = `${root}:${relative(root, p)}`;
    const st = lstatSync(p);
    if (st.isDirectory()) {
      out.set(key, `dir ${st.mode}`);
      for (const name of readdirSync(p).sort()) visit(join(p, name), root);
    } else {
      const hash = st.isFile() ? createHash('sha1').update(readFileSync(p)).digest('hex') : 'special';
      out.set(key, `${st.size} ${st.mtimeMs} ${hash}`);
    }
  };
  for (const p of paths) {
    if (existsSync(p)) visit(p, p);
    else out.set(`${p}:`, 'absent');
  }
  return out;
}

/** Asserts that two snapshots are equal, listing the entries that differ. */
export function assertUnchanged(before: Map<string, string>, after: Map<string, string>, what: string): void {
  const keys = new Set([...before.keys(), ...after.keys()]);
  const changed = [...keys].filter((k) => before.get(k) !== after.get(k)).map((k) => `${k}: ${before.get(k) ?? 'absent'} -> ${after.get(k) ?? 'absent'}`);
  assert.deepEqual(changed, [], `${what} changed`);
}

/**
 * Exit status 1, no stack trace, and a last line `l2p <command>: <message>` with the message matching
 * `pattern`. Returns the lines printed before it (warnings, progress), which a clean refusal has none of.
 */
export function assertRefusal(r: CliResult, command: string, pattern: RegExp): string[] {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(r.status, 1, `exit status ${r.status}; stderr:\n${r.stderr}`);
  assert.ok(!lines.some((l) => /^\s+at /.test(l)), `a stack trace on stderr:\n${r.stderr}`);
  const last = lines.at(-1) ?? '';
  assert.ok(last.startsWith(`l2p ${command}: `), `the last line on stderr does not start with 'l2p ${command}: ':\n${r.stderr}`);
  assert.match(last, pattern);
  return lines.slice(0, -1);
}
