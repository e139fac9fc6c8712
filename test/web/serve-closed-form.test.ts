// `l2p serve` in headless Chromium: a run under SimpleCIL and one under RanPAC learn classes drawn
// and dropped in the page without a training loop, a new class after the first task included. The
// page's head, predictions, accuracy matrix, avg_acc and forgetting are checked against the same
// examples embedded under Node: for SimpleCIL the prototypes and the cosine ranking computed here
// from the Node features; for RanPAC the Node method's fit (ONNX Runtime's float64 Gemm, where the
// page runs its own in JavaScript) on those features.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseL2PConfig, type L2PConfig } from '../../src/config/l2p.ts';
import { encodePng } from '../../src/data/image.ts';
import type { Pixels } from '../../src/data/types.ts';
import { mulberry32 } from '../../src/random.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { backboneFor } from '../../src/train/experiment.ts';
import type { Learner } from '../../src/train/learner.ts';
import { createLearner } from '../../src/train/setup.ts';
import { PACKAGE_ROOT } from '../../src/web/bundle.ts';
import { toInput } from '../../src/web/page/batches.ts';
import { PageServer } from '../../src/web/server.ts';
import { tempDir } from '../fixtures/data/write.ts';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const out = tempDir('web-closed-form');
let server: PageServer;
let browser: Browser;
let page: Page;

before(async () => {
  server = await PageServer.start({ port: 0, host: '127.0.0.1', workdir: join(out, 'runs') });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await disposeAll();
});

const snapField = (expr: string) => page.evaluate(`(() => { const s = window.l2p.page.run.snap; return ${expr}; })()`);
/** Waits for the status line to match `re`; on a timeout the error shows the page's message line. */
async function waitStatus(re: RegExp, timeout = 60_000): Promise<void> {
  try {
    await page.waitForFunction(`${re}.test(document.getElementById('status').textContent)`, null, { timeout });
  } catch (e) {
    throw new Error(`no status matching ${re}; the page says '${await page.locator('#message').textContent()}'`, { cause: e });
  }
}

/** A ring or a bar drawn with the pointer on the pad, moved right by `jitter` pixels. */
async function draw(shape: 'ring' | 'bar', jitter: number): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  const pts: [number, number][] = shape === 'ring' ? Array.from({ length: 17 }, (_, i) => [70 + 40 * Math.cos((i * Math.PI) / 8), 70 + 40 * Math.sin((i * Math.PI) / 8)]) : [[70, 20], [70, 120]];
  await page.mouse.move(box.x + pts[0][0] + jitter, box.y + pts[0][1]);
  await page.mouse.down();
  for (const [x, y] of pts.slice(1)) await page.mouse.move(box.x + x + jitter, box.y + y, { steps: 3 });
  await page.mouse.up();
}

/** A white cross on black, 40 × 40 RGB, moved right by k: the dropped class. */
function cross(k: number): Pixels {
  const data = new Uint8Array(40 * 40 * 3);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) if (Math.abs(x - 20 - k - (y - 20)) < 3 || Math.abs(x - 20 - k + (y - 20)) < 3) data.fill(255, 3 * (y * 40 + x), 3 * (y * 40 + x) + 3);
  return { data, height: 40, width: 40, channels: 3 };
}

async function addClass(name: string): Promise<void> {
  await page.fill('#class-name', name);
  await page.click('#add-class');
}

/** A fresh run under `method`, 'ring' and 'bar' drawn, 8 examples each, and task 0 of both asked for. */
async function drawFirstTask(method: 'simplecil' | 'ranpac'): Promise<void> {
  await page.goto(`${server.url}/`);
  await waitStatus(/ready|restored/);
  await page.click('#reset');
  await waitStatus(/started over/);
  await page.selectOption('#method', method);
  assert.equal(await page.locator('#steps').isDisabled(), true, 'a closed-form method takes no steps');
  for (const [k, shape] of [[0, 'ring'], [1, 'bar']] as const) {
    await addClass(shape);
    await page.selectOption('#class-select', String(k));
    for (const j of [-12, -8, -4, 0, 4, 8, 12, 16]) {
      await draw(shape, j);
      await page.click('#add-drawing');
    }
  }
  // Each action re-renders the task's boxes: tick them once the last drawing is shown.
  await page.waitForFunction(`/bar \\(8 examples\\)/.test(document.getElementById('class-list').textContent)`, null, { timeout: 20_000 });
  await page.check('#task-classes input[value="0"]');
  await page.check('#task-classes input[value="1"]');
  await page.click('#train');
}

