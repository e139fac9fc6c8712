// `l2p serve` in headless Chromium (Debian's, driven by playwright-core; no browser download): the
// scripted Split MNIST run in the page against the Node run of the same shrunk stream, the run
// surviving a reload, export to a workdir that `l2p eval` and `l2p predict` read, import of a CLI
// run, bad input in the page, and a server that serves nothing outside its files and workdir.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { getPreset } from '../../src/config/presets.ts';
import { globalBatchSize, parseL2PConfig } from '../../src/config/l2p.ts';
import { Pipeline } from '../../src/data/pipeline.ts';
import { trainSeed } from '../../src/train/seeds.ts';
import { NpzReader } from '../../src/io/npz.ts';
import { encodePng } from '../../src/data/image.ts';
import type { Pixels } from '../../src/data/types.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { backboneFor } from '../../src/train/experiment.ts';
import { trainContinual } from '../../src/train/loop.ts';
import type { RunSummary } from '../../src/rundir/summary.ts';
import { streamFor } from '../../src/train/stream.ts';
import { PACKAGE_ROOT } from '../../src/web/bundle.ts';
import { PageServer } from '../../src/web/server.ts';
import { tempDir } from '../fixtures/data/write.ts';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const TASKS = 2;
const out = tempDir('web');
const workdir = join(out, 'runs');
let server: PageServer;
let browser: Browser;
let page: Page;
let nodeSummary: RunSummary;

/** The Node demo on the same shrunk stream: the demo test's sizes, the first TASKS tasks. */
async function nodeRun(dir: string): Promise<RunSummary> {
  const base = getPreset('split_mnist_l2p');
  const config = parseL2PConfig({ ...base, init_checkpoint: join(PACKAGE_ROOT, base.init_checkpoint!), num_eval_steps: 2, continual: { ...base.continual, num_train_steps_per_task: 4 } });
  const stream = await streamFor(config);
  const sink = { write: () => {}, isTTY: false };
  const s = await trainContinual({ config, workdir: dir, resume: false, stream: { ...stream, tasks: stream.tasks.slice(0, TASKS) }, backbone: backboneFor(config, () => {}), workers: 0, sink });
  await disposeAll();
  return s;
}

