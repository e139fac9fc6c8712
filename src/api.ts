// The library's verbs, as thin wrappers over src/train for callers who are not the CLI: train a
// config into a workdir, open a run from its workdir, evaluate it, predict on images. Each takes
// and returns plain values; everything they build on is exported too (src/index.ts).
import { readFileSync } from 'node:fs';
import { parseL2PConfig, type L2PConfig } from './config/l2p.ts';
import { decodeImage } from './data/image.ts';
import { Pipeline, type ContinualStream } from './data/index.ts';
import { evalPreprocess, OFFICIAL_PREPROCESS } from './data/preprocess.ts';
import { UserError } from './errors.ts';
import { evalClassMask } from './train/eval-classes.ts';
import { evalOptionsOf, evaluateSource } from './train/evaluate.ts';
import { backboneFor } from './train/experiment.ts';
import { trainContinual } from './train/loop.ts';
import { openRun as openWorkdir, type OpenedRun } from './train/open-run.ts';
import type { ProgressSink } from './train/progress.ts';
import type { RunSummary } from './rundir/summary.ts';
import { streamFor } from './train/stream.ts';
import type { LoadedViT } from './vit/params.ts';

export interface TrainOptions {
  /** The run's directory: config.json, metrics.jsonl, summary.json, TensorBoard events, checkpoints. */
  workdir: string;
  /** The continual stream; default: the one the config names, read from config.data_dir. */
  stream?: ContinualStream;
  /**
   * The backbone; default: config.init_checkpoint, random weights for init_checkpoint 'random' or the
   * test size ViT-mu (with a warning), and a UserError for any other backbone without a checkpoint.
   */
  backbone?: LoadedViT;
  /** Continue the run in workdir from its last checkpoint. */
  resume?: boolean;
  /** ONNX Runtime intra-op threads (default: one per core). */
  threads?: number;
  /** Image decoding worker threads (0: on the main thread; default: automatic). */
  workers?: number;
  /** Progress lines: to stderr (default), to a function, or nowhere (false). */
  progress?: false | ((line: string) => void);
}

function sinkOf(p: TrainOptions['progress']): ProgressSink {
  if (p === undefined) return { write: (s) => process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) };
  if (p === false) return { write: () => {}, isTTY: false };
  return { write: (s) => p(s.replace(/\n$/, '')), isTTY: false };
}

/**
 * Trains L2P task after task as `l2p train` does and returns summary.json's content. The config is
 * validated first, so a preset edited by hand (`{ ...getPreset(name), data_dir }`) is checked here.
 */
export async function train(config: L2PConfig, o: TrainOptions): Promise<RunSummary> {
  const c = parseL2PConfig(config);
  const sink = sinkOf(o.progress);
  const stream = o.stream ?? (await streamFor(c));
  const backbone = o.backbone ?? backboneFor(c, (m) => sink.write(`warning: ${m}\n`), (m) => sink.write(`${m}\n`));
  return trainContinual({ config: c, workdir: o.workdir, resume: o.resume ?? false, stream, backbone, runtime: { threads: o.threads }, workers: o.workers, sink });
}

/** A run opened from its workdir: its config, a learner holding its latest checkpoint, the loop state. */
export interface Run extends OpenedRun {
  workdir: string;
}

export interface OpenOptions {
  /**
   * Test-time prompt selection: 'batchwise' (the official vote: a batch shares the prompts most of
   * its inputs chose) or 'per_instance' (each input its own). Default: the run's test_time_selection.
   * Predicting on unrelated images calls for 'per_instance'.
   */
  selection?: 'batchwise' | 'per_instance';
  threads?: number;
}

export function openRun(workdir: string, o: OpenOptions = {}): Run {
  const opened = openWorkdir(workdir, { threads: o.threads }, o.selection ? { test_time_selection: o.selection } : undefined);
  return { ...opened, workdir };
}

const streams = new WeakMap<Run, Promise<ContinualStream>>();

/** The run's continual stream, read once per run from the data_dir its config names. */
function streamOf(run: Run): Promise<ContinualStream> {
  let s = streams.get(run);
  if (!s) streams.set(run, (s = streamFor(run.config)));
  return s;
}

/** Tasks the run has trained (the current one included once it has taken a step). */
function tasksTrained(run: Run, stream: ContinualStream): number {
  return Math.min(run.state.task + (run.state.stepInTask > 0 ? 1 : 0), stream.tasks.length);
}

export interface Evaluation {
  /** Accuracy (%) per task evaluated, in the order of `tasks`. */
  accuracy: number[];
  tasks: number[];
  avg_acc: number;
  /** Per task evaluated, how often each prompt id was selected. */
  promptUsage: number[][];
  selection: string;
}

