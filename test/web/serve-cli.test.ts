// `l2p serve` as a command: it listens on 127.0.0.1 by default, prints its address, serves the page,
// stops cleanly on SIGTERM, and refuses a bad --port.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../fixtures/data/write.ts';

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
