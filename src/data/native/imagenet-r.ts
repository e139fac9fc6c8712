// ImageNet-R as distributed (imagenet-r.tar): imagenet-r/<wnid>/<file>.jpg, 200 WordNet-id folders.
// Read as TFDS's imagenet_r builder reads it, so that the official 'test[:80%]' / 'test[80%:]' slices
// select the same images: one split 'test', examples keyed '<wnid>_<file>' and stored in the order of
// md5(split name + key) (TFDS's shuffle), labels 0..199 in increasing ImageNet order.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, where } from '../../errors.ts';
import { makeDataset } from '../dataset.ts';
import { readImageFile } from '../record.ts';
import { IMAGENET_R_WNIDS } from '../imagenet-r.ts';
import type { Dataset, Source } from '../types.ts';

const WNID = /^n\d{8}$/;
const LABEL = new Map(IMAGENET_R_WNIDS.map((w, i) => [w, i]));

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** The imagenet-r/ folder: `dir` itself when it holds WordNet-id folders, or `dir`/imagenet-r. */
export function locateImagenetR(dir: string): string | null {
  for (const root of [join(dir, 'imagenet-r'), dir]) {
    if (isDir(root) && readdirSync(root).some((n) => WNID.test(n) && isDir(join(root, n)))) return root;
  }
  return null;
}

/** TFDS's stored order of a split: ascending md5(salt ‖ key) as a 128-bit number (fixed-width hex compares alike). */
export function tfdsOrder(keys: readonly string[], salt: string): number[] {
  const hash = keys.map((k) => createHash('md5').update(salt).update(k.replace(/\\/g, '/')).digest('hex'));
  return keys.map((_, i) => i).sort((a, b) => (hash[a] < hash[b] ? -1 : hash[a] > hash[b] ? 1 : 0));
}

export function openImagenetRFolders(dir: string): Dataset {
  const root = locateImagenetR(dir);
  if (!root) throw new UserError(`${where(dir)}: no imagenet-r/ folder of WordNet-id class folders (imagenet-r/n01443537/...) here`);
  const paths: string[] = [];
  const keys: string[] = [];
  const labels: number[] = [];
  // TFDS's builder takes every directory under the root as a class and every entry in it as an image.
  for (const wnid of readdirSync(root).sort()) {
    const classDir = join(root, wnid);
    if (!isDir(classDir)) continue;
    const label = LABEL.get(wnid);
    if (label === undefined) throw new UserError(`${where(classDir)}: '${wnid}' is not one of ImageNet-R's 200 classes`);
    for (const file of readdirSync(classDir).sort()) {
      paths.push(join(classDir, file));
      keys.push(`${wnid}_${file}`);
      labels.push(label);
    }
  }
  if (paths.length === 0) throw new UserError(`${where(root)}: no images in its class folders`);
  const order = tfdsOrder(keys, 'test');
  const orderedPaths = order.map((i) => paths[i]);
  const orderedLabels = Int32Array.from(order, (i) => labels[i]);
  const source: Source = {
    description: 'imagenet_r test',
    length: orderedPaths.length,
    label: (i) => orderedLabels[i],
    locate: (i) => ({ kind: 'file', path: orderedPaths[i], origin: where(orderedPaths[i]) }),
    get: async (i) => ({ image: { encoded: await readImageFile(orderedPaths[i]) }, label: orderedLabels[i], origin: where(orderedPaths[i]) }),
  };
  return makeDataset({
    name: 'imagenet_r',
    numClasses: IMAGENET_R_WNIDS.length,
    imageShape: null,
    files: orderedPaths,
    where: where(root),
    splits: { test: { numExamples: source.length, open: async () => source } },
  });
}
