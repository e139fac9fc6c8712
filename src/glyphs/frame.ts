// MNIST's framing: each digit was size-normalised to fit a 20×20 box, keeping its aspect ratio,
// then "centered in a 28x28 image by computing the center of mass of the pixels, and translating
// the image so as to position this point at the center of the 28x28 field" (LeCun et al.).
// Measured on MNIST, that centre is pixel (14, 14) counting from 0, not the field's geometric
// centre (13.5, 13.5) between pixels. The translation here is by whole pixels, so the glyph is
// not resampled again and its centre of mass lands within half a pixel of (14, 14) on each axis.

/** Side of the box a glyph is fitted into for a `size`×`size` field: 20 for MNIST's 28. */
export function boxSide(size: number): number {
  return Math.round((size * 20) / 28);
}

/** Mass-weighted mean of pixel positions, pixel (row i, column j) being at (x, y) = (j, i). */
export function centreOfMass(img: Float32Array, w: number, h: number): { x: number; y: number; mass: number } {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const v = img[i * w + j];
      mass += v;
      sx += v * j;
      sy += v * i;
    }
  }
  return mass > 0 ? { x: sx / mass, y: sy / mass, mass } : { x: (w - 1) / 2, y: (h - 1) / 2, mass: 0 };
}

/** Rows and columns holding a nonzero pixel, as half-open ranges; null for an empty image. */
export function inkBounds(img: Float32Array, w: number, h: number): { x0: number; x1: number; y0: number; y1: number } | null {
  let x0 = w;
  let x1 = 0;
  let y0 = h;
  let y1 = 0;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      if (img[i * w + j] === 0) continue;
      x0 = Math.min(x0, j);
      x1 = Math.max(x1, j + 1);
      y0 = Math.min(y0, i);
      y1 = Math.max(y1, i + 1);
    }
  }
  return x1 > x0 ? { x0, x1, y0, y1 } : null;
}

/**
 * Places a [box, box] image into a [size, size] field, shifted by whole pixels so its centre of
 * mass is nearest pixel (size/2, size/2), as in MNIST. A glyph whose mass sits far to one side
 * would then poke out of the field; the shift is clamped so that all its ink stays inside.
 */
export function placeByCentreOfMass(img: Float32Array, box: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const ink = inkBounds(img, box, box);
  if (ink === null) return out;
  const com = centreOfMass(img, box, box);
  const dx = clamp(Math.round(size / 2 - com.x), -ink.x0, size - ink.x1);
  const dy = clamp(Math.round(size / 2 - com.y), -ink.y0, size - ink.y1);
  for (let i = ink.y0; i < ink.y1; i++) {
    for (let j = ink.x0; j < ink.x1; j++) out[(i + dy) * size + j + dx] = img[i * box + j];
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
