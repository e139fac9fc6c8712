// The continual streams of the official code, as lists of tasks. A task's class mask lists the
// classes whose logits it trains (the official `class_mask`); its train and test sources are views
// over the opened datasets, so building a stream reads labels but no images.
import { UserError } from '../errors.ts';
import { gaussianSchedule, scheduleKey, type GaussianOptions } from './gaussian.ts';
import { CORE50_CLASSES, CORE50_TRAIN_SESSIONS } from './native/core50.ts';
import { DOMAINNET_CLASSES, DOMAINNET_DOMAINS } from './native/domainnet.ts';
import { NumpyRandomState } from './numpy-random.ts';
import { openDataset, type DataFormat } from './open.ts';
import { datasetSpec } from './registry.ts';
import { filterClasses, mapLabels } from './source.ts';
import { subsampleSplit } from './split.ts';
import type { Dataset, Source } from './types.ts';

export interface Task {
  classMask: number[];
  train: Source;
  test: Source;
}

export interface ContinualStream {
  name: string;
  /** Width of the classifier: classes over all tasks. */
  numClasses: number;
  tasks: Task[];
}

/** Where each dataset of a stream lives: one directory for all, overridable per dataset. */
export interface StreamData {
  dataDir?: string;
  dataDirs?: Record<string, string>;
  format?: DataFormat;
  /** config.subsample_rate: each split read as subsampleSplit makes it (-1 or unset: whole). */
  subsampleRate?: number;
}

const sub = (split: string, d: StreamData) => subsampleSplit(split, d.subsampleRate ?? -1);

const open = (name: string, d: StreamData) => openDataset(name, { dataDir: d.dataDirs?.[name] ?? d.dataDir, format: d.format });
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

export interface ClassIncrementalOptions {
  numTasks: number;
  numClassesPerTask: number;
  /** config.continual.rand_seed: -1 keeps the natural class order; s ≥ 0 uses numpy's permutation under seed s. */
  randSeed?: number;
  /** config.continual.class_order: 'pycil' permutes all the dataset's classes, not only the ones split into tasks. */
  classOrder?: 'l2p' | 'pycil';
  /** config.reverse_task: the tasks in reverse order. */
  reverse?: boolean;
  /** The official splits of the dataset unless given. */
  trainSplit?: string;
  testSplit?: string;
}

/**
 * Split-X (split CIFAR-100, split ImageNet-R): task t trains and tests on classes
 * order[t·C .. (t+1)·C). The official code draws np.random.permutation from numpy's unseeded
 * global generator for every task, so its shuffled tasks could overlap; here one permutation,
 * np.random.seed(randSeed) then permutation(T·C), is shared by all tasks. PyCIL's order
 * (classOrder 'pycil') permutes all the dataset's classes under the seed, keeps the first T·C and, as
 * PyCIL does, labels each class by its place in that order.
 */
export async function classIncremental(ds: Dataset, o: ClassIncrementalOptions): Promise<ContinualStream> {
  const total = o.numTasks * o.numClassesPerTask;
  if (!(o.numTasks >= 1 && o.numClassesPerTask >= 1) || total > ds.numClasses) {
    throw new UserError(`${ds.name}: ${o.numTasks} tasks of ${o.numClassesPerTask} classes need ${total} classes, but it has ${ds.numClasses}`);
  }
  const seed = o.randSeed ?? -1;
  const order = seed < 0 ? range(0, total) : new NumpyRandomState(seed).permutation(o.classOrder === 'pycil' ? ds.numClasses : total).slice(0, total);
  const spec = datasetSpec(ds.name);
  const train = await ds.source(o.trainSplit ?? spec.train);
  const test = await ds.source(o.testSplit ?? spec.test);
  const tasks: Task[] = [];
  for (let k = 0; k < o.numTasks; k++) {
    const t = o.reverse ? o.numTasks - 1 - k : k;
    const classes = order.slice(t * o.numClassesPerTask, (t + 1) * o.numClassesPerTask);
    if (o.classOrder === 'pycil') {
      // PyCIL relabels each class by its place in the order (_map_new_class_index): task t holds labels
      // t·C .. (t+1)·C − 1, so a stream of fewer classes than the dataset stays within its head.
      const place = new Map(order.map((c, i) => [c, i] as const));
      const relabel = (s: Source) => mapLabels(filterClasses(s, classes), (l) => place.get(l)!, `${s.description} (classes in PyCIL's order)`);
      tasks.push({ classMask: range(t * o.numClassesPerTask, o.numClassesPerTask), train: relabel(train), test: relabel(test) });
    } else {
      tasks.push({ classMask: classes, train: filterClasses(train, classes), test: filterClasses(test, classes) });
    }
  }
  return { name: `split ${ds.name}`, numClasses: total, tasks };
}

