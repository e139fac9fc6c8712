// The glyph corpus: sample i is drawn from its own generator, seeded by (seed, i), so it is the
// same however many samples are made, in whatever order or slices (resumable, parallelisable).
import { UserError } from '../errors.ts';
import type { Augment } from './render.ts';
import { renderOutline } from './render.ts';
import { CLASS_COUNT, type GlyphFont } from './glyph.ts';
import { fmix32, mulberry32 } from '../random.ts';

/**
 * The ranges augmentations are drawn from, uniformly (aspect log-uniformly). Font digits are
 * narrower than handwritten ones (13.9 pixels of ink wide, unaugmented, against MNIST's 16.2)
 * and already heavier (107 units of ink against 101), so widening is favoured and thickening
 * kept mild.
 */
export const AUGMENT_RANGES = {
  rotationDegrees: 15,
  aspect: [0.9, 1.4],
  thicken: [0, 0.6],
} as const;

export { mulberry32 };

function sampleSeed(seed: number, index: number): number {
  const hi = Math.floor(index / 4294967296);
  return fmix32(fmix32(fmix32(seed >>> 0) ^ (index >>> 0)) ^ hi);
}

export function drawAugment(rand: () => number): Augment {
  const { rotationDegrees, aspect, thicken } = AUGMENT_RANGES;
  return {
    rotation: ((2 * rand() - 1) * rotationDegrees * Math.PI) / 180,
    aspect: Math.exp(Math.log(aspect[0]) + rand() * Math.log(aspect[1] / aspect[0])),
    thicken: thicken[0] + rand() * (thicken[1] - thicken[0]),
  };
}

export interface SampleSpec {
  font: number;
  label: number;
  aug: Augment;
}

/**
 * Indices of `fonts` grouped by family, families in order of first appearance. Families ship
 * from 1 to 24 styles; drawing the family first keeps the many-styled from crowding the rest.
 */
export function familyGroups(fonts: readonly GlyphFont[]): number[][] {
  const groups = new Map<string, number[]>();
  fonts.forEach((f, i) => {
    const g = groups.get(f.family);
    if (g) g.push(i);
    else groups.set(f.family, [i]);
  });
  return [...groups.values()];
}

/** What sample `index` of the corpus with `seed` is: a family, a style of it, a class, an augment. */
export function sampleSpec(seed: number, index: number, groups: readonly (readonly number[])[]): SampleSpec {
  const rand = mulberry32(sampleSeed(seed, index));
  const group = groups[Math.floor(rand() * groups.length)];
  const font = group[Math.floor(rand() * group.length)];
  const label = Math.floor(rand() * CLASS_COUNT);
  return { font, label, aug: drawAugment(rand) };
}

export interface GlyphCorpusOptions {
  fonts: readonly GlyphFont[];
  count: number;
  seed: number;
  /** Side of each image; 28 as MNIST. */
  size?: number;
  /** Index of the first sample, to make a corpus in slices. */
  start?: number;
}

export interface GlyphCorpus {
  images: Float32Array; // [N, size, size] in [0, 1], white glyph on black
  labels: Int32Array; // [N] in [0, 62)
  fontIndex: Int32Array; // [N] index into `fonts`
}

/** Samples start .. start+count-1, each drawn by sampleSpec, rendered and framed as MNIST. */
export function glyphCorpus(opts: GlyphCorpusOptions): GlyphCorpus {
  const { fonts, count, seed, size = 28, start = 0 } = opts;
  if (fonts.length === 0) throw new UserError('no usable fonts for the glyph corpus: install the font packages docs/glyphs.md lists');
  const groups = familyGroups(fonts);
  const images = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  const fontIndex = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const s = sampleSpec(seed, start + n, groups);
    images.set(renderOutline(fonts[s.font].outlines[s.label], s.aug, size), n * size * size);
    labels[n] = s.label;
    fontIndex[n] = s.font;
  }
  return { images, labels, fontIndex };
}
