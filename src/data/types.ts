// The shapes every reader, view and pipeline stage agrees on.

/** Decoded pixels, row-major HWC uint8. */
export interface Pixels {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/** An image as a dataset stores it: encoded bytes (PNG/JPEG) or raw pixels (CIFAR binary, IDX). */
export type StoredImage = { encoded: Uint8Array } | { pixels: Pixels };

/**
 * Where a record's image lies, in a form a worker thread can read itself: a TFRecord (its file, the
 * offset of its header, the Example's image key) or an image file (`listedIn` names the list that
 * named it). `origin` names the record in error messages.
 */
export type RecordRef =
  | { kind: 'tfrecord'; file: string; offset: number; imageKey: string; origin: string }
  | { kind: 'file'; path: string; listedIn?: string; origin: string };

/** One record before decoding. `origin` names it in error messages ("'x.tfrecord' record at byte 12"). */
export interface StoredRecord {
  image: StoredImage;
  label: number;
  origin: string;
}

/** One decoded example, as `Dataset.read` yields it. */
export interface Example {
  image: Uint8Array; // [height, width, channels] uint8
  height: number;
  width: number;
  channels: number;
  label: number;
}

/**
 * Random access to the records of one split (or slice, filter, concatenation of splits).
 * Only an index (file offsets and labels) is held in memory; images are read on demand,
 * so a source never needs the dataset to fit in memory.
 */
export interface Source {
  /** For messages and `describe`: "cifar100 train[:80%]". */
  readonly description: string;
  readonly length: number;
  /** Label of record `i`, known without reading its image. */
  label(i: number): number;
  get(i: number): Promise<StoredRecord>;
  /**
   * Where record `i`'s image lies on disk, for sources read from files: the pipeline's workers then
   * read it themselves. Its label is `label(i)`. Absent for images held in memory.
   */
  locate?(i: number): RecordRef;
}

/** A dataset opened from disk: its metadata and its splits. */
export interface Dataset {
  readonly name: string;
  readonly numClasses: number;
  /** Examples per stored split, e.g. { train: 50000, test: 10000 }. */
  readonly splits: Record<string, number>;
  /** [height, width, channels] when every image has the same shape; null when they vary. */
  readonly imageShape: [number, number, number] | null;
  /** Files the dataset is read from. */
  readonly files: string[];
  /** A split in TFDS syntax ("train", "train[:80%]", "test[80%:]+train[:10]") as a source. */
  source(split: string): Promise<Source>;
  /** Decoded examples of a split, in stored order. */
  read(split: string): AsyncIterable<Example>;
}
