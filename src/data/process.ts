// One image from stored bytes to model input: the unit of work the pool runs, in a worker or inline.
import { UserError } from '../errors.ts';
import { decodeImage } from './image.ts';
import { preprocessExample, type PreprocessConfig } from './preprocess.ts';
import type { StoredImage } from './types.ts';

export interface ImageTask {
  image: StoredImage;
  origin: string;
  train: boolean;
  /** Seeds the crop and flip of a training image. */
  seed: number;
  cfg: PreprocessConfig;
}

export async function processImage(task: ImageTask): Promise<Float32Array> {
  const pixels = await decodeImage(task.image, task.origin);
  if (pixels.channels !== 1 && pixels.channels !== 3) {
    throw new UserError(`${task.origin}: image has ${pixels.channels} channels; expected 1 or 3`);
  }
  return preprocessExample(pixels, task.cfg, task.train ? task.seed : null);
}
