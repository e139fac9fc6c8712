// openDataset: one entry point for every dataset and format. With format 'auto' a TFDS directory
// wins when present (it is what the official code reads); otherwise the native layout is used.
import { readdirSync } from 'node:fs';
import { fsReason, UserError, where } from '../errors.ts';
import { makeDataset } from './dataset.ts';
import { datasetSpec, type DatasetSpec } from './registry.ts';
import { mapLabels } from './source.ts';
import { defaultTfdsDataDir, findBuilderDir, hasTfdsData, readTfdsInfo, TfdsReader } from './tfds.ts';
import type { Dataset } from './types.ts';

export type DataFormat = 'auto' | 'tfds' | 'native';

export interface OpenOptions {
  /** A TFDS data dir (or builder directory), or a native layout's directory. */
  dataDir?: string;
  format?: DataFormat;
  /** Feature keys in TFDS records; 'image' and 'label' unless a builder used others. */
  imageKey?: string;
  labelKey?: string;
}

function openTfds(spec: DatasetSpec, dataDir: string, opts: OpenOptions): Dataset {
  const dir = findBuilderDir(dataDir, spec.tfds ?? spec.name);
  const info = readTfdsInfo(dir);
  const storedClasses = info.features.numClasses;
  const numClasses = spec.labelMap ? spec.numClasses : (storedClasses ?? spec.numClasses);
  if (numClasses <= 0) throw new UserError(`${where(dir)}: features.json does not give the number of classes of '${opts.labelKey ?? 'label'}'`);
  if (!spec.labelMap && spec.numClasses > 0 && storedClasses !== null && storedClasses !== spec.numClasses) {
    throw new UserError(`${where(dir)}: ${spec.name} should have ${spec.numClasses} classes, but features.json says ${storedClasses}`);
  }
  // Stored labels are checked against the stored class count (ImageNet's 1000 for imagenet_r, before its map).
  const reader = new TfdsReader(info, { image: opts.imageKey ?? 'image', label: opts.labelKey ?? 'label' }, spec.labelMap ? storedClasses : numClasses);
  const files = Object.values(info.splits).flatMap((s) => s.files);
  const splits: Parameters<typeof makeDataset>[0]['splits'] = {};
  for (const [k, s] of Object.entries(info.splits)) splits[k] = { ...s, open: () => reader.source(k) };
  const map = spec.labelMap;
  return makeDataset({
    name: spec.name,
    numClasses,
    imageShape: info.features.imageShape,
    files,
    where: where(dir),
    splits,
    source: async (split) => {
      const s = await reader.source(split);
      return map ? mapLabels(s, map) : s;
    },
  });
}

/** Throws when `dir` cannot be listed, saying why (not "not found" when the truth is another). */
function unreadableDir(dir: string): void {
  try {
    readdirSync(dir);
  } catch (e) {
    throw new UserError(`${where(dir)}: the data directory cannot be read: ${fsReason(e)}`);
  }
}

/** Opens a dataset by name ("cifar100", "domainnet/real", "core50_s1", "fashion_mnist", ...). */
export async function openDataset(name: string, opts: OpenOptions = {}): Promise<Dataset> {
  const spec = datasetSpec(name);
  const format = opts.format ?? 'auto';
  const native = spec.native;
  if (format === 'tfds' || (format === 'auto' && !native)) {
    if (!spec.tfds) throw new UserError(`${name} has no TFDS form; use its native layout (--format native)`);
    return openTfds(spec, opts.dataDir ?? defaultTfdsDataDir(), opts);
  }
  if (!native) throw new UserError(`${name} has no native layout we read; use a TFDS data directory (--format tfds)`);
  if (format === 'native' || !spec.tfds) return native.open(opts.dataDir ?? native.defaultDir ?? '.');
  // auto, with both forms possible
  const tfdsDir = opts.dataDir ?? defaultTfdsDataDir();
  if (hasTfdsData(tfdsDir, spec.tfds)) return openTfds(spec, tfdsDir, opts);
  const nativeDir = opts.dataDir ?? native.defaultDir;
  if (nativeDir !== undefined && native.detect(nativeDir)) return native.open(nativeDir);
  if (opts.dataDir) unreadableDir(opts.dataDir);
  const looked = opts.dataDir ? where(opts.dataDir) : [tfdsDir, native.defaultDir].filter(Boolean).map((d) => where(d!)).join(' and ');
  throw new UserError(
    `${looked}: no ${name} found: expected a TFDS directory ${spec.tfds}/<version>/dataset_info.json or ${native.describe}`,
  );
}
