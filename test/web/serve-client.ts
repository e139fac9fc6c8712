// A test's view of `l2p serve`: the command started as a child process, plain HTTP requests with
// any headers (Host included, which fetch() will not set), and a run as the page uploads it.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { getPreset } from '../../src/config/presets.ts';
import { numTotalClasses, parseL2PConfig } from '../../src/config/l2p.ts';
import { backboneFor } from '../../src/train/experiment.ts';
import { createLearner } from '../../src/train/setup.ts';
import { PACKAGE_ROOT } from '../../src/web/bundle.ts';
import { tasksToWire, toWire, type WireRun } from '../../src/web/wire.ts';

export interface Served {
  child: ChildProcess;
  port: number;
  url: string;
  /** The token of this start, read from the page's meta tag. */
  token: string;
  stdout: () => string;
  stop(): Promise<number | null>;
}

/** Starts `l2p serve --port 0 --workdir dir` and waits for its address and page. */
export async function startServe(workdir: string, args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, ['bin/l2p.mjs', 'serve', '--port', '0', '--workdir', workdir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const url = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (c) => {
      stdout += c;
      const m = /serving (http:\/\/[^ ]+:\d+)\//.exec(stdout);
      if (m) ok(m[1]);
    });
    child.on('exit', (code) => fail(new Error(`l2p serve exited with ${code}: ${stdout}${stderr}`)));
  });
  child.removeAllListeners('exit');
  const port = Number(new URL(url).port);
  const page = await send({ port, path: '/' });
  const token = /<meta name="l2p-token" content="([^"]+)">/.exec(page.body)?.[1];
  if (!token) throw new Error(`the page carries no token: ${page.body.slice(0, 200)}`);
  const stop = () =>
    new Promise<number | null>((ok) => {
      if (child.exitCode !== null) return ok(child.exitCode);
      child.on('exit', (c) => ok(c));
      child.kill('SIGTERM');
    });
  return { child, port, url, token, stdout: () => stdout + stderr, stop };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to 127.0.0.1:port with exactly these headers (Host defaults to 127.0.0.1:port). */
export function send(o: { port: number; path: string; method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Reply> {
  return new Promise((ok, fail) => {
    const headers = { Host: `127.0.0.1:${o.port}`, ...o.headers };
    const req = request({ host: '127.0.0.1', port: o.port, path: o.path, method: o.method ?? 'GET', headers, setHost: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end(o.body);
  });
}

/** The headers of a write from the page itself: its origin, JSON, its token. */
export function pageHeaders(s: Served): Record<string, string> {
  return { Origin: `http://127.0.0.1:${s.port}`, 'Content-Type': 'application/json', 'X-L2P-Token': s.token };
}

/** The demo's config as the page holds it (the backbone by its shipped name). */
export function pageConfig() {
  const base = getPreset('split_mnist_l2p');
  return parseL2PConfig({ ...base, continual: { ...base.continual } });
}

/**
 * A run as the page uploads it: the demo's config, its freshly initialised tensors, `trained` tasks
 * with an accuracy matrix; `drawn` adds examples of the tasks (28 × 28 grey, three per class), as
 * the page sends the user's own.
 */
export function uploadBody(o: { trained?: number; drawn?: boolean } = {}): WireRun {
  const config = pageConfig();
  const t = o.trained ?? 1;
  const onDisk = parseL2PConfig({ ...config, init_checkpoint: join(PACKAGE_ROOT, config.init_checkpoint!) });
  const learner = createLearner(onDisk, backboneFor(onDisk, () => {}), numTotalClasses(onDisk));
  const accMatrix = Array.from({ length: t }, (_, i) => Array.from({ length: t }, (_, j) => (j >= i ? 50 : 0)));
  const ex = (label: number, k: number) => ({ label, pixels: { data: new Uint8Array(28 * 28).fill(40 * k + label), height: 28, width: 28, channels: 1 } });
  const tasks = Array.from({ length: t }, (_, i) => ({ classMask: [2 * i, 2 * i + 1], train: [ex(2 * i, 0), ex(2 * i, 1), ex(2 * i + 1, 0), ex(2 * i + 1, 1)], test: [ex(2 * i, 2), ex(2 * i + 1, 2)] }));
  const state = { globalStep: 4 * t, images: 64 * t, elapsed: 1.5, accMatrix, promptUsage: Array.from({ length: t }, () => new Array(10).fill(1)) };
  const classes = Array.from({ length: 10 }, (_, k) => `c${k}`);
  return toWire(config, classes, t, state, learner, o.drawn ? tasksToWire(tasks) : undefined);
}
