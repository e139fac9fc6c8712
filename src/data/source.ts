// Views over sources: slices, class filters, label offsets, concatenation. A view holds at most
// an index array; it never reads images itself.
import type { Source, StoredRecord } from './types.ts';

/** Records `indices[0], indices[1], ...` of `base`. */
export function subset(base: Source, indices: ArrayLike<number>, description = base.description): Source {
  const idx = Int32Array.from(indices as ArrayLike<number>);
  for (const i of idx) if (i < 0 || i >= base.length) throw new RangeError(`index ${i} outside ${base.description}`);
  return {
    description,
    length: idx.length,
    label: (i) => base.label(idx[i]),
    get: (i) => base.get(idx[i]),
    locate: base.locate && ((i) => base.locate!(idx[i])),
  };
}

/** Records [start, end) of `base`. */
export function slice(base: Source, start: number, end: number, description = base.description): Source {
  if (start < 0 || end > base.length || start > end) throw new RangeError(`slice [${start}:${end}] outside ${base.description}`);
  return {
    description,
    length: end - start,
    label: (i) => base.label(start + i),
    get: (i) => base.get(start + i),
    locate: base.locate && ((i) => base.locate!(start + i)),
  };
}

/** The records of `base` whose label is in `classes`, in stored order (the official `class_filter`). */
export function filterClasses(base: Source, classes: Iterable<number>, description?: string): Source {
  const keep = new Set(classes);
  const idx: number[] = [];
  for (let i = 0; i < base.length; i++) if (keep.has(base.label(i))) idx.push(i);
  return subset(base, idx, description ?? `${base.description} classes {${[...keep].join(',')}}`);
}

/** `base` with every label passed through `map` (label offsets for 5-datasets, ImageNet-R's 1000→200). */
export function mapLabels(base: Source, map: (label: number) => number, description = base.description): Source {
  return {
    description,
    length: base.length,
    label: (i) => map(base.label(i)),
    get: async (i): Promise<StoredRecord> => {
      const r = await base.get(i);
      return { ...r, label: map(r.label) };
    },
    locate: base.locate && ((i) => base.locate!(i)),
  };
}

/** Sources one after another. */
export function concat(parts: Source[], description = parts.map((p) => p.description).join(' + ')): Source {
  if (parts.length === 1) return parts[0];
  const starts = new Float64Array(parts.length + 1);
  for (let k = 0; k < parts.length; k++) starts[k + 1] = starts[k] + parts[k].length;
  const locate = (i: number): [Source, number] => {
    let lo = 0;
    let hi = parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return [parts[lo], i - starts[lo]];
  };
  return {
    description,
    length: starts[parts.length],
    label: (i) => {
      const [s, j] = locate(i);
      return s.label(j);
    },
    get: (i) => {
      const [s, j] = locate(i);
      return s.get(j);
    },
    locate: parts.every((p) => p.locate)
      ? (i) => {
          const [s, j] = locate(i);
          return s.locate!(j);
        }
      : undefined,
  };
}

/** Counts of each label, for `describe` and the stream statistics. */
export function labelCounts(source: Source): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < source.length; i++) {
    const l = source.label(i);
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  return counts;
}
