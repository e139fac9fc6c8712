// A new class learnt in closed form in the page (`l2p serve`, headless Chromium, WASM): per round a
// fresh page, a SimpleCIL run of the shipped glyph backbone, a first class drawn and learnt (task 0:
// its sessions compile), then a new class from --examples drawn examples (task 1). The page times
// its own parts (embedding the training examples once, the closed-form fit, the evaluation of every
// task so far; src/web/page/ui.ts writes them on #train-info); the bench also times the click to the
// status line (persisting the run in IndexedDB and redrawing the results included). Drawing is the
// user's time and is not counted. The load average (os.loadavg) is printed with each round.
// Usage: npx tsx bench/web-learn.ts [--examples 20] [--rounds 3] [--threads 0] [--method simplecil]
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { PageServer } from '../src/web/server.ts';

const { values } = parseArgs({ options: { examples: { type: 'string', default: '20' }, rounds: { type: 'string', default: '3' }, threads: { type: 'string', default: '0' }, method: { type: 'string', default: 'simplecil' } } });
const examples = Number(values.examples);
const rounds = Number(values.rounds);
if (!(Number.isInteger(examples) && examples >= 2)) throw new Error(`--examples must be a whole number of at least 2, got '${values.examples}'`);

interface Learnt {
  /** Seconds as the page measured them. */
  embed: number;
  fit: number;
  eval: number;
  total: number;
  /** Click to the status line, seen from outside the page. */
  wall: number;
  trainExamples: number;
}

/** `n` drawn rings (k = 0) or bars (k = 1), each moved right a little more. */
async function drawClass(page: Page, k: number, n: number): Promise<void> {
  await page.fill('#class-name', k === 0 ? 'ring' : 'bar');
  await page.click('#add-class');
  await page.selectOption('#class-select', String(k));
  const box = (await page.locator('#pad').boundingBox())!;
  for (let e = 0; e < n; e++) {
    const j = -16 + ((e * 32) / Math.max(1, n - 1)) | 0;
    const pts: [number, number][] = k === 0 ? Array.from({ length: 17 }, (_, i) => [70 + 40 * Math.cos((i * Math.PI) / 8), 70 + 40 * Math.sin((i * Math.PI) / 8)]) : [[70, 20], [70, 120]];
    await page.mouse.move(box.x + pts[0][0] + j, box.y + pts[0][1]);
    await page.mouse.down();
    for (const [x, y] of pts.slice(1)) await page.mouse.move(box.x + x + j, box.y + y, { steps: 3 });
    await page.mouse.up();
    await page.click('#add-drawing');
  }
  await page.waitForFunction(`document.getElementById('class-list').textContent.includes('(${n} examples)')`, null, { timeout: 60_000 });
}

async function learn(page: Page, k: number): Promise<Learnt> {
  await page.check(`#task-classes input[value="${k}"]`);
  const t0 = performance.now();
  await page.click('#train');
  await page.waitForFunction(`/task ${k} trained/.test(document.getElementById('status').textContent) || document.getElementById('message').textContent !== ''`, null, { timeout: 120_000 });
  const wall = (performance.now() - t0) / 1000;
  const msg = await page.locator('#message').textContent();
  if (msg) throw new Error(`the page refused task ${k}: ${msg}`);
  const d = (await page.evaluate(`({ ...document.getElementById('train-info').dataset })`)) as Record<string, string>;
  return { embed: Number(d.embedS), fit: Number(d.fitS), eval: Number(d.evalS), total: Number(d.totalS), wall, trainExamples: Number(d.examples) };
}

async function round(): Promise<{ first: Learnt; next: Learnt; threads: string }> {
  const server = await PageServer.start({ port: 0, host: '127.0.0.1', workdir: join(tmpdir(), 'l2p-bench-web-learn') });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    await page.goto(`${server.url}/${values.threads === '0' ? '' : `?threads=${values.threads}`}`);
    await page.waitForFunction(`/ready|restored/.test(document.getElementById('status').textContent)`, null, { timeout: 60_000 });
    await page.click('#reset');
    await page.selectOption('#method', values.method!);
    await drawClass(page, 0, examples);
    const first = await learn(page, 0);
    await drawClass(page, 1, examples);
    const next = await learn(page, 1);
    return { first, next, threads: (await page.locator('#provider').textContent())! };
  } finally {
    await browser.close();
    await server.close();
  }
}

const s = (x: number) => (x < 0.1 ? `${(1000 * x).toFixed(2)} ms` : `${x.toFixed(3)} s`);
const parts = (l: Learnt) => `total ${s(l.total)} (embed ${l.trainExamples} examples ${s(l.embed)}, fit ${s(l.fit)}, evaluate ${s(l.eval)}); click to status ${s(l.wall)}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs: { first: Learnt; next: Learnt }[] = [];
let provider = '';
for (let r = 0; r < rounds; r++) {
  const before = loadavg().map((x) => x.toFixed(2)).join(' ');
  const res = await round();
  provider = res.threads;
  runs.push(res);
  console.log(`round ${r + 1}: first class (cold) ${parts(res.first)}; new class ${parts(res.next)}; load average ${before}`);
}
const key = (k: keyof Learnt) => median(runs.map((x) => x.next[k]));
console.log(`${values.method}, glyph ViT-nano/4, a new class from ${examples} drawn examples (${key('trainExamples')} embedded, the rest held out to test), page on ${provider}, median over ${rounds} rounds:`);
console.log(`  learn ${s(key('total'))} = embed ${s(key('embed'))} + fit ${s(key('fit'))} + evaluate ${s(key('eval'))}; click to status ${s(key('wall'))}; goal < 2 s`);
