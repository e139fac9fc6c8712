// The 62 classes of the glyph corpus and what a usable font holds for each of them.
import { UserError } from '../errors.ts';
import type { Contour } from './raster.ts';

/** Class order: '0'-'9' are labels 0-9, 'A'-'Z' 10-35, 'a'-'z' 36-61. */
export const CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export const CLASS_COUNT = CHARSET.length;

export function labelOf(char: string): number {
  const label = char.length === 1 ? CHARSET.indexOf(char) : -1;
  if (label < 0) throw new UserError(`'${char}' is not one of the ${CLASS_COUNT} glyph classes (0-9, A-Z, a-z)`);
  return label;
}

/**
 * A font that has all 62 glyphs, with their outlines flattened to polygons in font units
 * (y up). Plain data, so it can be sent to a worker thread as it is.
 */
export interface GlyphFont {
  file: string;
  family: string;
  style: string;
  /** [CLASS_COUNT]: the polygons of each class's glyph. */
  outlines: Contour[][];
}