/** Task 0 as drawFirstTask, then a new class 'cross' dropped as 8 PNG files (task 1). */
async function learnTwoTasks(method: 'simplecil' | 'ranpac'): Promise<void> {
  await drawFirstTask(method);
  await waitStatus(/task 0 trained/);
  assert.match((await page.locator('#train-info').textContent())!, /task 0 learnt in closed form in [\d.]+ s: 12 examples embedded/);
  await addClass('cross');
  await page.selectOption('#class-select', '2');
  const files = await Promise.all([-6, -4, -2, 0, 2, 4, 6, 8].map(async (k) => ({ name: `cross${k}.png`, mimeType: 'image/png', buffer: Buffer.from(await encodePng(cross(k))) })));
  await page.setInputFiles('#files', files);
  await page.waitForFunction(`/cross \\(8 examples\\)/.test(document.getElementById('class-list').textContent)`, null, { timeout: 20_000 });
  await page.check('#task-classes input[value="2"]');
  await page.click('#train');
  await waitStatus(/task 1 trained/);
  assert.equal(await page.locator('#method').isDisabled(), true);
}

interface Ex {
  pixels: Pixels;
  label: number;
}

/** The examples of the page's tasks, as they are stored there. */
async function pageTasks(): Promise<{ train: Ex[]; test: Ex[]; classMask: number[] }[]> {
  const raw = (await snapField(`s.tasks.map((t) => ({ classMask: t.classMask, ...Object.fromEntries(['train', 'test'].map((k) => [k, t[k].map((e) => ({ label: e.label, h: e.pixels.height, w: e.pixels.width, c: e.pixels.channels, data: Array.from(e.pixels.data) }))])) }))`)) as { classMask: number[]; train: RawEx[]; test: RawEx[] }[];
  const ex = (e: RawEx): Ex => ({ label: e.label, pixels: { data: Uint8Array.from(e.data), height: e.h, width: e.w, channels: e.c } as Pixels });
  return raw.map((t) => ({ classMask: t.classMask, train: t.train.map(ex), test: t.test.map(ex) }));
}
type RawEx = { label: number; h: number; w: number; c: number; data: number[] };

/** The page run's config, and a Node learner of it on the shipped backbone. */
async function nodeLearner(): Promise<{ config: L2PConfig; learner: Learner }> {
  const saved = JSON.parse((await page.evaluate('JSON.stringify(window.l2p.page.run.snap.config)')) as string);
  const config = parseL2PConfig({ ...saved, init_checkpoint: join(PACKAGE_ROOT, saved.init_checkpoint) });
  return { config, learner: createLearner(config, backboneFor(config, () => {}), saved.continual.num_tasks * saved.continual.num_classes_per_task) };
}

/** Features [n, D] of examples under Node, one batch. */
async function features(learner: Learner, config: L2PConfig, ex: Ex[]): Promise<Float32Array> {
  const px = config.input_size * config.input_size * 3;
  const images = new Float32Array(ex.length * px);
  ex.forEach((e, i) => images.set(toInput(e.pixels, config), i * px));
  return learner.features(images, Int32Array.from(ex, (e) => e.label));
}

/** avg_acc and forgetting after the last column of a matrix, as the official code defines them. */
function metrics(m: number[][]): { avg: number; forgetting: number | null } {
  const t = m.length - 1;
  const avg = m.reduce((a, r) => a + r[t], 0) / m.length;
  let f = 0;
  for (let i = 0; i < t; i++) f += Math.max(...m[i].slice(i, t + 1)) - m[i][t];
  return { avg, forgetting: t === 0 ? null : f / t };
}

/** The page's matrix, its headline numbers and its head, checked against `expected` (acc[i][t]). */
async function checkMetrics(expected: number[][]): Promise<void> {
  const m = expected;
  const got = (await snapField('s.accMatrix')) as number[][];
  assert.deepEqual(got.map((r) => r.map((v) => Number(v.toFixed(6)))), expected.map((r) => r.map((v) => Number(v.toFixed(6)))));
  const { avg, forgetting } = metrics(expected);
  const text = (await page.locator('#results').textContent())!;
  assert.ok(text.includes(`avg_acc ${avg.toFixed(2)}%`), `the page shows '${text.slice(0, 120)}', expected avg_acc ${avg.toFixed(2)}%`);
  const shown = forgetting === null ? '–' : forgetting.toFixed(2);
  assert.ok(text.includes(`forgetting ${shown}`), `expected forgetting ${shown}`);
  assert.equal(await page.locator('#fig-acc-matrix rect[data-acc]').count(), (m.length * (m.length + 1)) / 2);
}

