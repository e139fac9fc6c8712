// The page: loads the shipped backbone, restores the run kept in IndexedDB, and either runs the
// scripted Split MNIST stream (?autorun=split-mnist&tasks=N) or waits for the user (ui.ts).
import { getPreset } from '../../config/presets.ts';
import { parseL2PConfig, type L2PConfig } from '../../config/l2p.ts';
import { viTFromArrays, type LoadedViT } from '../../vit/layout.ts';
import { randomViT } from '../../vit/random.ts';
import { decodeVariant } from '../../vit/variants.ts';
import { parseNpz } from './npz.ts';
import { PageRun, toInput } from './run.ts';
import { TrainStream } from './batches.ts';
import { configureRuntime, providerName } from './runtime.ts';
import { fetchDigits, splitMnist } from './split-mnist.ts';
import { loadRun } from './store.ts';
import { startUi, type Page, type PageMethod } from './ui.ts';
import { $, showError } from './dom.ts';

const BACKBONE = 'models/glyph-vit-nano4.npz';

/** The demo's config (the shipped backbone, Split MNIST, two digits a task), shrunk by `set`. */
export function demoConfig(set: Partial<L2PConfig['continual']> & { num_eval_steps?: number } = {}): L2PConfig {
  const base = getPreset('split_mnist_l2p');
  const { num_eval_steps, ...continual } = set;
  return parseL2PConfig({ ...base, num_eval_steps: num_eval_steps ?? base.num_eval_steps, continual: { ...base.continual, ...continual } });
}

/** A run started in the page: the demo's stream and backbone under `method` (its split_mnist preset). */
export function pageConfig(method: PageMethod): L2PConfig {
  const base = method === 'l2p' ? demoConfig() : parseL2PConfig(getPreset(`split_mnist_${method}`));
  // Drawn tasks test on a few images each, fewer than a global batch: the UI's runs pad the last
  // batch (eval_pad_last_batch) where the official pipeline would drop it and score nothing.
  return { ...base, eval_pad_last_batch: true };
}

async function loadBackbone(): Promise<LoadedViT> {
  const res = await fetch(`/${BACKBONE}`);
  if (!res.ok) throw new Error(`/${BACKBONE}: ${res.status} ${res.statusText}`);
  return viTFromArrays(await parseNpz(new Uint8Array(await res.arrayBuffer()), BACKBONE), BACKBONE, decodeVariant('ViT-nano_4'));
}

/** WASM unless asked: provider=webgpu needs an adapter, provider=auto takes one when the browser offers it. */
async function chooseProvider(asked: string | null): Promise<'cpu' | 'webgpu'> {
  if (asked === null || asked === 'wasm') return 'cpu';
  if (asked !== 'webgpu' && asked !== 'auto') throw new Error(`provider must be wasm, webgpu or auto, got '${asked}'`);
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (adapter) return 'webgpu';
  if (asked === 'auto') return 'cpu';
  throw new Error('provider=webgpu was asked for, but this browser offers no WebGPU adapter');
}

/** The scripted run: the demo's stream shrunk to the sizes of its test, `tasks` tasks, a summary at the end. */
async function autorun(page: Page, tasks: number): Promise<void> {
  const config = demoConfig({ num_train_steps_per_task: 4, num_eval_steps: 2 });
  if (!(tasks >= 1 && tasks <= config.continual.num_tasks)) throw new Error(`tasks must be 1..${config.continual.num_tasks}, got ${tasks}`);
  const digits = await fetchDigits('/mnist');
  const run = PageRun.fresh(config, page.backbone, Array.from({ length: 10 }, (_, d) => String(d)));
  run.snap.tasks = splitMnist(digits, config, tasks);
  run.snap.demoStream = true;
  page.setRun(run);
  let m = null;
  for (let t = 0; t < tasks; t++) {
    m = await run.trainTask(t, { onStep: (r) => page.progress(t, r) });
    page.render();
  }
  await page.persist();
  const out = $('summary') as HTMLOutputElement;
  out.dataset.avgAcc = String(m!.avg_acc);
  out.dataset.forgetting = m!.forgetting === null ? '' : String(m!.forgetting);
  out.dataset.tasks = String(tasks);
  out.dataset.provider = providerName();
  $('status').textContent = `scripted run done: ${tasks} task${tasks === 1 ? '' : 's'}`;
  out.textContent = `avg_acc ${m!.avg_acc.toFixed(2)}% | forgetting ${m!.forgetting?.toFixed(2) ?? '–'} after ${tasks} tasks on ${providerName()}`;
}