/** A raw GET, path as written (fetch would normalise '..' away). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const message = () => page.locator('#message').textContent();

/** Waits until the page's message line matches `re`; on a timeout the error shows the line. */
async function waitMessage(re: RegExp, timeout = 30_000): Promise<string> {
  const start = Date.now();
  for (;;) {
    const m = (await message()) ?? '';
    if (re.test(m)) return m;
    if (Date.now() - start > timeout) assert.fail(`no message matching ${re} within ${timeout} ms; the page says: '${m}'`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Strokes on a drawing pad: a ring, a bar, or a slash. */
async function draw(selector: string, shape: 'ring' | 'bar' | 'slash', jitter = 0): Promise<void> {
  const box = (await page.locator(selector).boundingBox())!;
  const pts: [number, number][] =
    shape === 'ring' ? Array.from({ length: 17 }, (_, i) => [70 + 40 * Math.cos((i * Math.PI) / 8), 70 + 40 * Math.sin((i * Math.PI) / 8)]) : shape === 'bar' ? [[70, 20], [70, 120]] : [[30, 120], [110, 20]];
  await page.mouse.move(box.x + pts[0][0] + jitter, box.y + pts[0][1]);
  await page.mouse.down();
  for (const [x, y] of pts.slice(1)) await page.mouse.move(box.x + x + jitter, box.y + y, { steps: 3 });
  await page.mouse.up();
}

/** A white dot on black, 40 × 40 RGB, its centre moved by k. */
function dot(k: number): Pixels {
  const data = new Uint8Array(40 * 40 * 3);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) if ((x - 18 - k) ** 2 + (y - 20) ** 2 < 60) data.fill(255, 3 * (y * 40 + x), 3 * (y * 40 + x) + 3);
  return { data, height: 40, width: 40, channels: 3 };
}

/** The page's run snapshot field, read in the page. */
const snapField = (expr: string) => page.evaluate(`(() => { const s = window.l2p.page.run.snap; return ${expr}; })()`);
const waitStatus = (re: RegExp) => page.waitForFunction(`${re}.test(document.getElementById('status').textContent)`, null, { timeout: 30_000 });

before(async () => {
  mkdirSync(workdir, { recursive: true });
  server = await PageServer.start({ port: 0, host: '127.0.0.1', workdir });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the server serves its own files and the workdir only, on 127.0.0.1, with cross-origin isolation', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const port = Number(new URL(server.url).port);
  writeFileSync(join(out, 'secret.txt'), 'secret');
  const escapes = ['/../package.json', '/%2e%2e/package.json', '/ort/..%2f..%2fpackage.json', '/models/../package.json', '/api/runs/..%2f..%2fsecret.txt', '/api/runs/../secret.txt', '/mnist/..%2f..%2fpackage.json', '//etc/passwd', '/src/web/server.ts'];
  for (const p of escapes) {
    const r = await rawGet(port, p);
    assert.equal(r.status, 404, `${p} gave ${r.status}`);
    assert.doesNotMatch(r.body, /secret"|"dependencies"|root:/, p);
  }
  const res = await fetch(`${server.url}/`);
  assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.equal((await fetch(`${server.url}/models/glyph-vit-nano4.npz`)).status, 200);
});

test('the scripted Split MNIST run in the page is within 3 points of the Node run on the same stream', async () => {
  const [summary] = await Promise.all([
    nodeRun(join(workdir, 'node-run')),
    page.goto(`${server.url}/?autorun=split-mnist&tasks=${TASKS}`).then(() => page.waitForSelector('#summary[data-avg-acc]', { timeout: 100_000 })),
  ]);
  nodeSummary = summary;
  const d = (await page.evaluate(`({ ...document.getElementById('summary').dataset })`)) as Record<string, string>;
  await page.screenshot({ path: join(out, 'autorun.png'), fullPage: true });
  console.log(`page avg_acc ${d.avgAcc} forgetting ${d.forgetting} (${d.provider}); node avg_acc ${summary.avg_acc} forgetting ${summary.forgetting}; screenshot ${join(out, 'autorun.png')}`);
  assert.equal(d.tasks, String(TASKS));
  assert.equal(d.provider, 'wasm');
  assert.ok(Math.abs(Number(d.avgAcc) - summary.avg_acc) <= 3, `page ${d.avgAcc} vs node ${summary.avg_acc}`);
  assert.ok(Math.abs(Number(d.forgetting) - summary.forgetting!) <= 6, `forgetting page ${d.forgetting} vs node ${summary.forgetting}`);
  assert.ok(existsSync(join(out, 'autorun.png')));
});

test("the page's results as pictures: the heat map's cells, the curve's points and the usage are the run's own numbers", async () => {
  const m = (await snapField('s.accMatrix')) as number[][];
  const usage = (await snapField('s.promptUsage')) as number[][];
  const read = (sel: string, attrs: string[]) =>
    page.$$eval(sel, (els, names) => els.map((e) => [...names.map((n) => e.getAttribute(n)), e.tagName === 'text' ? e.textContent : null]), attrs) as Promise<(string | null)[][]>;
  // Heat map: one rect and one written value per i <= t, holding acc[i][t].
  const rects = await read('#fig-acc-matrix rect[data-acc]', ['data-acc', 'data-value']);
  const texts = await read('#fig-acc-matrix text[data-acc]', ['data-acc']);
  assert.equal(rects.length, (TASKS * (TASKS + 1)) / 2);
  for (const [at, value] of rects) {
    const [i, t] = at!.split(',').map(Number);
    assert.ok(i <= t, `cell ${at}`);
    assert.equal(Number(value), m[i][t], `acc[${i}][${t}]`);
  }
  assert.deepEqual(texts.map(([at, text]) => [at, text]).sort(), rects.map(([at]) => { const [i, t] = at!.split(',').map(Number); return [at, m[i][t].toFixed(2)]; }).sort());
  // The text alternative names every number.
  const desc = (await page.locator('#fig-acc-matrix svg > desc').textContent())!;
  for (let t = 0; t < TASKS; t++) for (let i = 0; i <= t; i++) assert.ok(desc.includes(`${m[i][t].toFixed(2)}% after task ${t}`), desc);
  // Curve: each task's points from its own task on, avg_acc and forgetting computed here from the matrix.
  const points = await read('#fig-task-curve circle[data-curve]', ['data-curve', 'data-value']);
  assert.deepEqual(points.map(([at, v]) => [at, Number(v)]).sort(), [['0,0', m[0][0]], ['0,1', m[0][1]], ['1,1', m[1][1]]]);
  const series = await read('#fig-task-curve circle[data-series]', ['data-series', 'data-t', 'data-value']);
  const avg = series.filter(([n]) => n === 'avg_acc').map(([, t, v]) => [Number(t), Number(v)]);
  assert.deepEqual(avg, [[0, m[0][0]], [1, (m[0][1] + m[1][1]) / 2]]);
  const forgetting = series.filter(([n]) => n === 'forgetting').map(([, t, v]) => [Number(t), Number(v)]);
  assert.deepEqual(forgetting, [[1, Math.max(m[0][0], m[0][1]) - m[0][1]]]);
  // Usage: one cell per task and prompt, holding how often that task's test inputs chose it.
  const cells = await read('#fig-prompt-usage rect[data-usage]', ['data-usage', 'data-count']);
  assert.equal(cells.length, usage.slice(0, TASKS).reduce((a, row) => a + row.length, 0));
  for (const [at, count] of cells) {
    const [i, p] = at!.split(',').map(Number);
    assert.equal(Number(count), usage[i][p], `usage[${i}][${p}]`);
  }
  assert.equal(await page.locator('#fig-class-prompts rect[data-usage]').count() > 0, true);
  // The loss, drawn step by step as the run trained: one point per global step, task 1's start marked.
  const steps = await read('#loss-chart circle[data-step]', ['data-step', 'data-value']);
  assert.deepEqual(steps.map(([x]) => Number(x)), Array.from({ length: (await snapField('s.globalStep')) as number }, (_, j) => j + 1));
  assert.ok(steps.every(([, v]) => Number.isFinite(Number(v))));
  assert.match((await page.locator('#loss-chart').innerHTML()), />task 1</);
  await page.locator('#results-section').screenshot({ path: join(out, 'results.png') });
  console.log(`results pictures: ${join(out, 'results.png')}`);
});

test('the run survives a reload (IndexedDB)', async () => {
  const before = await snapField(`s.trained['head/kernel'].slice(0, 8).join(',')`);
  await page.goto(`${server.url}/`);
  await waitStatus(/restored the saved run/);
  assert.match((await page.locator('#status').textContent())!, /2 tasks trained/);
  const after = await snapField(`s.trained['head/kernel'].slice(0, 8).join(',')`);
  assert.equal(after, before);
  assert.match((await page.locator('#results').textContent())!, /avg_acc \d+\.\d\d%/);
});

test("the page's training batches are the Node pipeline's, augmented or not (the demo stream, same seed)", async () => {
  const base = getPreset('split_mnist_l2p');
  for (const augment of [true, false]) {
    const config = parseL2PConfig({ ...base, train_augment: augment });
    const t = 1;
    const stream = await streamFor(config);
    const pipe = new Pipeline(stream.tasks[t].train, { batchSize: globalBatchSize(config), train: true, augment, seed: trainSeed(config, t), shuffleBuffer: config.shuffle_buffer_size, preprocess: { resizeSize: config.resize_size, inputSize: config.input_size }, workers: 0 });
    for (let step = 0; step < 2; step++) {
      const node = (await pipe.next())!;
      const mine = (await page.evaluate(`window.l2p.demoBatch(${t}, ${step}, ${augment})`)) as { images: number[]; labels: number[] };
      assert.deepEqual(mine.labels, Array.from(node.labels), `labels of batch ${step}, augment ${augment}`);
      assert.deepEqual(mine.images, Array.from(node.images), `pixels of batch ${step}, augment ${augment}`);
    }
    await pipe.close();
  }
});

test('a page export is a workdir that l2p eval and l2p predict read, with the page parameters', async () => {
  await page.fill('#export-name', 'from-page');
  await page.click('#export');
  await waitMessage(/exported to/);
  const dir = join(workdir, 'from-page');
  const head = (await snapField(`Array.from(s.trained['head/kernel'])`)) as number[];
  const state = JSON.parse(readFileSync(join(dir, 'checkpoints', 'state.json'), 'utf8'));
  const npz = NpzReader.open(join(dir, 'checkpoints', state.npz));
  assert.deepEqual(Array.from(npz.read('params/head/kernel').data as Float32Array), head);
  npz.close();
  const ev = JSON.parse(execFileSync(process.execPath, ['bin/l2p.mjs', 'eval', '--workdir', dir, '--json'], { encoding: 'utf8' }));
  assert.equal(ev.tasks_trained, TASKS);
  assert.ok(ev.avg_acc > 50, `eval of the export: avg_acc ${ev.avg_acc}`);
  const png = join(out, 'digit.png');
  writeFileSync(png, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==', 'base64'));
  const pr = execFileSync(process.execPath, ['bin/l2p.mjs', 'predict', '--workdir', dir, '--images', png, '--json'], { encoding: 'utf8' });
  assert.match(pr, /"prompts"/);
  // The same name twice is refused, and the first export stays.
  await page.click('#export');
  await waitMessage(/already holds 'from-page'/);
});

test('a CLI run imports into the page; a corrupt or foreign run is refused and nothing changes', async () => {
  cpSync(join(workdir, 'node-run'), join(workdir, 'corrupt'), { recursive: true });
  const ck = join(workdir, 'corrupt', 'checkpoints');
  const st = JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8'));
  writeFileSync(join(ck, st.npz), 'not a zip');
  cpSync(join(workdir, 'node-run'), join(workdir, 'foreign'), { recursive: true });
  const cfgFile = join(workdir, 'foreign', 'config.json');
  writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, 'utf8')), model_name: 'ViT-B_16', init_checkpoint: '/x/ViT-B_16.npz' }));
  await page.reload();
  await waitStatus(/restored/);
  const kept = await snapField('s.accMatrix');
  for (const [name, why] of [['corrupt', /import refused: .*corrupt/], ['foreign', /import refused: .*ViT-B_16/]] as const) {
    await page.selectOption('#import-select', name);
    await page.click('#import');
    await waitMessage(why);
    assert.deepEqual(await snapField('s.accMatrix'), kept);
  }
  await page.selectOption('#import-select', 'node-run');
  await page.click('#import');
  await waitMessage(/imported run 'node-run'/);
  const m = await snapField('s.accMatrix');
  assert.deepEqual(m, nodeSummary.acc_matrix.slice(0, TASKS).map((r) => r.slice(0, TASKS)));
});

