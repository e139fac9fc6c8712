// A golden case's batch.npz, read and checked the same way for every method's case: images
// [B, H, W, 3] that fit the backbone, labels and the current task's class mask inside the head.
import { join } from 'node:path';
import { UserError } from '../../errors.ts';
import { readNpz } from '../../io/npz.ts';
import { toFloat32 } from '../../io/npy.ts';
import type { HostTensor } from '../../runtime/ort.ts';
import { checkImages } from '../../vit/features.ts';
import type { LoadedViT } from '../../vit/params.ts';

export interface CaseBatch {
  /** Batch size B. */
  b: number;
  imageSize: [number, number];
  /** The step's feeds: images [B, H, W, 3], labels [B], class_mask [classes]. */
  feeds: { images: HostTensor; labels: HostTensor; class_mask: HostTensor };
}

export function readCaseBatch(dir: string, vit: LoadedViT, classes: number): CaseBatch {
  const batchFile = join(dir, 'batch.npz');
  const batch = readNpz(batchFile);
  const images = batch.get('images');
  const labels = batch.get('labels');
  const mask = batch.get('class_mask');
  if (!images || !labels || !mask) throw new UserError(`'${batchFile}' must hold 'images', 'labels' and 'class_mask'`);
  checkImages(vit, images.shape, `'${batchFile}' entry 'images'`);
  const b = images.shape[0];
  const classMask = new Uint8Array(classes);
  for (const k of Array.from(mask.data as Int32Array, Number)) {
    if (!(k >= 0 && k < classes)) throw new UserError(`'${batchFile}': class_mask holds ${k}, outside [0, ${classes})`);
    classMask[k] = 1;
  }
  const labelData = Int32Array.from(labels.data as Int32Array, Number);
  for (const y of labelData) if (!(y >= 0 && y < classes)) throw new UserError(`'${batchFile}': label ${y} is outside [0, ${classes})`);
  return {
    b,
    imageSize: [images.shape[1], images.shape[2]],
    feeds: {
      images: { shape: images.shape, data: toFloat32(images, `'${batchFile}' entry 'images'`) },
      labels: { shape: [b], data: labelData },
      class_mask: { shape: [classes], data: classMask },
    },
  };
}
