// Node and npm: the versions the package needs, and whether npm reads package.json's `allowScripts`
// (npm 11 and later; an older npm runs every dependency's install script).
import { spawnSync } from 'node:child_process';
import { type Check, fail, pass } from './check.ts';

const NODE_MIN = [20, 9];

const atLeast = (v: number[], min: number[]) => v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
const parts = (v: string) => v.replace(/^v/, '').split('.').map(Number);

export function nodeCheck(version = process.version): Check {
  return atLeast(parts(version), NODE_MIN)
    ? pass('Node', version)
    : fail('Node', `${version}, older than ${NODE_MIN.join('.')}`, `install Node ${NODE_MIN.join('.')} or later (package.json engines)`, true);
}

/** npm's version as `npm --version` prints it, or null where there is no npm on PATH. */
export function npmVersion(env: NodeJS.ProcessEnv = process.env): string | null {
  const r = spawnSync('npm', ['--version'], { env, encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** npm is not needed to run the commands, so no npm check blocks. */
export function npmCheck(version: string | null): Check {
  if (version === null) return fail('npm', 'not found on PATH', 'install npm 11 or later to install or update the package', false);
  if (parts(version)[0] >= 11) return pass('npm', `${version} (reads allowScripts: only the install scripts package.json allows run)`);
  return fail('npm', `${version}: npm before 11 ignores package.json's allowScripts and runs every dependency's install script`, 'npm install -g npm@11', false);
}
