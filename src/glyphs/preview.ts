// Pictures of the corpus for a person to look at: a grid of samples, and a sheet with one cell
// per accepted font showing the same characters, where a font that drew another's glyphs would
// stand out. Run as `npx tsx src/glyphs/preview.ts OUT_DIR [FONT_DIR...]`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodePng } from '../data/image.ts';
import type { Pixels } from '../data/types.ts';
import { glyphCorpus } from './corpus.ts';
import { DEFAULT_FONT_DIRS, discoverFonts } from './fonts.ts';
import { type GlyphFont } from './glyph.ts';
import { NO_AUGMENT, renderGlyph } from './render.ts';

/**
 * Tiles [N, h, w] images in [0, 1] into one grey picture, `cols` to a row, each cell magnified
 * `scale` times and separated by a `gap` of mid-grey, so the black margins of each image show.
 */
export function tile(images: Float32Array, n: number, h: number, w: number, cols: number, scale = 2, gap = 2): Pixels {
  const rows = Math.ceil(n / cols);
  const W = cols * (w * scale + gap) + gap;
  const H = rows * (h * scale + gap) + gap;
  const data = new Uint8Array(W * H).fill(96);
  for (let k = 0; k < n; k++) {
    const x0 = gap + (k % cols) * (w * scale + gap);
    const y0 = gap + Math.floor(k / cols) * (h * scale + gap);
    for (let y = 0; y < h * scale; y++) {
      for (let x = 0; x < w * scale; x++) {
        const v = images[k * h * w + Math.floor(y / scale) * w + Math.floor(x / scale)];
        data[(y0 + y) * W + x0 + x] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
  return { data, height: H, width: W, channels: 1 };
}

/** One cell per font: `text` unaugmented, its characters side by side, [fonts, 28, 28·len]. */
export function fontSheet(fonts: readonly GlyphFont[], text: string, cols: number): Pixels {
  const s = 28;
  const L = text.length;
  const cells = new Float32Array(fonts.length * s * s * L);
  fonts.forEach((font, f) => {
    [...text].forEach((char, c) => {
      const img = renderGlyph(font, char, NO_AUGMENT, s);
      for (let y = 0; y < s; y++) cells.set(img.subarray(y * s, (y + 1) * s), ((f * s + y) * L + c) * s);
    });
  });
  return tile(cells, fonts.length, s, s * L, cols, 1);
}

async function main(outDir: string, fontDirs: readonly string[]): Promise<void> {
  let t = performance.now();
  const { accepted, rejected } = discoverFonts(fontDirs);
  const discoverS = (performance.now() - t) / 1000;
  const families = new Set(accepted.map((f) => f.family)).size;
  console.log(`${accepted.length} fonts accepted (${families} families), ${rejected.length} rejected, in ${discoverS.toFixed(1)} s`);
  mkdirSync(outDir, { recursive: true });
  const report = [
    ...accepted.map((f) => `accepted\t${f.file}\t${f.family}\t${f.style}`),
    ...rejected.map((r) => `rejected\t${r.file}\t${r.family ?? ''}\t${r.reason}`),
  ];
  writeFileSync(join(outDir, 'fonts.tsv'), report.join('\n') + '\n');

  const count = 20000;
  t = performance.now();
  const corpus = glyphCorpus({ fonts: accepted, count, seed: 0 });
  const perSecond = count / ((performance.now() - t) / 1000);
  console.log(`${count} samples at ${perSecond.toFixed(0)} images/s`);
  writeFileSync(join(outDir, 'samples.png'), await encodePng(tile(corpus.images, 256, 28, 28, 16)));
  writeFileSync(join(outDir, 'fonts.png'), await encodePng(fontSheet(accepted, 'Ag5', 12)));
  console.log(`wrote samples.png, fonts.png and fonts.tsv in ${outDir}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [outDir = 'glyph-preview', ...dirs] = process.argv.slice(2);
  await main(outDir, dirs.length > 0 ? dirs : DEFAULT_FONT_DIRS);
}
