// TFDS-prepared data directories read as they are: <data_dir>/<name>[/<config>]/<version>/ holding
// dataset_info.json (splits and shard lengths), features.json (image shape, number of classes) and
// shards named by the split's filepathTemplate, by default <name>-<split>.tfrecord-00000-of-000NN.
// Opening a split scans only the shards it touches, once, to index record offsets and labels.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fsReason, UserError, where } from '../errors.ts';
import { bytesFeature, decodeExample, int64Feature } from '../io/example.ts';
import { readTFRecordAt, readTFRecords } from '../io/tfrecord.ts';
import { concat } from './source.ts';
import { resolveSplit, type SplitInfo } from './split.ts';
import { readFeatures, type TfdsFeatures } from './tfds-features.ts';
import type { RecordRef, Source } from './types.ts';

/** TFDS's default data directory: $TFDS_DATA_DIR, else ~/tensorflow_datasets. */
export function defaultTfdsDataDir(): string {
  return process.env.TFDS_DATA_DIR || join(homedir(), 'tensorflow_datasets');
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/**
 * The directory holding dataset_info.json for `name` ("cifar100", "domainnet/real", "imagenet_r:0.2.0"):
 * `dataDir` itself when it is a builder directory (what builder_from_directory takes), else the
 * newest version under <dataDir>/<name>.
 */
export function findBuilderDir(dataDir: string, name: string): string {
  if (existsSync(join(dataDir, 'dataset_info.json'))) return dataDir;
  const [path, version] = name.split(':');
  const base = join(dataDir, path);
  if (version !== undefined) {
    const dir = join(base, version);
    if (!existsSync(join(dir, 'dataset_info.json'))) throw new UserError(`${where(dir)}: no dataset_info.json for ${name}`);
    return dir;
  }
  let versions: string[] = [];
  try {
    versions = readdirSync(base).filter((v) => /^\d+\.\d+\.\d+$/.test(v) && existsSync(join(base, v, 'dataset_info.json')));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the directory does not exist' : `cannot list the directory: ${fsReason(e)}`;
    throw new UserError(`${where(base)}: no TFDS data for '${name}' here (${why})`);
  }
  if (versions.length === 0) throw new UserError(`${where(base)}: no version directory with a dataset_info.json for '${name}'`);
  versions.sort(compareVersions);
  return join(base, versions[versions.length - 1]);
}

interface SplitEntry extends SplitInfo {
  shardLengths: number[];
  files: string[];
}

export interface TfdsInfo {
  dir: string;
  name: string;
  version: string;
  splits: Record<string, SplitEntry>;
  features: TfdsFeatures;
}

function shardFileName(template: string, dataset: string, split: string, index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return template
    .replaceAll('{DATASET}', dataset)
    .replaceAll('{SPLIT}', split)
    .replaceAll('{FILEFORMAT}', 'tfrecord')
    .replaceAll('{SHARD_X_OF_Y}', `${pad(index)}-of-${pad(count)}`)
    .replaceAll('{SHARD_INDEX}', pad(index))
    .replaceAll('{NUM_SHARDS}', pad(count));
}

/** Reads and checks dataset_info.json and features.json; every shard file must exist. */
export function readTfdsInfo(dir: string): TfdsInfo {
  const infoPath = join(dir, 'dataset_info.json');
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(readFileSync(infoPath, 'utf8'));
  } catch (e) {
    throw new UserError(`${where(infoPath)}: cannot read dataset_info.json (${(e as Error).message})`);
  }
  const bad = (why: string) => new UserError(`${where(infoPath)}: ${why}`);
  if (typeof info !== 'object' || info === null || typeof info.name !== 'string') throw bad('has no dataset "name"');
  const format = info.fileFormat ?? 'tfrecord';
  if (format !== 'tfrecord') throw bad(`stores its shards as '${format}'; only tfrecord can be read`);
  if (!Array.isArray(info.splits) || info.splits.length === 0) throw bad('lists no "splits"');
  const splits: Record<string, SplitEntry> = {};
  for (const s of info.splits as Record<string, unknown>[]) {
    if (typeof s?.name !== 'string') throw bad('has a split without a "name"');
    const lengths = s.shardLengths;
    if (!Array.isArray(lengths) || lengths.length === 0) throw bad(`gives no "shardLengths" for split '${s.name}'`);
    const shardLengths = lengths.map(Number);
    if (shardLengths.some((n) => !Number.isInteger(n) || n < 0)) throw bad(`has a malformed shard length in split '${s.name}'`);
    const template = typeof s.filepathTemplate === 'string' ? s.filepathTemplate : '{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}';
    const files = shardLengths.map((_, k) => join(dir, shardFileName(template, info.name as string, s.name as string, k, shardLengths.length)));
    for (const f of files) {
      // Names from the data file must not lead out of the builder directory.
      const rel = relative(dir, f);
      if (rel === '' || isAbsolute(rel) || rel.split(sep)[0] === '..') throw bad(`names shard '${rel}' of split '${s.name}', outside its directory`);
      let isFile: boolean;
      try {
        isFile = statSync(f).isFile();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(`${where(f)}: shard listed in dataset_info.json ${code === 'ENOENT' ? 'is missing' : `cannot be read: ${fsReason(e)}`}`);
      }
      if (!isFile) throw new UserError(`${where(f)}: shard listed in dataset_info.json is not a file`);
    }
    splits[s.name] = { numExamples: shardLengths.reduce((a, b) => a + b, 0), shardLengths, files };
  }
  return { dir, name: info.name, version: String(info.version ?? ''), splits, features: readFeatures(dir, info) };
}

