// The official preprocessing with norm_01=True (libml/input_pipeline.py and preprocess.py), for
// images that are not already at the model's size:
//   train: grey → RGB; resize to resize_size² (bilinear, float); cast to uint8 (truncating);
//          sample_distorted_bounding_box (area 0.05–1, aspect 0.75–1.33, 100 attempts); crop;
//          scale to [0, 1]; resize to input_size² (bilinear); flip left–right with probability 1/2.
//   eval:  grey → RGB; resize to resize_size²; cast to uint8; scale to [0, 1]; central crop input_size².
// One step of the official training path is left out on purpose: it re-encodes the resized
// image as JPEG (quality 95) before cropping, a lossy round trip that only adds JPEG noise.
// The official eval path also applies resize_small(resize_size), which is the identity on an
// image already resize_size², so it is not repeated here.
import { resizeBilinear } from './resize.ts';
import { hash32, Rng } from './rng.ts';
import type { Pixels } from './types.ts';

export interface PreprocessConfig {
  /** The official `resize_size`: every image is first resized to this square. */
  resizeSize: number;
  /** The official `input_size`: the square the model sees. */
  inputSize: number;
  /** sample_distorted_bounding_box's area_range and aspect_ratio_range, and its max_attempts. */
  areaRange: [number, number];
  aspectRange: [number, number];
  maxAttempts: number;
}

export const OFFICIAL_PREPROCESS: PreprocessConfig = {
  resizeSize: 256,
  inputSize: 224,
  areaRange: [0.05, 1.0],
  aspectRange: [0.75, 1.33],
  maxAttempts: 100,
};

/** tf.image.grayscale_to_rgb: a single channel replicated three times. */
export function toRgb(p: Pixels): Pixels {
  if (p.channels === 3) return p;
  if (p.channels !== 1) throw new RangeError(`cannot convert ${p.channels} channels to RGB`);
  const n = p.height * p.width;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = p.data[i];
  return { data, height: p.height, width: p.width, channels: 3 };
}

/** tf.cast(tf.image.resize(image, [size, size]), tf.uint8): bilinear, then truncation toward zero. */
export function resizeToUint8(p: Pixels, size: number): Pixels {
  const resized = resizeBilinear(p.data, p.height, p.width, p.channels, size, size);
  const data = new Uint8Array(resized.length);
  for (let i = 0; i < resized.length; i++) data[i] = resized[i]; // Uint8Array stores truncate; values lie in [0, 255]
  return { data, height: size, width: size, channels: p.channels };
}

/** Rounds a float32 to the nearest integer, ties to even, as C's lrintf in the default mode. */
function lrintf(x: number): number {
  const v = Math.fround(x);
  const fl = Math.floor(v);
  const d = v - fl;
  if (d !== 0.5) return Math.round(v);
  return fl % 2 === 0 ? fl : fl + 1;
}

export interface Box {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * tf.image.sample_distorted_bounding_box with no boxes, min_object_covered=0 and
 * use_image_if_no_bounding_boxes=True, following TensorFlow's kernel: per attempt an aspect
 * ratio is drawn, the height drawn between the heights giving the minimum and maximum area,
 * the width rounded from it, and the offset drawn from [0, size - extent). After
 * `maxAttempts` failures the whole image is used.
 */
export function sampleDistortedBox(height: number, width: number, cfg: PreprocessConfig, rng: Rng): Box {
  const f = Math.fround;
  const minArea = f(f(f(cfg.areaRange[0]) * width) * height);
  const maxArea = f(f(f(cfg.areaRange[1]) * width) * height);
  const [minAspect, maxAspect] = cfg.aspectRange.map(f);
  for (let attempt = 0; attempt < cfg.maxAttempts; attempt++) {
    const aspect = f(f(rng.float() * f(maxAspect - minAspect)) + minAspect);
    let h = lrintf(Math.sqrt(f(minArea / aspect)));
    let maxH = lrintf(Math.sqrt(f(maxArea / aspect)));
    if (lrintf(f(maxH * aspect)) > width) {
      maxH = Math.trunc((width + 0.5 - f(0.0000001)) / aspect); // double arithmetic in the kernel
      if (lrintf(f(maxH * aspect)) > width) maxH -= 1;
    }
    if (maxH > height) maxH = height;
    if (h >= maxH) h = maxH;
    if (h < maxH) h += rng.int(maxH - h + 1);
    let w = lrintf(f(h * aspect));
    let area = w * h;
    if (area < minArea) {
      h += 1;
      w = lrintf(f(h * aspect));
      area = w * h;
    }
    if (area < minArea) {
      h -= 1;
      w = lrintf(f(h * aspect));
      area = w * h;
    }
    if (area < minArea || area > maxArea || w > width || h > height || w <= 0 || h <= 0) continue;
    const top = h < height ? rng.int(height - h) : 0;
    const left = w < width ? rng.int(width - w) : 0;
    return { top, left, height: h, width: w };
  }
  return { top: 0, left: 0, height, width };
}

/** Crops an HWC uint8 image and scales it to [0, 1] (tf.cast(x, float32) / 255). */
function cropTo01(p: Pixels, b: Box): Float32Array {
  const c = p.channels;
  const out = new Float32Array(b.height * b.width * c);
  let o = 0;
  for (let y = b.top; y < b.top + b.height; y++) {
    const row = (y * p.width + b.left) * c;
    for (let i = 0; i < b.width * c; i++) out[o++] = p.data[row + i] / 255;
  }
  return out;
}

/** One training image: [inputSize, inputSize, 3] float32 in [0, 1]. */
export function trainPreprocess(p: Pixels, cfg: PreprocessConfig, rng: Rng): Float32Array {
  const base = resizeToUint8(toRgb(p), cfg.resizeSize);
  const box = sampleDistortedBox(base.height, base.width, cfg, rng);
  const crop = cropTo01(base, box);
  const s = cfg.inputSize;
  const out = resizeBilinear(crop, box.height, box.width, 3, s, s);
  if (rng.float() < 0.5) flipLeftRight(out, s, s, 3);
  return out;
}

/** The seed of the augmentation of stream position `position` in a stream seeded by `seed`: the position is all its state. */
export function positionSeed(seed: number, position: number): number {
  return hash32(seed, position, Math.floor(position / 2 ** 32));
}

/**
 * Model input of one example: augmented (random resized crop and flip) by a generator seeded with
 * `augmentSeed`, or, when it is null, the central crop. The Node pipeline's workers and the page
 * (src/web/page/batches.ts) both preprocess through this.
 */
export function preprocessExample(p: Pixels, cfg: PreprocessConfig, augmentSeed: number | null): Float32Array {
  return augmentSeed === null ? evalPreprocess(p, cfg) : trainPreprocess(p, cfg, new Rng(augmentSeed));
}

/** One evaluation image: [inputSize, inputSize, 3] float32 in [0, 1], the central crop. */
export function evalPreprocess(p: Pixels, cfg: PreprocessConfig): Float32Array {
  const base = resizeToUint8(toRgb(p), cfg.resizeSize);
  const s = cfg.inputSize;
  const top = Math.floor((cfg.resizeSize - s) / 2);
  return cropTo01(base, { top, left: top, height: s, width: s });
}

export function flipLeftRight(img: Float32Array, h: number, w: number, c: number): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w >> 1; x++) {
      const a = (y * w + x) * c;
      const b = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) {
        const t = img[a + k];
        img[a + k] = img[b + k];
        img[b + k] = t;
      }
    }
  }
}