test('the head of a run started in the page has the width asked for, beyond ten classes', async () => {
  await page.click('#reset');
  await page.fill('#head-classes', '12');
  for (let k = 0; k < 12; k++) {
    await page.fill('#class-name', `c${k}`);
    await page.click('#add-class');
  }
  await page.fill('#class-name', 'one too many');
  await page.click('#add-class');
  await waitMessage(/the head has 12 classes, all named/);
  assert.equal(await page.locator('#head-classes').isDisabled(), true);
  // The twelfth class trains alone as a task, in the head's last column.
  await page.selectOption('#class-select', '11');
  for (const j of [-8, 0, 8]) {
    await draw('#pad', 'slash', j);
    await page.click('#add-drawing');
  }
  await page.check('#task-classes input[value="11"]');
  await page.fill('#steps', '1');
  await page.click('#train');
  await waitStatus(/task 0 trained/);
  assert.deepEqual(await snapField('[s.config.continual.num_tasks * s.config.continual.num_classes_per_task, s.tasks[0].classMask, s.trained["head/bias"].length]'), [12, [11], 12]);
  // Started over, the next run's width can be chosen again.
  await page.click('#reset');
  await page.waitForFunction(`!document.getElementById('head-classes').disabled`, null, { timeout: 10_000 });
  await page.fill('#head-classes', '10');
});