/** The smallest TFRecord frame, an empty record: its length, the length's checksum, the data's checksum. */
const MIN_RECORD_BYTES = 16;

/** One shard's index: where each record starts and its label. */
interface ShardIndex {
  offsets: Float64Array;
  labels: Int32Array;
}

export interface TfdsKeys {
  image: string;
  label: string;
}

/** The shards of a TFDS directory, indexed on first use. */
export class TfdsReader {
  private shards = new Map<string, Promise<ShardIndex>>();

  /** `numClasses` bounds the stored labels; null checks only that they are non-negative int32. */
  constructor(
    readonly info: TfdsInfo,
    readonly keys: TfdsKeys = { image: 'image', label: 'label' },
    readonly numClasses: number | null = info.features.numClasses,
  ) {}

  private index(file: string, expected: number): Promise<ShardIndex> {
    let p = this.shards.get(file);
    if (!p) {
      p = this.scan(file, expected);
      this.shards.set(file, p);
      p.catch(() => this.shards.delete(file));
    }
    return p;
  }

  private async scan(file: string, expected: number): Promise<ShardIndex> {
    // The index is sized by dataset_info.json, so its count is checked against the file first.
    const most = Math.floor(statSync(file).size / MIN_RECORD_BYTES);
    if (expected > most) {
      throw new UserError(`${where(file)}: dataset_info.json says this shard holds ${expected} records, but its size allows at most ${most}`);
    }
    const offsets = new Float64Array(expected);
    const labels = new Int32Array(expected);
    const top = this.numClasses ?? 2 ** 31;
    let n = 0;
    for await (const r of readTFRecords(file)) {
      if (n < expected) {
        const what = `${where(file)} record at byte ${r.offset}`;
        offsets[n] = r.offset;
        const label = int64Feature(decodeExample(r.data, what), this.keys.label, what);
        if (!(label >= 0 && label < top)) {
          throw new UserError(`${what}: label ${label} is outside ${this.numClasses === null ? 'the int32 range' : `the ${top} classes`} of '${this.keys.label}'`);
        }
        labels[n] = label;
      }
      n++;
    }
    if (n !== expected) {
      throw new UserError(`${where(file)}: dataset_info.json says this shard holds ${expected} records, but it holds ${n}`);
    }
    return { offsets, labels };
  }

  /** A split spec ("train[:80%]") as a source; only the shards it overlaps are scanned. */
  async source(spec: string): Promise<Source> {
    const ranges = resolveSplit(spec, this.info.splits, where(this.info.dir));
    const parts: Source[] = [];
    for (const r of ranges) {
      const split = this.info.splits[r.split];
      let shardStart = 0;
      for (let k = 0; k < split.files.length; k++) {
        const len = split.shardLengths[k];
        const lo = Math.max(r.start, shardStart);
        const hi = Math.min(r.end, shardStart + len);
        if (lo < hi) parts.push(this.shardSource(split.files[k], await this.index(split.files[k], len), lo - shardStart, hi - shardStart));
        shardStart += len;
      }
    }
    return concat(parts, `${this.info.name} ${spec}`);
  }

  private shardSource(file: string, idx: ShardIndex, start: number, end: number): Source {
    const imageKey = this.keys.image;
    const labelKey = this.keys.label;
    const locate = (i: number): RecordRef & { kind: 'tfrecord' } => {
      const offset = idx.offsets[start + i];
      return { kind: 'tfrecord', file, offset, imageKey, origin: `${where(file)} record at byte ${offset}` };
    };
    return {
      description: file,
      length: end - start,
      label: (i) => idx.labels[start + i],
      locate,
      get: async (i) => {
        const { offset, origin } = locate(i);
        const features = decodeExample(await readTFRecordAt(file, offset), origin);
        return { image: { encoded: bytesFeature(features, imageKey, origin) }, label: int64Feature(features, labelKey, origin), origin };
      },
    };
  }
}

/** Whether `dir` looks like a TFDS builder directory or data dir holding `name`. */
export function hasTfdsData(dataDir: string, name: string): boolean {
  try {
    return statSync(join(findBuilderDir(dataDir, name), 'dataset_info.json')).isFile();
  } catch {
    return false;
  }
}
