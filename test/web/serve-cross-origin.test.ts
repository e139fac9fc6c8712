// A web page of another origin against `l2p serve`, in headless Chromium (Debian's, driven by
// playwright-core): the test serves that page itself on another 127.0.0.1 port, and from it fetches,
// no-cors posts and a form try to write a run into the workdir and to read the page's token and the
// runs. Every fetch fails and nothing is written; the server's own page, holding the token, reads and
// writes.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { PageServer } from '../../src/web/server.ts';
import { tempDir } from '../fixtures/data/write.ts';
import { uploadBody } from './serve-client.ts';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const workdir = join(tempDir('serve-xo'), 'runs');
let server: PageServer;
let evil: Server;
let evilUrl: string;
let browser: Browser;
const run = JSON.stringify(uploadBody());
const entries = () => (existsSync(workdir) ? readdirSync(workdir) : []);

before(async () => {
  server = await PageServer.start({ port: 0, host: '127.0.0.1', workdir });
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>another site</title><iframe name="sink"></iframe>');
  });
  await new Promise<void>((ok) => evil.listen(0, '127.0.0.1', ok));
  const a = evil.address();
  evilUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((ok) => evil?.close(ok));
});

test('a page of another origin can neither write a run nor read the token or the runs', async () => {
  const page = await browser.newPage();
  await page.goto(`${evilUrl}/`);
  const target = server.url;
  assert.notEqual(new URL(target).origin, new URL(evilUrl).origin);
  // Page scripts are passed as strings: the test's compiled functions would carry helpers the page lacks.
  const outcomes = (await page.evaluate(`(async () => {
    const target = ${JSON.stringify(target)};
    const run = ${JSON.stringify(run)};
    const tryFetch = async (what, url, init = {}) => {
      try {
        const r = await fetch(url, init);
        return { what, outcome: 'answered ' + r.type + ' ' + r.status, text: r.type === 'opaque' ? '' : await r.text() };
      } catch (e) {
        return { what, outcome: 'failed: ' + e.name, text: '' };
      }
    };
    const post = (headers, mode = 'cors') => ({ method: 'POST', mode, headers, body: run });
    return [
      await tryFetch('text/plain POST (a simple request)', target + '/api/runs/xo-plain', post({ 'Content-Type': 'text/plain' })),
      await tryFetch('JSON POST with a guessed token (preflighted)', target + '/api/runs/xo-json', post({ 'Content-Type': 'application/json', 'X-L2P-Token': 'guess' })),
      await tryFetch('read the page and its token', target + '/'),
      await tryFetch('read the list of runs', target + '/api/runs'),
      await tryFetch('no-cors text/plain POST', target + '/api/runs/xo-nocors', post({ 'Content-Type': 'text/plain' }, 'no-cors')),
    ];
  })()`)) as { what: string; outcome: string; text: string }[];
  // Even the no-cors post, whose answer would be opaque, fails: the answer's Cross-Origin-Resource-Policy
  // keeps it from the other site. Only the workdir tells whether a request that was sent did anything.
  assert.equal(outcomes.length, 5);
  for (const o of outcomes) assert.match(o.outcome, /^failed: TypeError/, `${o.what}: ${o.outcome} ${o.text.slice(0, 80)}`);
  // A form posted across sites (text/plain, the classic cross-site request).
  // text/plain sends name=value: a name ending in ',"pad":"' and a value '"}' make the body the run's JSON.
  await page.evaluate(`(() => {
    const form = document.createElement('form');
    Object.assign(form, { method: 'POST', action: ${JSON.stringify(`${target}/api/runs/xo-form`)}, enctype: 'text/plain', target: 'sink' });
    const field = document.createElement('input');
    Object.assign(field, { name: ${JSON.stringify(`${run.slice(0, -1)},"pad":"`)}, value: '"}' });
    form.append(field);
    document.body.append(form);
    form.submit();
  })()`);
  await page.waitForTimeout(1500);
  assert.deepEqual(entries(), []);
  await page.close();
});

test("the server's own page holds the token: with it its API answers, without it not", async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/`);
  const r = (await page.evaluate(`(async () => {
    const token = document.querySelector('meta[name="l2p-token"]').content;
    const bare = (await fetch('/api/runs')).status;
    const list = await (await fetch('/api/runs', { headers: { 'X-L2P-Token': token } })).json();
    const write = await fetch('/api/runs/own-page', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-L2P-Token': token }, body: ${JSON.stringify(run)} });
    return { bare, list, write: write.status, location: location.href, tokenLength: token.length };
  })()`)) as { bare: number; list: { runs: string[] }; write: number; location: string; tokenLength: number };
  assert.equal(r.bare, 403);
  assert.deepEqual(r.list, { runs: [] });
  assert.equal(r.write, 200);
  assert.ok(r.tokenLength >= 40);
  assert.doesNotMatch(r.location, /token/);
  assert.deepEqual(entries(), ['own-page']);
  await page.close();
});
