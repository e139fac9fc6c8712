// The package as a user gets it: `npm pack` (prepack builds dist/), then `npm install` of the tarball
// into a fresh `npm init -y` project outside the repository, with the README's install setting and
// nothing but the npm registry (or its local cache). There, with plain `node` and no TypeScript loader:
// the README's library example, `npx l2p --help`, a shrunken `npx l2p demo`, and the README's example
// and a consumer of the API compiled with tsc against the built .d.ts. One install serves every check.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { tempDir } from '../fixtures/data/write.ts';

const REPO = resolve('.');
let root = '';
let project = '';
let tarball = { file: '', size: 0 };

/** The environment of a user's shell: none of the npm_* settings an enclosing `npm test` exports (the
 * repository's .npmrc among them), and no NODE_OPTIONS, so the temporary project sees only its own. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD') env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: userEnv(extra), encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed in ${cwd} (status ${r.status}, ${r.error ?? ''}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

function readmeExample(): string {
  const m = /<!-- example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readFileSync('README.md', 'utf8'));
  assert.ok(m, 'README.md has a ```ts block between <!-- example:start --> and <!-- example:end -->');
  return m[1];
}

before(() => {
  root = tempDir('package');
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', root], REPO).stdout.replace(/^[^[]*/, '')) as { filename: string; size: number }[];
  tarball = { file: join(root, packed[0].filename), size: packed[0].size };
  project = join(root, 'project');
  mkdirSync(project);
  run('npm', ['init', '-y'], project);
  // Newer npm versions skip dependencies' install scripts unless a project allows them; npm 10 (Node 20's)
  // runs them all. Allowed here, onnxruntime-node's script runs on every npm, and only the setting keeps it
  // from fetching the CUDA libraries (there is no route to their feed from CI, so without it the install fails).
  const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ ...pkg, allowScripts: { 'onnxruntime-node': true } }, null, 2));
  run('npm', ['install', tarball.file, '--no-audit', '--no-fund', '--prefer-offline'], project, { ONNXRUNTIME_NODE_INSTALL: 'skip' });
});

after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

test('the tarball holds the build, the backbone, configs, docs, README and LICENSE, and nothing else', () => {
  const installed = join(project, 'node_modules', 'l2p-ts');
  assert.deepEqual(readdirSync(installed).sort(), ['LICENSE', 'README.md', 'bin', 'configs', 'dist', 'docs', 'models', 'package.json']);
  assert.deepEqual(readdirSync(join(installed, 'dist')).sort(), ['configs', 'src']);
  assert.deepEqual(readdirSync(join(installed, 'models')), ['glyph-vit-nano4.npz']);
  assert.ok(readdirSync(join(installed, 'dist', 'src')).includes('index.d.ts'));
  // Nothing installed can load TypeScript: tsx and typescript are development dependencies only.
  assert.ok(!existsSync(join(project, 'node_modules', 'tsx')) && !existsSync(join(project, 'node_modules', 'typescript')));
  // The size the README states, to within a tenth.
  const m = /tarball is ([\d.]+) MB/.exec(readFileSync('README.md', 'utf8'));
  assert.ok(m, 'README.md states the tarball size as "tarball is N MB"');
  const mb = tarball.size / 1e6;
  assert.ok(Math.abs(Number(m[1]) - mb) <= 0.1 * mb, `README says ${m[1]} MB, the tarball is ${mb.toFixed(2)} MB`);
});

test("the README's library example runs with plain node from the installed package", () => {
  writeFileSync(join(project, 'example.mjs'), readmeExample());
  const lines = run(process.execPath, ['example.mjs'], project).stdout.trim().split('\n');
  const head = /^avg_acc (\d+\.\d\d)% after 2 tasks, run in (.+)$/.exec(lines[0]);
  assert.ok(head, `first line: ${lines[0]}`);
  const summary = JSON.parse(readFileSync(join(head[2], 'summary.json'), 'utf8'));
  rmSync(head[2], { recursive: true, force: true });
  assert.equal(head[1], summary.avg_acc.toFixed(2));
  assert.equal(lines.length, 5);
  for (const line of lines.slice(1)) assert.match(line, /^image \d: label [23], predicted [0-3], prompts \d+ \d+$/);
  // Resolved from the project, the package name is the build in node_modules, not anything in the repository.
  const entry = run(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('l2p-ts'))"], project).stdout.trim();
  assert.equal(entry, pathToFileURL(join(project, 'node_modules', 'l2p-ts', 'dist', 'src', 'index.js')).href);
});

test('npx l2p --help and a shrunken npx l2p demo run the built CLI', () => {
  // `--no`: the installed bin or nothing, never a registry package of that name.
  const help = run('npx', ['--no', '--', 'l2p', '--help'], project).stdout;
  assert.match(help, /^usage: l2p <command>/);
  assert.match(help, /\n {2}demo /);
  // The demo test's shrunk settings; one worker thread, so the built worker module is loaded too.
  const workdir = join(root, 'demo');
  const out = run('npx', ['--no', '--', 'l2p', 'demo', '--workdir', workdir, '--workers', '1', '--set', 'continual.num_train_steps_per_task=4', '--set', 'num_eval_steps=2'], project).stdout;
  const s = JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8'));
  assert.equal(s.tasks, 5);
  assert.equal(s.acc_matrix.length, 5);
  assert.equal(s.config.init_checkpoint, join(project, 'node_modules', 'l2p-ts', 'models', 'glyph-vit-nano4.npz'));
  assert.match(out, /avg_acc \d+\.\d\d% \| forgetting/);
  assert.ok(s.acc_matrix[0][0] > 60, `task 0 accuracy ${s.acc_matrix[0][0]}`);
});

// Each line marked @ts-expect-error must fail to compile: if the built types were missing or `any`,
// the marker itself is reported as unused and tsc fails.
const CONSUMER = `import { getPreset, openRun, predict, train, type L2PConfig, type Prediction, type RunSummary } from 'l2p-ts';

export async function use(workdir: string, images: Float32Array): Promise<number> {
  const config: L2PConfig = getPreset('split_mnist_l2p_smoke');
  const pool: number = config.prompt_pool_param.pool_size;
  const summary: RunSummary = await train(config, { workdir, progress: false });
  const run = openRun(workdir, { selection: 'per_instance' });
  const p: Prediction = await predict(run, images);
  // @ts-expect-error a preset is named by a string
  getPreset(42);
  // @ts-expect-error train needs a workdir
  await train(config, { progress: false });
  // @ts-expect-error selection is 'batchwise' or 'per_instance'
  openRun(workdir, { selection: 'per-instance' });
  // @ts-expect-error images are a Float32Array
  await predict(run, [0.5, 0.5]);
  // @ts-expect-error no such config key
  config.prompt_pool_param.pool_sise;
  // @ts-expect-error avg_acc is a number
  const s: string = summary.avg_acc;
  // @ts-expect-error classes are numbers
  const c: string = p.classes[0];
  return pool + summary.avg_acc + p.classes[0] + s.length + c.length;
}
`;

test("the README's example and a consumer of the API compile with tsc against the built .d.ts", () => {
  writeFileSync(join(project, 'example.mts'), readmeExample());
  writeFileSync(join(project, 'consumer.mts'), CONSUMER);
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [join(REPO, 'node_modules', '@types')],
    },
    files: ['example.mts', 'consumer.mts'],
  };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const tsc = createRequire(join(REPO, 'package.json')).resolve('typescript/bin/tsc');
  run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
});