/**
 * Accuracy of the run's latest checkpoint on the whole test split of each task it has trained (or of
 * `tasks`), as `l2p eval` computes it; only the shared set when all tasks share one.
 */
export async function evaluate(run: Run, o: { tasks?: number[]; workers?: number } = {}): Promise<Evaluation> {
  const c = run.config;
  const stream = await streamOf(run);
  const shared = stream.tasks.every((t) => t.test === stream.tasks[0].test);
  const trained = tasksTrained(run, stream);
  if (trained === 0) throw new UserError(`'${run.workdir}' has not trained any task yet`);
  const tasks = o.tasks ?? (shared ? [0] : Array.from({ length: trained }, (_, i) => i));
  const res = [];
  for (const i of tasks) {
    const task = stream.tasks[i];
    if (!task) throw new UserError(`task ${i} is not in the stream (${stream.tasks.length} tasks)`);
    const mask = evalClassMask(c, task, stream.tasks.slice(0, trained));
    const opts = { ...evalOptionsOf(c), maxBatches: -1, workers: o.workers };
    res.push(await evaluateSource(run.learner, task.test, mask, opts));
  }
  const accuracy = res.map((r) => r.accuracy);
  return { accuracy, tasks, avg_acc: accuracy.reduce((a, b) => a + b, 0) / accuracy.length, promptUsage: res.map((r) => r.promptCounts), selection: run.learner.evalSelection() };
}

export interface Prediction {
  /** Predicted class per image, [B]. */
  classes: Int32Array;
  /** The prompt ids each image used, [B][top_k] (empty rows without a prompt pool). */
  prompts: number[][];
  selection: string;
}

/**
 * Classes and selected prompts of preprocessed images: Float32Array [B, S, S, 3] in [0, 1] with
 * S = config.input_size, as a Pipeline or `readImages` gives them. Under 'batchwise' selection each
 * group of per_device_batch_size images votes on shared prompts; open the run with
 * `{ selection: 'per_instance' }` for each image to choose its own.
 */
export async function predict(run: Run, images: Float32Array): Promise<Prediction> {
  const s = run.config.input_size;
  const px = s * s * 3;
  if (images.length === 0 || images.length % px !== 0) {
    throw new UserError(`images must be [B, ${s}, ${s}, 3] float32 (a multiple of ${px} values), got ${images.length} values`);
  }
  const n = images.length / px;
  const per = run.config.per_device_batch_size;
  const classes = new Int32Array(n);
  const prompts: number[][] = [];
  for (let b = 0; b < n; b += per) {
    const m = Math.min(per, n - b);
    const r = await run.learner.evalBatch(images.subarray(b * px, (b + m) * px), new Int32Array(m).fill(-1), null);
    classes.set(r.predictions, b);
    const k = r.promptIds.length / m;
    for (let i = 0; i < m; i++) prompts.push(Array.from(r.promptIds.subarray(i * k, (i + 1) * k)));
  }
  return { classes, prompts, selection: run.learner.evalSelection() };
}

/** Image files (or encoded PNG/JPEG bytes) decoded and centre-cropped as evaluation does: [B, S, S, 3]. */
export async function readImages(run: Run, images: readonly (string | Uint8Array)[]): Promise<Float32Array> {
  const c = run.config;
  const s = c.input_size;
  const pre = { ...OFFICIAL_PREPROCESS, resizeSize: c.resize_size, inputSize: s };
  const out = new Float32Array(images.length * s * s * 3);
  for (const [i, img] of images.entries()) {
    let bytes: Uint8Array;
    try {
      bytes = typeof img === 'string' ? readFileSync(img) : img;
    } catch (e) {
      throw new UserError(`cannot read image '${img}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const pixels = await decodeImage({ encoded: bytes }, typeof img === 'string' ? `'${img}'` : `image ${i}`);
    out.set(evalPreprocess(pixels, pre), i * s * s * 3);
  }
  return out;
}

/** The first `size` test images of a task of the run's stream, preprocessed, with their labels. */
export async function testBatch(run: Run, o: { task?: number; size?: number } = {}): Promise<{ images: Float32Array; labels: Int32Array }> {
  const stream = await streamOf(run);
  const t = o.task ?? 0;
  const task = stream.tasks[t];
  if (!task) throw new UserError(`task ${t} is not in the stream (${stream.tasks.length} tasks)`);
  const c = run.config;
  const pipe = new Pipeline(task.test, { batchSize: o.size ?? 8, train: false, epochs: 1, workers: 0, preprocess: { resizeSize: c.resize_size, inputSize: c.input_size } });
  try {
    const batch = await pipe.next();
    if (!batch) throw new UserError(`${task.test.description}: no test images`);
    return { images: batch.images, labels: batch.labels };
  } finally {
    await pipe.close();
  }
}
