// Runs a Python reference (Debian's /usr/bin/python3) on a JSON input, for every test that checks
// against one. A reference is a pure function of its script and input, so where L2P_PYTHON_CACHE names
// a folder (set by `npm run mutate`, whose mutants rerun the same test files hundreds of times) each
// answer is kept there under the hash of script and input, and a mutant that changes what is sent to
// Python misses the cache and runs it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

export interface PythonResult {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/** `args`: the script (a path, or ['-c', source]); `input`: its stdin. */
export function runPython(args: string[], input: string, maxBuffer = 1 << 28): PythonResult {
  const dir = process.env.L2P_PYTHON_CACHE;
  const run = (): PythonResult => {
    const r = spawnSync(PYTHON, args, { input, encoding: 'utf8', maxBuffer });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, ...(r.error ? { error: r.error } : {}) };
  };
  if (!dir) return run();
  const script = args[0] === '-c' ? args[1] : readFileSync(args[0], 'utf8');
  const key = createHash('sha256').update(JSON.stringify(args.slice(args[0] === '-c' ? 2 : 1))).update('\0').update(script).update('\0').update(input).digest('hex');
  const file = join(dir, `${key}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as PythonResult;
  const r = run();
  if (r.status === 0 && !r.error) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(r));
    renameSync(tmp, file);
  }
  return r;
}
