// The Dataset object every reader returns: metadata, split resolution in TFDS syntax over the
// stored splits, and sequential decoded reading.
import { decodeImage } from './image.ts';
import { concat, slice } from './source.ts';
import { resolveSplit, type SplitInfo } from './split.ts';
import type { Dataset, Example, Source } from './types.ts';

/** Decodes a source's records in order. */
export async function* readExamples(source: Source): AsyncGenerator<Example> {
  for (let i = 0; i < source.length; i++) {
    const r = await source.get(i);
    const p = await decodeImage(r.image, r.origin);
    yield { image: p.data, height: p.height, width: p.width, channels: p.channels, label: r.label };
  }
}

export interface StoredSplit extends SplitInfo {
  /** The whole split as a source, built on first use. */
  open: () => Promise<Source>;
}

export interface DatasetParts {
  name: string;
  numClasses: number;
  imageShape: [number, number, number] | null;
  files: string[];
  /** Names the dataset's location in split errors. */
  where: string;
  splits: Record<string, StoredSplit>;
  /** Replaces the default slicing of whole-split sources (TFDS scans only the shards a slice touches). */
  source?: (spec: string) => Promise<Source>;
}

export function makeDataset(parts: DatasetParts): Dataset {
  const opened = new Map<string, Promise<Source>>();
  const whole = (name: string): Promise<Source> => {
    let p = opened.get(name);
    if (!p) {
      p = parts.splits[name].open();
      opened.set(name, p);
      p.catch(() => opened.delete(name));
    }
    return p;
  };
  const source =
    parts.source ??
    (async (spec: string): Promise<Source> => {
      const ranges = resolveSplit(spec, parts.splits, parts.where);
      const pieces: Source[] = [];
      for (const r of ranges) {
        const s = await whole(r.split);
        pieces.push(r.start === 0 && r.end === s.length ? s : slice(s, r.start, r.end));
      }
      return concat(pieces, `${parts.name} ${spec}`);
    });
  const splits: Record<string, number> = {};
  for (const [k, v] of Object.entries(parts.splits)) splits[k] = v.numExamples;
  return {
    name: parts.name,
    numClasses: parts.numClasses,
    splits,
    imageShape: parts.imageShape,
    files: parts.files,
    source,
    read: (spec) => ({
      [Symbol.asyncIterator]: async function* () {
        yield* readExamples(await source(spec));
      },
    }),
  };
}
