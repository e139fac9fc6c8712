// `l2p data describe` and `l2p data preview`: what a dataset holds, and what the model will see.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError, where } from '../errors.ts';
import { labeledGrid } from '../data/grid.ts';
import { encodePng } from '../data/image.ts';
import { openDataset, type DataFormat } from '../data/open.ts';
import { Pipeline } from '../data/pipeline.ts';
import { datasetSpec, knownDatasets } from '../data/registry.ts';
import { labelCounts } from '../data/source.ts';
import { optionalInt } from './args.ts';

const COMMON = {
  dataset: { type: 'string' },
  'data-dir': { type: 'string' },
  format: { type: 'string', default: 'auto' },
  split: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const USAGE = `usage:
  l2p data describe --dataset NAME [--data-dir DIR] [--format auto|tfds|native] [--split SPLIT] [--json]
  l2p data preview  --dataset NAME [--data-dir DIR] [--split SPLIT] --out grid.png
                    [--count 16] [--seed 0] [--eval] [--resize-size 256] [--input-size 224] [--workers N]

--data-dir is a TFDS data dir (default $TFDS_DATA_DIR or ~/tensorflow_datasets), a TFDS builder
directory, or the directory of the dataset's native layout. SPLIT uses TFDS syntax ("train[:80%]").
Datasets: ${knownDatasets().join(', ')}; other names are read as TFDS datasets.`;

function formatOf(v: string | undefined): DataFormat {
  if (v === 'auto' || v === 'tfds' || v === 'native') return v;
  throw new UserError(`--format must be auto, tfds or native, not '${v}'`);
}

function intFlag(name: string, v: string | undefined, fallback: number, min: number): number {
  return optionalInt(v, `--${name}`, { min }) ?? fallback;
}

/** Runs parseArgs, turning its complaints into UserErrors. */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UserError(`${(e as Error).message} (see l2p data --help)`);
  }
}

async function describe(argv: string[]): Promise<number> {
  const options = { ...COMMON, json: { type: 'boolean' } } as const;
  const { values } = parsed(() => parseArgs({ args: argv, options, strict: true }));
  if (values.help) return console.log(USAGE), 0;
  if (typeof values.dataset !== 'string') throw new UserError('describe needs --dataset (see l2p data --help)');
  const ds = await openDataset(values.dataset, { dataDir: values['data-dir'], format: formatOf(values.format) });
  const spec = datasetSpec(ds.name);
  const out: Record<string, unknown> = {
    dataset: ds.name,
    num_classes: ds.numClasses,
    num_examples: ds.splits,
    image_shape: ds.imageShape,
    num_files: ds.files.length,
    official_splits: { train: spec.train, test: spec.test },
  };
  if (typeof values.split === 'string') {
    const source = await ds.source(values.split);
    const counts = [...labelCounts(source)].sort((a, b) => a[0] - b[0]);
    out.split = { spec: values.split, num_examples: source.length, class_counts: Object.fromEntries(counts) };
  }
  if (values.json) {
    console.log(JSON.stringify(out, null, 2));
    return 0;
  }
  console.log(`${ds.name}: ${ds.numClasses} classes, images ${ds.imageShape && !ds.imageShape.includes(-1) ? ds.imageShape.join('×') : 'of varying size'}, ${ds.files.length} files`);
  for (const [k, n] of Object.entries(ds.splits)) console.log(`  ${k.padEnd(8)} ${n} examples`);
  console.log(`  official splits: train '${spec.train}', test '${spec.test}'`);
  const split = out.split as { spec: string; num_examples: number; class_counts: Record<string, number> } | undefined;
  if (split) {
    const counts = Object.values(split.class_counts);
    console.log(`  ${split.spec}: ${split.num_examples} examples in ${counts.length} classes (${Math.min(...counts)} to ${Math.max(...counts)} per class)`);
  }
  return 0;
}

async function preview(argv: string[]): Promise<number> {
  const options = {
    ...COMMON,
    out: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    eval: { type: 'boolean' },
    'resize-size': { type: 'string' },
    'input-size': { type: 'string' },
    workers: { type: 'string' },
  } as const;
  const { values } = parsed(() => parseArgs({ args: argv, options, strict: true }));
  if (values.help) return console.log(USAGE), 0;
  if (typeof values.dataset !== 'string' || typeof values.out !== 'string') throw new UserError('preview needs --dataset and --out (see l2p data --help)');
  const count = intFlag('count', values.count, 16, 1);
  const resizeSize = intFlag('resize-size', values['resize-size'], 256, 1);
  const inputSize = intFlag('input-size', values['input-size'], 224, 1);
  const ds = await openDataset(values.dataset, { dataDir: values['data-dir'], format: formatOf(values.format) });
  const splitSpec = (values.split) ?? datasetSpec(ds.name).train;
  const source = await ds.source(splitSpec);
  const train = !values.eval;
  const pipeline = new Pipeline(source, {
    batchSize: Math.min(count, source.length),
    train,
    seed: intFlag('seed', values.seed, 0, 0),
    epochs: 1,
    dropRemainder: false,
    preprocess: { resizeSize, inputSize },
    workers: intFlag('workers', values.workers, 1, 0),
    prefetch: 1,
  });
  try {
    const batch = await pipeline.next();
    if (!batch) throw new UserError(`${ds.name} ${splitSpec}: no examples`);
    writeFileSync(values.out, await encodePng(labeledGrid(batch.images, batch.labels, batch.size, inputSize)));
    const how = train ? 'augmented for training' : 'evaluation crops';
    console.log(`wrote ${where(values.out)}: ${batch.size} samples of ${ds.name} ${splitSpec} (${how}, ${inputSize}×${inputSize}), labels ${[...batch.labels].join(' ')}`);
  } finally {
    await pipeline.close();
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'describe') return describe(rest);
  if (sub === 'preview') return preview(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub === undefined ? 1 : 0;
  }
  throw new UserError(`unknown subcommand '${sub}': expected describe or preview`);
}
