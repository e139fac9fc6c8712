// A batch's examples, from where they are stored to the batch's images: the unit of work the pool
// runs, in a worker or inline. Each example is read (from its file or TFRecord, when the source
// located it), decoded, cropped, flipped and scaled, and written into its rows of the batch.
import { UserError } from '../errors.ts';
import { decodeImage } from './image.ts';
import { preprocessExample, type PreprocessConfig } from './preprocess.ts';
import { readStoredImage } from './record.ts';
import type { RecordRef, StoredImage } from './types.ts';

/** One example: where to read it, or its stored image itself (sources held in memory). */
export type BatchItem = ({ ref: RecordRef } | { image: StoredImage; origin: string }) & {
  /** Seeds the crop and flip of a training image; null takes the central crop. */
  seed: number | null;
};

export interface BatchPart {
  items: BatchItem[];
  cfg: PreprocessConfig;
}

async function processItem(item: BatchItem, cfg: PreprocessConfig): Promise<Float32Array> {
  const origin = 'ref' in item ? item.ref.origin : item.origin;
  const stored = 'ref' in item ? await readStoredImage(item.ref) : item.image;
  const pixels = await decodeImage(stored, origin);
  if (pixels.channels !== 1 && pixels.channels !== 3) {
    throw new UserError(`${origin}: image has ${pixels.channels} channels; expected 1 or 3`);
  }
  return preprocessExample(pixels, cfg, item.seed);
}

/**
 * The part's images, [items, inputSize, inputSize, 3], in order; the first failure stops it, so the
 * error is that of the earliest bad example.
 */
export async function makeImages(part: BatchPart): Promise<Float32Array> {
  const per = part.cfg.inputSize * part.cfg.inputSize * 3;
  const out = new Float32Array(part.items.length * per);
  for (let k = 0; k < part.items.length; k++) out.set(await processItem(part.items[k], part.cfg), k * per);
  return out;
}
