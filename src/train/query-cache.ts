// The frozen queries of test sets, kept for the run. Evaluation preprocessing is deterministic (central
// crops in stored order) and the query backbone frozen, so an image's query is the same at every
// evaluation of a run: computed once (35 of the 75 GFLOP of a ViT-B/16 evaluation image), reused at
// every later evaluation. An entry is keyed by what makes the query (the backbone's variant and
// weights, the query precision, the preprocessing sizes): under another key it is dropped and computed
// again. The cache is bounded in bytes: a test set that would pass the bound is not kept. Given a
// folder (the run's workdir/query-cache), each test set's queries are also kept there, written
// atomically once an evaluation has computed them, so that a resumed run reads them instead of
// computing them again; a damaged file is ignored with one warning and its queries computed again.
// Node only (the page evaluates without it).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Source } from '../data/types.ts';
import { where } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { Learner } from './learner.ts';
import { decodeQueries, encodeQueries, queryFileName, sourceId } from './query-cache-file.ts';

export interface QueryEntry {
  key: string;
  /** Values per query. */
  d: number;
  /** [length, D], the first `filled` rows computed. */
  features: Float32Array;
  filled: number;
  /** The queries of the zero images that pad the last device batch, as computed with it: [pad, D]. */
  padRows?: Float32Array;
}

/** Bytes the cache keeps by default: DomainNet's 176,743 test images at D = 768 take 543 MB. */
export const QUERY_CACHE_BYTES = 2 ** 30;

/** Where the cache keeps its files, and where it says that one was damaged or could not be written. */
export interface QueryCacheDisk {
  dir: string;
  warn: (line: string) => void;
}

export class QueryCache {
  private readonly entries = new Map<object, QueryEntry>();
  private readonly digests = new WeakMap<Learner, string>();
  private readonly sourceIds = new WeakMap<Source, string>();
  /** Rows of each entry already on disk. */
  private readonly stored = new WeakMap<QueryEntry, number>();

  constructor(
    readonly maxBytes = QUERY_CACHE_BYTES,
    private readonly disk?: QueryCacheDisk,
  ) {}

  get bytes(): number {
    let b = 0;
    for (const e of this.entries.values()) b += e.features.byteLength + (e.padRows?.byteLength ?? 0);
    return b;
  }

  /**
   * What makes `learner`'s queries: the backbone's variant and its pretrained weights (a SHA-256 over
   * every backbone tensor's path, shape and bytes, computed once per learner), the query precision and
   * the image size. Cached queries under another key are not this learner's.
   */
  keyOf(learner: Learner): string {
    let digest = this.digests.get(learner);
    if (digest === undefined) {
      const h = createHash('sha256');
      for (const [k, t] of [...learner.pretrainedBackbone()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        h.update(`${k}:${t.shape.join('x')};`);
        h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      }
      digest = h.digest('hex');
      this.digests.set(learner, digest);
    }
    return JSON.stringify({ vit: learner.model.vit, precision: learner.config.query_precision ?? 'fp32', image: learner.imageSize, weights: digest });
  }

  /**
   * The entry of `source` made under `key`, holding `rows` queries of `d` values: a fresh one where
   * there is none or its key differs; none where it would pass the bound (the caller computes).
   */
  entry(source: Source, key: string, rows: number, d: number): QueryEntry | undefined {
    const had = this.entries.get(source);
    if (had && had.key === key && had.features.length === rows * d) return had;
    this.entries.delete(source);
    if (this.bytes + rows * d * 4 > this.maxBytes) return undefined;
    const e: QueryEntry = this.load(source, key, rows, d) ?? { key, d, features: new Float32Array(rows * d), filled: 0 };
    this.entries.set(source, e);
    return e;
  }

  private fileOf(source: Source, key: string): string {
    let id = this.sourceIds.get(source);
    if (id === undefined) this.sourceIds.set(source, (id = sourceId(source)));
    return join(this.disk!.dir, queryFileName(key, id));
  }

  private load(source: Source, key: string, rows: number, d: number): QueryEntry | undefined {
    if (!this.disk) return undefined;
    const file = this.fileOf(source, key);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch {
      return undefined; // none kept yet
    }
    const q = decodeQueries(bytes, key, this.sourceIds.get(source)!, rows, d);
    if (typeof q === 'string') this.disk.warn(`${where(file)}: cached queries ignored (${q}); computing them again`);
    if (q === null || typeof q === 'string') return undefined;
    const e: QueryEntry = { key, d, features: q.features, filled: q.filled, padRows: q.padRows };
    this.stored.set(e, e.filled);
    return e;
  }

  /**
   * Writes `source`'s entry to the cache's folder when an evaluation computed rows it did not hold,
   * unless the folder's files would then pass the bound. A failed write is a warning: the run goes on.
   */
  keep(source: Source, e: QueryEntry): void {
    if (!this.disk || e.filled <= (this.stored.get(e) ?? 0)) return;
    const file = this.fileOf(source, e.key);
    const parts = encodeQueries({ key: e.key, source: this.sourceIds.get(source)!, rows: e.features.length / e.d, d: e.d, features: e.features, filled: e.filled, padRows: e.padRows });
    const size = parts.reduce((n, p) => n + p.length, 0);
    try {
      mkdirSync(this.disk.dir, { recursive: true });
      let others = 0;
      for (const f of readdirSync(this.disk.dir)) if (f.endsWith('.q') && join(this.disk.dir, f) !== file) others += statSync(join(this.disk.dir, f)).size;
      if (others + size > this.maxBytes) return;
      writeFileAtomic(file, parts);
      this.stored.set(e, e.filled);
    } catch (err) {
      this.stored.set(e, e.filled); // one warning per entry, not one per evaluation
      this.disk.warn(`${where(file)}: cannot keep the cached queries (${(err as Error).message}); a resumed run computes them again`);
    }
  }
}