test('SimpleCIL in the page: drawn and dropped classes become prototypes, the new class is predicted, metrics as computed under Node', async () => {
  await learnTwoTasks('simplecil');
  const tasks = await pageTasks();
  const { config, learner } = await nodeLearner();
  const C = learner.model.numClasses;
  const D = learner.model.vit.hidden;
  const kernel = (await snapField(`Array.from(s.trained['head/kernel'])`)) as number[]; // [D, C]
  // Each class's prototype: the mean of its training examples' Node features.
  const protos: Float64Array[] = [];
  for (const task of tasks) {
    const f = await features(learner, config, task.train);
    for (const k of task.classMask) {
      const p = new Float64Array(D);
      const rows = task.train.flatMap((e, i) => (e.label === k ? [i] : []));
      for (const i of rows) for (let d = 0; d < D; d++) p[d] += f[i * D + d] / rows.length;
      for (let d = 0; d < D; d++) assert.ok(Math.abs(kernel[d * C + k] - p[d]) < 1e-4 * (1 + Math.abs(p[d])), `prototype of class ${k} [${d}]: page ${kernel[d * C + k]}, node ${p[d]}`);
      protos[k] = p;
    }
  }
  for (let k = 3; k < C; k++) for (let d = 0; d < D; d++) assert.equal(kernel[d * C + k], 0, `class ${k} has no prototype`);
  // Accuracy of each task's test examples after each task: cosine over the classes seen by then.
  const predict = (f: Float32Array, i: number, seen: number[]) => {
    const norm = (v: ArrayLike<number>, at: number) => Math.sqrt(Array.from({ length: D }, (_, d) => v[at + d] ** 2).reduce((a, b) => a + b, 0));
    let best = -1;
    let bestScore = -Infinity;
    for (const k of seen) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += f[i * D + d] * protos[k][d];
      const score = dot / (norm(f, i * D) * norm(protos[k], 0));
      if (score > bestScore) [best, bestScore] = [k, score];
    }
    return best;
  };
  const expected: number[][] = [[0, 0], [0, 0]];
  for (let t = 0; t < 2; t++) {
    const seen = tasks.slice(0, t + 1).flatMap((x) => x.classMask);
    for (let i = 0; i <= t; i++) {
      const f = await features(learner, config, tasks[i].test);
      const right = tasks[i].test.filter((e, j) => predict(f, j, seen) === e.label).length;
      expected[i][t] = (100 * right) / tasks[i].test.length;
    }
  }
  console.log(`simplecil in the page: acc matrix ${JSON.stringify(expected)}; ${await page.locator('#train-info').textContent()}`);
  assert.equal(expected[1][1], 100, 'the new class is predicted on its held-out examples');
  await checkMetrics(expected);
  // A new cross dropped to predict is the new class.
  await page.setInputFiles('#predict-file', { name: 'x.png', mimeType: 'image/png', buffer: Buffer.from(await encodePng(cross(1))) });
  await page.waitForFunction(`/class 'cross'/.test(document.getElementById('prediction').textContent)`, null, { timeout: 20_000 });
  // Its fitted head is not in what an export carries: refused with a message.
  await page.click('#export');
  await page.waitForFunction(`/'simplecil' run, fitted in closed form, is not exported/.test(document.getElementById('message').textContent)`, null, { timeout: 20_000 });
});

test('RanPAC in the page: a task of a few drawn examples is refused as the Node fit of the same features refuses it, and the run is left as it was', async () => {
  // The λ choice scores its 17 values in the dual form (9 fit rows), where λ = 1e-8 interpolates;
  // the head is then solved in the primal form, G + λI over M = 1000, of rank 12 at most.
  await drawFirstTask('ranpac');
  await page.waitForFunction(`document.getElementById('message').textContent !== ''`, null, { timeout: 60_000 });
  const shown = (await page.locator('#message').textContent())!;
  const tasks = await pageTasks();
  assert.equal(tasks.length, 0, 'the task is taken back');
  const pending = (await snapField('s.pending.map((e) => ({ label: e.label, h: e.pixels.height, w: e.pixels.width, c: e.pixels.channels, data: Array.from(e.pixels.data) }))')) as RawEx[];
  assert.equal(pending.length, 16, 'the examples are pending again');
  assert.deepEqual(await snapField('[s.trainedTasks, s.accMatrix.length, s.methodState.ridge_count[0][0], Array.from(s.trained["head/kernel"]).some((v) => v !== 0)]'), [0, 0, 0, false]);
  // The Node fit of the same task (the page's split: every fourth example from the second held out).
  const { config, learner } = await nodeLearner();
  const train = pending.filter((_, i) => i % 8 !== 1 && i % 8 !== 5).map((e) => ({ label: e.label, pixels: { data: Uint8Array.from(e.data), height: e.h, width: e.w, channels: e.c } as Pixels }));
  assert.equal(train.length, 12);
  const pass = learner.model.statistics!(0);
  pass.add(await features(learner, config, train), Int32Array.from(train, (e) => e.label));
  const refused = await pass.finish(learner.params, learner.graphs).then(() => null, (e: Error) => e.message);
  console.log(`ranpac in the page: '${shown}'; node: '${refused}'`);
  assert.ok(refused !== null, 'the Node fit refuses it too');
  // Which pivot goes negative first is roundoff's choice (WASM's features, the page's Gemm).
  const pivotless = (m: string) => m.replace(/pivot \d+ is -?[\d.e+-]+/, 'pivot … is …');
  assert.match(shown, /^G \+ λI \(λ = 1e-8, 1000×1000\) is not positive definite in float64: pivot \d+ is -/);
  assert.equal(pivotless(shown), pivotless(refused));
});