/**
 * Training steps (two by default) on the demo's first batch from the same start, on one provider: the
 * losses, the updated parameters and the seconds per step, for comparing providers. (One Adam step alone moves each
 * parameter by about ±lr whatever the gradient's size; the second step depends on the sizes.)
 */
async function stepCheck(shipped: LoadedViT, device: 'cpu' | 'webgpu', tiny: boolean, steps = 2): Promise<{ losses: number[]; params: Record<string, number[]>; secondsPerStep: number; stepSeconds: number[] }> {
  const config = demoConfig();
  // `tiny`: a one-block random ViT of the same input, for software GPUs where the shipped one is slow.
  const tinyVit = { hidden: 32, depth: 1, heads: 2, mlp: 64, patch: 4 };
  const backbone = tiny ? { config: tinyVit, numPatches: 49, params: randomViT(tinyVit, 49, 0) } : shipped;
  const run = PageRun.fresh(config, backbone, [], { device });
  const task = splitMnist(await fetchDigits('/mnist'), config, 1)[0];
  const batch = task.train.slice(0, config.per_device_batch_size);
  const px = config.input_size * config.input_size * 3;
  const images = new Float32Array(batch.length * px);
  batch.forEach((e, i) => images.set(toInput(e.pixels, config), i * px));
  const labels = Int32Array.from(batch, (e) => e.label);
  const losses: number[] = [];
  const stepSeconds: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    losses.push((await run.learner.trainStep(images, labels, 0, task.classMask, 1e-3)).loss);
    stepSeconds.push((performance.now() - t0) / 1000);
  }
  // The first step compiles the session: the timing (for bench/web-step.ts) counts the steps after it.
  const timed = stepSeconds.slice(1);
  const secondsPerStep = timed.reduce((a, b) => a + b, 0) / Math.max(1, timed.length);
  const params = Object.fromEntries([...run.learner.trainedTensors].map(([k, v]) => [k, [...v]]));
  return { losses, params, secondsPerStep, stepSeconds };
}

/** Batch `step` of the demo's task t training stream in the page, augmented or not: for comparing with the Node pipeline. */
async function demoBatch(t: number, step: number, augment: boolean): Promise<{ images: number[]; labels: number[] }> {
  const config = { ...demoConfig(), train_augment: augment };
  const task = splitMnist(await fetchDigits('/mnist'), config, t + 1)[t];
  const b = new TrainStream(task.train, config, t).batch(step);
  return { images: Array.from(b.images), labels: Array.from(b.labels) };
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const device = await chooseProvider(q.get('provider'));
  const threads = Number(q.get('threads') ?? 0) || Math.min(4, navigator.hardwareConcurrency || 1);
  configureRuntime({ wasmPaths: '/ort/', threads: crossOriginIsolated ? threads : 1, device });
  $('provider').textContent = `${providerName()}${device === 'cpu' ? ` (${crossOriginIsolated ? threads : 1} thread${threads === 1 ? '' : 's'})` : ''}`;
  const backbone = await loadBackbone();
  const page = startUi({ backbone, configFor: pageConfig });
  (window as unknown as { l2p: unknown }).l2p = { page, stepCheck: (device: 'cpu' | 'webgpu', tiny = false, steps = 2) => stepCheck(backbone, device, tiny, steps), demoBatch };
  const auto = q.get('autorun');
  if (auto !== null) {
    if (auto !== 'split-mnist') throw new Error(`unknown autorun '${auto}' (the scripted run is autorun=split-mnist)`);
    await autorun(page, Number(q.get('tasks') ?? 5));
    return;
  }
  const saved = await loadRun().catch(() => undefined);
  if (saved) page.setRun(new PageRun(saved, backbone));
  page.render();
  $('status').textContent = saved ? `restored the saved run (${saved.trainedTasks} task${saved.trainedTasks === 1 ? '' : 's'} trained)` : 'ready';
}

main().catch((e) => {
  showError(e);
  $('status').textContent = 'stopped';
});
