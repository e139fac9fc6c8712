// `l2p serve` as a command: it listens on 127.0.0.1 by default, prints its address, serves the page,
// stops cleanly on SIGTERM; refuses a bad --port, a workdir that is a file, an address it cannot bind
// and a remote --host not allowed by --allow-remote, each in one line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../fixtures/data/write.ts';
import { send, startServe } from './serve-client.ts';

test('l2p serve listens on 127.0.0.1, serves the page and stops on SIGTERM', async () => {
  const workdir = join(tempDir('serve-cli'), 'runs');
  const child = spawn(process.execPath, ['bin/l2p.mjs', 'serve', '--port', '0', '--workdir', workdir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const url = await new Promise<string>((ok, fail) => {
    child.stdout.on('data', (c) => {
      stdout += c;
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
      if (m) ok(m[1]);
    });
    child.on('exit', (code) => fail(new Error(`l2p serve exited with ${code}: ${stdout}`)));
  });
  const page = await (await fetch(`${url}/`)).text();
  assert.match(page, /<output id="summary">/);
  const js = await fetch(`${url}/app.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type')!, /javascript/);
  const code = await new Promise<number | null>((ok) => {
    child.removeAllListeners('exit');
    child.on('exit', (c) => ok(c));
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
});

test('l2p serve refuses a bad --port with one line', () => {
  const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'serve', '--port', 'eighty'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim(), "l2p serve: --port must be 0..65535, got 'eighty'");
});

test('l2p serve refuses a workdir that is a file, an address not of this machine, and a remote --host without --allow-remote, each in one line', () => {
  const dir = tempDir('serve-cli-bad');
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string[], string][] = [
    [['--workdir', file], `l2p serve: --workdir '${file}' is a file, not a directory`],
    [['--workdir', join(file, 'runs')], `l2p serve: --workdir '${join(file, 'runs')}' cannot be made a directory: a part of the path is not a directory`],
    [['--host', '192.0.2.1', '--allow-remote', '--workdir', join(dir, 'w')], 'l2p serve: --host 192.0.2.1 is not an address of this machine (EADDRNOTAVAIL)'],
    [['--host', '0.0.0.0', '--workdir', join(dir, 'w')], 'l2p serve: --host 0.0.0.0 is not a loopback address: anyone who reaches it could use the page, read the runs of the workdir and write into it; add --allow-remote to serve it anyway'],
  ];
  for (const [args, line] of cases) {
    const r = spawnSync(process.execPath, ['bin/l2p.mjs', 'serve', '--port', '0', ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), line);
  }
  assert.equal(readFileSync(file, 'utf8'), 'x');
});

test('l2p serve --host 0.0.0.0 --allow-remote says what it exposes and answers only the names it serves', async () => {
  const s = await startServe(join(tempDir('serve-cli-remote'), 'runs'), ['--host', '0.0.0.0', '--allow-remote']);
  try {
    assert.match(s.stdout(), /--allow-remote: 0\.0\.0\.0 is reachable from other machines\. Anyone who can open the page \(as 127\.0\.0\.1:\d+, localhost:\d+, \[::1\]:\d+, 0\.0\.0\.0:\d+, .*\) can train in it, import every run of .* and export new runs into it/);
    assert.equal((await send({ port: s.port, path: '/', headers: { Host: `${hostname().toLowerCase()}:${s.port}` } })).status, 200);
    assert.equal((await send({ port: s.port, path: '/', headers: { Host: `evil.example:${s.port}` } })).status, 421);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});
