// The glyph corpus: characters rendered from installed font files, framed as MNIST digits, for
// pretraining a small ViT whose features transfer to MNIST. Read glyph.ts, then render.ts.
export { CHARSET, CLASS_COUNT, labelOf, type GlyphFont } from './glyph.ts';
export { DEFAULT_FONT_DIRS, discoverFonts, loadFont, type FontDiscovery, type FontRejection } from './fonts.ts';
export { NO_AUGMENT, SUPERSAMPLE, renderGlyph, renderOutline, type Augment } from './render.ts';
export {
  AUGMENT_RANGES,
  drawAugment,
  familyGroups,
  glyphCorpus,
  mulberry32,
  sampleSpec,
  type GlyphCorpus,
  type GlyphCorpusOptions,
  type SampleSpec,
} from './corpus.ts';