export const FIVE_DATASETS = ['cifar10', 'mnist', 'svhn_cropped', 'not_mnist', 'fashion_mnist'];

/** 5-datasets: each dataset a task of 10 classes, labels offset by 10 per position in the list. */
export async function fiveDatasets(data: StreamData = {}, list: string[] = FIVE_DATASETS): Promise<ContinualStream> {
  const tasks: Task[] = [];
  for (const [k, name] of list.entries()) {
    const ds = await open(name, data);
    if (ds.numClasses !== 10) throw new UserError(`${name}: 5-datasets needs 10 classes per dataset, it has ${ds.numClasses}`);
    const spec = datasetSpec(name);
    const shift = (s: Source) => mapLabels(s, (l) => l + 10 * k, `${s.description} (labels +${10 * k})`);
    tasks.push({ classMask: range(10 * k, 10), train: shift(await ds.source(sub(spec.train, data))), test: shift(await ds.source(sub(spec.test, data))) });
  }
  return { name: '5-datasets', numClasses: 10 * list.length, tasks };
}

/**
 * CORe50's domain-incremental stream: the eight training sessions as tasks, all 50 classes
 * trainable, one shared test set (sessions 3, 7, 10). Reads the official builder directories
 * core50_s1 ... core50_s11 and core50_test, or, with format 'native', CORe50's image folders.
 */
export async function core50Stream(data: StreamData = {}): Promise<ContinualStream> {
  const classMask = range(0, CORE50_CLASSES);
  if (data.format === 'native') {
    const ds = await open('core50', data);
    const test = await ds.source(sub('test', data));
    const tasks = await Promise.all(CORE50_TRAIN_SESSIONS.map(async (s) => ({ classMask, train: await ds.source(sub(`s${s}`, data)), test })));
    return { name: 'core50', numClasses: CORE50_CLASSES, tasks };
  }
  const test = await (await open('core50_test', data)).source(sub('train', data));
  const tasks: Task[] = [];
  for (const s of CORE50_TRAIN_SESSIONS) tasks.push({ classMask, train: await (await open(`core50_s${s}`, data)).source(sub('train', data)), test });
  return { name: 'core50', numClasses: CORE50_CLASSES, tasks };
}

/** DomainNet's domains as tasks over the same 345 classes, each tested on its own test split. */
export async function domainNetStream(data: StreamData = {}, domains: readonly string[] = DOMAINNET_DOMAINS): Promise<ContinualStream> {
  const classMask = range(0, DOMAINNET_CLASSES);
  const tasks: Task[] = [];
  for (const d of domains) {
    const ds = await open(`domainnet/${d}`, data);
    tasks.push({ classMask, train: await ds.source(sub('train', data)), test: await ds.source(sub('test', data)) });
  }
  return { name: 'domainnet', numClasses: DOMAINNET_CLASSES, tasks };
}

/**
 * Gaussian-scheduled CIFAR-100: one task per episode of the official schedule, training on the
 * episode's classes with those classes as its mask; every task is tested on the whole test split.
 */
export async function gaussianCifar100(ds: Dataset, seed: number, o: GaussianOptions = {}, subsampleRate = -1): Promise<ContinualStream> {
  const train = await ds.source(subsampleSplit('train', subsampleRate));
  const test = await ds.source(subsampleSplit('test', subsampleRate));
  const episodes = gaussianSchedule(scheduleKey(seed), { numClasses: ds.numClasses, ...o });
  const tasks = episodes.map((e) => ({ classMask: e.labels, train: filterClasses(train, e.labels), test }));
  return { name: `gaussian ${ds.name}`, numClasses: ds.numClasses, tasks };
}
