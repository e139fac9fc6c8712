// The package as a user gets it: `npm pack` (prepack builds dist/), then `npm install` of the tarball
// into a fresh `npm init -y` project outside the repository, with the README's install setting and
// nothing but the npm registry (or its local cache). There, with plain `node` and no TypeScript loader:
// the README's library example, `npx l2p --help`, a shrunken `npx l2p demo`, `npx l2p serve` with the
// prebuilt page trained for one task in headless Chromium, and the README's example and a consumer of
// the API compiled with tsc against the built .d.ts. One install serves every check.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { bundlePage } from '../../src/web/bundle.ts';
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

test('the tarball holds the build, the page bundle, the backbone, configs, docs, README and LICENSE, and nothing else', async () => {
  const installed = join(project, 'node_modules', 'l2p-ts');
  assert.deepEqual(readdirSync(installed).sort(), ['LICENSE', 'README.md', 'bin', 'configs', 'dist', 'docs', 'models', 'package.json']);
  assert.deepEqual(readdirSync(join(installed, 'dist')).sort(), ['configs', 'src', 'web']);
  assert.deepEqual(readdirSync(join(installed, 'dist', 'web')).sort(), ['app.js', 'app.js.map', 'index.html']);
  // The page as the build bundled it is the page a clone bundles when `l2p serve` starts.
  const page = await bundlePage();
  assert.ok(Buffer.from(page.js).equals(readFileSync(join(installed, 'dist', 'web', 'app.js'))), 'dist/web/app.js differs from the bundle of the sources');
  assert.ok(Buffer.from(page.map).equals(readFileSync(join(installed, 'dist', 'web', 'app.js.map'))), 'dist/web/app.js.map differs from the bundle of the sources');
  assert.deepEqual(readdirSync(join(installed, 'models')), ['glyph-vit-nano4.npz']);
  assert.ok(readdirSync(join(installed, 'dist', 'src')).includes('index.d.ts'));
  // Nothing installed can load TypeScript or bundle the page: tsx, typescript and esbuild are
  // development dependencies only (the page is bundled once, by the build).
  for (const dev of ['tsx', 'typescript', 'esbuild']) assert.ok(!existsSync(join(project, 'node_modules', dev)), `${dev} is installed`);
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
  // The demo test's shrunk settings; one worker thread and one data-parallel worker process, so the
  // built worker modules are loaded too.
  const workdir = join(root, 'demo');
  const out = run('npx', ['--no', '--', 'l2p', 'demo', '--workdir', workdir, '--workers', '1', '--data-parallel', '1', '--set', 'continual.num_train_steps_per_task=4', '--set', 'num_eval_steps=2'], project).stdout;
  const s = JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8'));
  assert.equal(s.tasks, 5);
  assert.equal(s.acc_matrix.length, 5);
  assert.equal(s.config.init_checkpoint, join(project, 'node_modules', 'l2p-ts', 'models', 'glyph-vit-nano4.npz'));
  assert.match(out, /avg_acc \d+\.\d\d% \| forgetting/);
  assert.ok(s.acc_matrix[0][0] > 60, `task 0 accuracy ${s.acc_matrix[0][0]}`);
});

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

test('npx l2p serve serves the prebuilt page, and the page trains a task in Chromium', async () => {
  const port = await freePort();
  const workdir = join(root, 'web');
  // Its own process group (npx, npm exec, the l2p node process), stopped as one by the pid started here.
  const child = spawn('npx', ['--no', '--', 'l2p', 'serve', '--port', String(port), '--workdir', workdir], { cwd: project, env: userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      new Promise<void>((ok) => child.stdout.on('data', () => out.includes(`serving ${url}/`) && ok())),
      exited.then((code) => assert.fail(`npx l2p serve exited with ${code}:\n${out}`)),
      new Promise((_, fail) => setTimeout(() => fail(new Error(`npx l2p serve did not start in 60 s:\n${out}`)), 60_000)),
    ]);
    const get = async (path: string, type: RegExp) => {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', type, path);
      return Buffer.from(await res.arrayBuffer());
    };
    const html = (await get('/', /^text\/html/)).toString('utf8');
    // The page as built, with this start's token in its head.
    const token = /\n<meta name="l2p-token" content="[A-Za-z0-9_-]{43}">/;
    assert.match(html, token);
    assert.equal(html.replace(token, ''), readFileSync(join(REPO, 'src', 'web', 'page', 'index.html'), 'utf8'));
    assert.match((await get('/app.js', /^text\/javascript$/)).toString('utf8'), /\/\/# sourceMappingURL=app\.js\.map\s*$/);
    // The WASM binary comes from the project's onnxruntime-web, wherever npm put it.
    const wasm = await get('/ort/ort-wasm-simd-threaded.wasm', /^application\/wasm$/);
    assert.deepEqual([...wasm.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
    const ortDir = resolve(createRequire(join(project, 'package.json')).resolve('onnxruntime-web'), '..');
    assert.equal(wasm.length, readFileSync(join(ortDir, 'ort-wasm-simd-threaded.wasm')).length);
    // The page itself: the scripted Split MNIST stream, one task, on the installed backbone and digits.
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${url}/?autorun=split-mnist&tasks=1`);
      await page.waitForSelector('#summary[data-avg-acc]', { timeout: 120_000 });
      const d = (await page.evaluate(`({ ...document.getElementById('summary').dataset })`)) as Record<string, string>;
      assert.equal(d.tasks, '1');
      assert.equal(d.provider, 'wasm');
      assert.ok(Number(d.avgAcc) > 60, `task 0 accuracy in the page ${d.avgAcc}`);
    } finally {
      await browser.close();
    }
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
  }
  await exited;
  // npx dies of the signal; l2p itself closes its server on SIGTERM (the port is refused soon after).
  for (let i = 0; ; i++) {
    const refused = await fetch(`${url}/`).then(() => false, () => true);
    if (refused) break;
    assert.ok(i < 100, `l2p serve still answers on ${url} 10 s after SIGTERM:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Without its page build an installed package cannot serve: one line naming the file, status 1.
  const app = join(project, 'node_modules', 'l2p-ts', 'dist', 'web', 'app.js');
  renameSync(app, `${app}.away`);
  try {
    const r = spawnSync('npx', ['--no', '--', 'l2p', 'serve', '--port', '0', '--workdir', workdir], { cwd: project, env: userEnv(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.ok(r.stderr.startsWith(`l2p serve: the page's build '${app}' is missing`), r.stderr);
  } finally {
    renameSync(`${app}.away`, app);
  }
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
