// The bounded body reader on a server of its own with small limits: a body past the bound is read to
// its end and then refused, so every write of its sender succeeds and the sender reads the 413; past
// the drain bounds (bytes, time) the 413 goes out at once.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { readBody, type BodyLimits } from '../../src/web/body.ts';
import { Refused } from '../../src/web/guard.ts';

const limits: BodyLimits = { max: 1000, drainBytes: 4000, drainMs: 300 };
let server: Server;
let port: number;
/** When each refusal went out and how many bytes the connection had read then, by request path. */
const answered = new Map<string, { at: number; bytes: number }>();

before(async () => {
  server = createServer((req, res) => {
    readBody(req, limits).then(
      (v) => res.end(JSON.stringify(v)),
      (e: Refused) => {
        answered.set(req.url!, { at: Date.now(), bytes: req.socket.bytesRead });
        res.writeHead(e.status, { Connection: 'close' }).end(e.message);
      },
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((ok) => server.close(() => ok())));

interface Sent {
  status: number;
  body: string;
  /** An error of the sender's request (a reset met while writing), if any. */
  error?: string;
}

/** POSTs `parts` chunked, `gapMs` apart; waits for the answer and for the request to close. */
function post(path: string, parts: Buffer[], gapMs = 0): Promise<Sent> {
  return new Promise((ok) => {
    let reply: Sent | undefined;
    let closed = false;
    let error: string | undefined;
    const done = () => reply && closed && ok({ ...reply, error });
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        reply = { status: res.statusCode!, body };
        done();
      });
    });
    req.on('error', (e) => (error = e.message));
    req.on('close', () => {
      closed = true;
      reply ??= { status: 0, body: '' };
      done();
    });
    const send = async () => {
      for (const p of parts) {
        if (req.destroyed) return;
        req.write(p);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
      req.end();
    };
    void send();
  });
}

const kb = (n: number) => Array.from({ length: n }, () => Buffer.alloc(1000, 32));

test('a body within the bound is read; one past it is read to its end, then refused, and the sender meets no reset', async () => {
  const fine = await post('/fine', [Buffer.from('{"a":'), Buffer.from('1}')]);
  assert.deepEqual(fine, { status: 200, body: '{"a":1}', error: undefined });
  // 3000 bytes: past the bound of 1000, within the 4000 more that are drained.
  const over = await post('/over', kb(3), 20);
  assert.equal(over.error, undefined);
  assert.equal(over.status, 413);
  assert.equal(over.body, 'the upload is larger than 1000 bytes');
});

test('past the drain bounds the 413 goes out at once: more bytes than drainBytes, or a sender slower than drainMs', async () => {
  // 50000 bytes: answered once about 5000 are read (1000 + 4000 drained), not after all of them.
  const flood = await post('/flood', kb(50), 2);
  assert.equal(flood.status, 413);
  assert.ok(answered.get('/flood')!.bytes < 10_000, `answered after ${answered.get('/flood')!.bytes} bytes`);
  // 1500 bytes, then nothing for 2 s: answered when the drain's 300 ms are up, before the next 5000.
  const start = Date.now();
  const slow = await post('/slow', [Buffer.alloc(1500, 32), Buffer.alloc(5000, 32)], 2000);
  assert.equal(slow.status, 413);
  const { at, bytes } = answered.get('/slow')!;
  assert.ok(at - start >= limits.drainMs - 20, `answered after ${at - start} ms, the drain lasts ${limits.drainMs} ms`);
  assert.ok(bytes < 3000, `answered after ${bytes} bytes`);
});
