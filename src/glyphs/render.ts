// One glyph to one MNIST-like image: rotate and stretch the outline, fit it (with the room its
// thickened stroke needs) into the 20×20 box, fill at 4×4 subpixels per pixel, thicken the stroke
// by dilating the subpixel mask, average to pixels, stretch the grey levels so the brightest
// pixel is 1, and centre by centre of mass in 28×28.
import { boxSide, placeByCentreOfMass } from './frame.ts';
import { labelOf, type GlyphFont } from './glyph.ts';
import { dilate, downsample, fillNonzero, type Contour } from './raster.ts';

/** Subpixels per pixel along each axis: 16 grey levels before thickening. */
export const SUPERSAMPLE = 4;

/**
 * How one sample departs from the plain glyph. An overall size would be undone by fitting the box,
 * so a font's random size shows as the two things that survive the fit: the width-to-height
 * ratio and the stroke's width relative to the glyph.
 */
export interface Augment {
  /** Clockwise rotation on screen, radians. */
  rotation: number;
  /** Horizontal scale relative to vertical, before rotating; 1 keeps the font's proportions. */
  aspect: number;
  /** Dilation radius in output pixels: each side of every stroke grows by this much. */
  thicken: number;
}

export const NO_AUGMENT: Augment = { rotation: 0, aspect: 1, thicken: 0 };

/** Renders `char` from `font` as a [size, size] image, white (1) glyph on black (0). */
export function renderGlyph(font: GlyphFont, char: string, aug: Augment, size = 28): Float32Array {
  return renderOutline(font.outlines[labelOf(char)], aug, size);
}

/** Renders polygons in font units (y up); see renderGlyph. */
export function renderOutline(contours: readonly Contour[], aug: Augment, size = 28): Float32Array {
  const box = boxSide(size);
  if (!(aug.thicken >= 0 && 4 * aug.thicken < box)) throw new RangeError(`thicken ${aug.thicken} is outside [0, ${box / 4})`);
  if (!(aug.aspect > 0)) throw new RangeError(`aspect ${aug.aspect} is not positive`);
  // font units → screen axes (y down): stretch x, flip y, rotate clockwise by `rotation`
  const cos = Math.cos(aug.rotation);
  const sin = Math.sin(aug.rotation);
  let u0 = Infinity;
  let u1 = -Infinity;
  let v0 = Infinity;
  let v1 = -Infinity;
  const moved = contours.map((c) => {
    const out = new Float64Array(c.length);
    for (let k = 0; k < c.length; k += 2) {
      const x = aug.aspect * c[k];
      const y = -c[k + 1];
      const u = cos * x - sin * y;
      const v = sin * x + cos * y;
      out[k] = u;
      out[k + 1] = v;
      u0 = Math.min(u0, u);
      u1 = Math.max(u1, u);
      v0 = Math.min(v0, v);
      v1 = Math.max(v1, v);
    }
    return out;
  });
  const extent = Math.max(u1 - u0, v1 - v0);
  if (!(extent > 0)) return new Float32Array(size * size);

  // The thickened glyph's bounding box is the outline's grown by `thicken` on each side; its
  // longer side fills the box and the shorter is centred, in subpixel units.
  const S = box * SUPERSAMPLE;
  const radius = aug.thicken * SUPERSAMPLE;
  const k = (S - 2 * radius) / extent;
  const ou = (S - (u1 - u0) * k) / 2;
  const ov = (S - (v1 - v0) * k) / 2;
  for (const c of moved) {
    for (let i = 0; i < c.length; i += 2) {
      c[i] = (c[i] - u0) * k + ou;
      c[i + 1] = (c[i + 1] - v0) * k + ov;
    }
  }
  const mask = dilate(fillNonzero(moved, S, S), S, S, radius); // [S, S]
  const img = downsample(mask, S, S, SUPERSAMPLE); // [box, box]
  // MNIST strokes always reach full white; a hairline face's never cover a whole pixel.
  let max = 0;
  for (const v of img) max = Math.max(max, v);
  if (max > 0 && max < 1) for (let k = 0; k < img.length; k++) img[k] /= max;
  return placeByCentreOfMass(img, box, size); // [size, size]
}