/** Class 0: a disc; class 1: a bar; placed, sized and speckled at random (mulberry32 on `seed`), 28 × 28 RGB. */
function shape(label: number, seed: number): Pixels {
  const r = mulberry32(seed);
  const data = new Uint8Array(28 * 28 * 3);
  const [cx, cy, size, angle] = [8 + 12 * r(), 8 + 12 * r(), 3 + 4 * r(), Math.PI * r()];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const inside = label === 0 ? (x - cx) ** 2 + (y - cy) ** 2 < size ** 2 : Math.abs((x - cx) * Math.sin(angle) - (y - cy) * Math.cos(angle)) < size / 3 && Math.hypot(x - cx, y - cy) < 3 * size;
      data.fill(inside ? 255 - Math.floor(60 * r()) : Math.floor(40 * r()), 3 * (y * 28 + x), 3 * (y * 28 + x) + 3);
    }
  }
  return { data, height: 28, width: 28, channels: 3 };
}

test('RanPAC in the page: a task of enough dropped examples is fitted (λ, G, Q, the ridge head) as the Node fit of the same features', async () => {
  // 840 files a class: 630 train each (every fourth from the second is held out), so the λ choice
  // fits 1008 rows ≥ M = 1000 and solves in the primal form; the head's Cholesky runs the page's Gemm.
  await page.goto(`${server.url}/`);
  await waitStatus(/ready|restored/);
  await page.click('#reset');
  await waitStatus(/started over/);
  await page.selectOption('#method', 'ranpac');
  for (const [k, name] of ['disc', 'bar'].entries()) {
    await addClass(name);
    await page.selectOption('#class-select', String(k));
    const files = await Promise.all(Array.from({ length: 840 }, async (_, i) => ({ name: `${name}${i}.png`, mimeType: 'image/png', buffer: Buffer.from(await encodePng(shape(k, 1000 * k + i))) })));
    await page.setInputFiles('#files', files);
    await page.waitForFunction(`document.getElementById('class-list').textContent.includes('${name} (840 examples)')`, null, { timeout: 120_000 });
  }
  await page.check('#task-classes input[value="0"]');
  await page.check('#task-classes input[value="1"]');
  await page.click('#train');
  await waitStatus(/task 0 trained/, 300_000);
  const tasks = await pageTasks();
  assert.deepEqual([tasks[0].train.length, tasks[0].test.length], [1260, 420]);
  const { config, learner } = await nodeLearner();
  const pass = learner.model.statistics!(0);
  pass.add(await features(learner, config, tasks[0].train), Int32Array.from(tasks[0].train, (e) => e.label));
  await pass.finish(learner.params, learner.graphs);
  const nodeState = learner.model.saveState!();
  assert.deepEqual(await snapField('s.methodState.ridge_lambda'), nodeState.ridge_lambda, 'λ as Node chose it');
  assert.equal(await snapField('s.methodState.ridge_count[0][0]'), 1260);
  const head = learner.params.get('head/kernel')!.data;
  const pageHead = (await snapField(`Array.from(s.trained['head/kernel'])`)) as number[];
  const scale = Math.max(...Array.from(head, Math.abs));
  for (let i = 0; i < head.length; i++) assert.ok(Math.abs(pageHead[i] - head[i]) < 1e-3 * scale, `head[${i}]: page ${pageHead[i]}, node ${head[i]} (largest ${scale})`);
  const px = config.input_size * config.input_size * 3;
  const images = new Float32Array(tasks[0].test.length * px);
  tasks[0].test.forEach((e, j) => images.set(toInput(e.pixels, config), j * px));
  const r = await learner.evalBatch(images, Int32Array.from(tasks[0].test, (e) => e.label), [0, 1]);
  const acc = (100 * r.correct) / r.count;
  console.log(`ranpac in the page on 1260 examples: λ ${JSON.stringify(nodeState.ridge_lambda)}, accuracy page ${JSON.stringify(await snapField('s.accMatrix'))} node ${acc}; ${await page.locator('#train-info').textContent()}`);
  await checkMetrics([[acc]]);
});