test('bad input in the page: a visible message, nothing lost', async () => {
  await page.click('#reset');
  await page.click('#train');
  await waitMessage(/the task is empty/);
  await page.fill('#class-name', 'ring');
  await page.click('#add-class');
  await page.fill('#class-name', 'bar');
  await page.click('#add-class');
  await page.setInputFiles('#files', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
  await waitMessage(/'notes\.txt' is not an image/);
  // One drawn example of 'ring': too few to train and to test.
  await draw('#pad', 'ring');
  await page.click('#add-drawing');
  // The page redraws the task's checkboxes once the drawing is stored: tick after that, not before.
  await page.waitForFunction(`/ring \\(1 example\\)/.test(document.getElementById('class-list').textContent)`, null, { timeout: 30_000 });
  await page.check('#task-classes input[value="0"]');
  await page.click('#train');
  await waitMessage(/class 'ring' has 1 example; it needs at least 2/);
  const snap = await snapField('({ pending: s.pending.length, classes: s.classes })');
  assert.deepEqual(snap, { pending: 1, classes: ['ring', 'bar'] });
  await page.screenshot({ path: join(out, 'interactive.png'), fullPage: true });
});

test('the interactive flow: drawn classes trained as a task, the matrix, prompts per class, a prediction', async () => {
  // 'ring' has one drawing from the test before; two more, and three of 'bar'.
  for (const j of [-8, 8]) {
    await draw('#pad', 'ring', j);
    await page.click('#add-drawing');
  }
  await page.selectOption('#class-select', '1');
  for (const j of [-10, 0, 10]) {
    await draw('#pad', 'bar', j);
    await page.click('#add-drawing');
  }
  await page.check('#task-classes input[value="0"]');
  await page.check('#task-classes input[value="1"]');
  await page.fill('#steps', '3');
  await page.click('#train');
  await waitStatus(/task 0 trained/);
  assert.match((await page.locator('#results').textContent())!, /avg_acc \d+\.\d\d% \| forgetting –/);
  assert.match((await page.locator('#train-info').textContent())!, /step 3\/3 \| loss -?\d+\.\d+ \| [\d.]+ images\/s/);
  assert.match((await page.locator('#fig-class-prompts').textContent())!, /ring.*\d+ \(\d+%\)/);
  assert.deepEqual(await snapField('s.tasks[0].classMask'), [0, 1]);
  await draw('#predict-pad', 'ring');
  await page.click('#predict');
  await page.waitForFunction(`/class '(ring|bar)', prompts \\d+/.test(document.getElementById('prediction').textContent)`, null, { timeout: 20_000 });
  await page.screenshot({ path: join(out, 'interactive-trained.png'), fullPage: true });
});

test("an export of drawn and dropped examples carries them: l2p eval of it scores those images as the page's matrix", async () => {
  // Task 1: a class of dropped images (RGB files, beside task 0's grey drawings).
  await page.fill('#class-name', 'dot');
  await page.click('#add-class');
  await page.selectOption('#class-select', '2');
  const files = await Promise.all([0, 1, 2, 3, 4].map(async (k) => ({ name: `dot${k}.png`, mimeType: 'image/png', buffer: Buffer.from(await encodePng(dot(k))) })));
  await page.setInputFiles('#files', files);
  await page.waitForFunction('window.l2p.page.run.snap.pending.length === 5', null, { timeout: 10_000 });
  await page.check('#task-classes input[value="2"]');
  await page.fill('#steps', '2');
  await page.click('#train');
  await waitStatus(/task 1 trained/);
  await page.fill('#export-name', 'drawn');
  await page.click('#export');
  await waitMessage(/exported to/);
  const dir = join(workdir, 'drawn');
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(config.dataset, 'tfds');
  assert.deepEqual(config.continual.task_classes, [[0, 1], [2]]);
  // The export's test split holds the page's test examples: one of 3 drawings per class, one of 5 dots.
  const counts = (await snapField('s.tasks.map((t) => [t.train.length, t.test.length])')) as number[][];
  const info = JSON.parse(readFileSync(join(config.data_dir, 'dataset_info.json'), 'utf8'));
  const lengths = Object.fromEntries(info.splits.map((x: { name: string; shardLengths: string[] }) => [x.name, Number(x.shardLengths[0])]));
  assert.deepEqual(lengths, { train: counts[0][0] + counts[1][0], test: counts[0][1] + counts[1][1] });
  const ev = JSON.parse(execFileSync(process.execPath, ['bin/l2p.mjs', 'eval', '--workdir', dir, '--json'], { encoding: 'utf8' }));
  const matrix = (await snapField('s.accMatrix')) as number[][];
  console.log(`page accuracy after task 1: ${matrix.map((r) => r[1])}; l2p eval of the export: ${ev.accuracy}`);
  assert.equal(ev.tasks_trained, 2);
  assert.deepEqual(ev.accuracy, matrix.map((r) => r[1]));
});

test('the export imports back with its examples: its tasks re-evaluate to the same matrix column', async () => {
  const before = await snapField('({ tasks: s.tasks.map((t) => [t.classMask, t.train.map((e) => e.label), t.test.map((e) => e.label)]), matrix: s.accMatrix })');
  await page.evaluate('window.l2p.page.setRun(null)');
  await page.selectOption('#import-select', 'drawn');
  await page.click('#import');
  await waitMessage(/imported run 'drawn'/);
  const after = await snapField('({ tasks: s.tasks.map((t) => [t.classMask, t.train.map((e) => e.label), t.test.map((e) => e.label)]), matrix: s.accMatrix })');
  assert.deepEqual(after, before);
  const again = await page.evaluate(`(async () => { const r = window.l2p.page.run; return Promise.all(r.snap.tasks.map(async (t) => (await r.evaluate(t.test, null)).accuracy)); })()`);
  assert.deepEqual(again, (before as { matrix: number[][] }).matrix.map((r) => r[1]));
});

test('a full browser storage quota: a visible message, the run stays in the page', async () => {
  // IndexedDB refuses writes over the quota with a QuotaExceededError; the page's writes are made to
  // meet one here (the DevTools quota override did not make this Chromium refuse small writes).
  await page.evaluate(`(() => {
    IDBObjectStore.prototype.put = function () { throw new DOMException('quota reached', 'QuotaExceededError'); };
  })()`);
  await page.fill('#class-name', 'slash');
  await page.click('#add-class');
  await waitMessage(/storage for this page is full/);
  assert.deepEqual(await snapField('s.classes'), ['ring', 'bar', 'dot', 'slash']);
});
