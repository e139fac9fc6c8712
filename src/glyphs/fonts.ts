// Font discovery. Each file is parsed here (opentype.js reads TrueType glyf and CFF outlines), so
// a glyph comes from the file named or the font is rejected: no text stack can quietly substitute
// another font. A font is usable when all 62 classes map to a glyph with a non-empty outline
// (CJK-only and most symbol fonts fail here), its glyphs are named as Latin letters (symbol fonts
// that map ASCII to pictures fail), 'I', 'l' or '1' is a narrow stroke (letters drawn on keys
// fail), and its lowercase differ from its capitals (small-caps and all-caps faces fail). Copies
// (the same design shipped twice, or an older digitisation of it in another package) are caught
// by hashing the outlines of a few glyphs, and by comparing renders of a few more.
import opentype, { type Font, type NameId } from 'opentype.js';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fsReason, UserError, where } from '../errors.ts';
import { CHARSET, type GlyphFont } from './glyph.ts';
import { flatten, type Contour } from './raster.ts';
import { NO_AUGMENT, renderOutline } from './render.ts';

export const DEFAULT_FONT_DIRS: readonly string[] = ['/usr/share/fonts'];

/** Formats opentype.js parses; a file that fails is reported with the parser's reason. */
const PARSED = new Set(['.ttf', '.otf', '.woff']);
/** Font formats seen under /usr/share/fonts that opentype.js does not read, reported as such. */
const UNREAD: Record<string, string> = {
  '.ttc': 'a font collection (.ttc), which opentype.js does not read',
  '.otc': 'a font collection (.otc), which opentype.js does not read',
  '.pfb': 'a Type 1 font, which opentype.js does not read',
  '.pfa': 'a Type 1 font, which opentype.js does not read',
  '.t1': 'a Type 1 font, which opentype.js does not read',
  '.woff2': 'WOFF2, which opentype.js does not read',
};

/**
 * Lowercase letters unlike their capitals in any text face, and the least distance (see
 * lowerUpperDistance) between the two there: text faces measure 0.28 and up, fonts whose
 * lowercase are small capitals (Go Smallcaps, Mekanus Titling) 0.21 and below.
 */
const CASE_CHECK = 'abdeghqr';
const SMALL_CAPS_DISTANCE = 0.245;

/** Glyphs whose outlines identify a design. */
const FINGERPRINT = ['A', 'g', '5'];

/**
 * Glyphs whose renders must differ between accepted fonts, and by how much: the mean over them
 * of Σ|a - b| over the 28×28 pixels of their unaugmented renders. Copies and re-digitisations of
 * one design (Liberation and Arimo, DejaVu Sans and Verana Sans, OpenDyslexic's .otf and .woff)
 * measure 0 to 1.21; the nearest pair above is STIX and Nimbus Roman (1.36, two Times faces).
 */
const RENDER_CHECK = 'Ag5Rx3';
const SAME_RENDER = 1.25;
const CHECK_SIZE = 28;

export interface FontRejection {
  file: string;
  /** The family name when the file parsed. */
  family: string | null;
  reason: string;
}

export interface FontDiscovery {
  accepted: GlyphFont[];
  rejected: FontRejection[];
}

/**
 * Finds the usable fonts among the files under `paths` (directories are searched recursively;
 * files are taken as named). Paths are visited in order, the files under each in sorted order,
 * and a copy loses to the file found first, so the accepted list, and with it a corpus's font
 * indices, is reproducible on machines with the same font packages.
 */
export function discoverFonts(paths: readonly string[] = DEFAULT_FONT_DIRS): FontDiscovery {
  const accepted: GlyphFont[] = [];
  const rejected: FontRejection[] = [];
  const byOutline = new Map<string, string>();
  const renders: Float32Array[] = []; // [accepted][RENDER_CHECK.length · CHECK_SIZE · CHECK_SIZE]
  for (const file of fontFiles(paths)) {
    const ext = extname(file).toLowerCase();
    if (ext in UNREAD) {
      rejected.push({ file, family: null, reason: UNREAD[ext] });
      continue;
    }
    let font: Font;
    try {
      font = parseFont(file);
    } catch (e) {
      rejected.push({ file, family: null, reason: `cannot read: ${(e as Error).message}` });
      continue;
    }
    const names = nameOf(font, file);
    const family = names.family;
    const checked = checkGlyphs(font);
    if (typeof checked === 'string') {
      rejected.push({ file, family, reason: checked });
      continue;
    }
    const caseDistance = lowerUpperDistance(checked.outlines);
    if (caseDistance < SMALL_CAPS_DISTANCE) {
      rejected.push({ file, family, reason: `lowercase letters are capitals (small or all caps): ${CASE_CHECK} differ from their capitals by ${caseDistance.toFixed(2)}` });
      continue;
    }
    const outlineKey = fingerprint(font);
    const copyOf = byOutline.get(outlineKey);
    if (copyOf !== undefined) {
      rejected.push({ file, family, reason: `has the outlines of ${FINGERPRINT.join(', ')} as ${copyOf} does` });
      continue;
    }
    const render = renderCheck(checked.outlines);
    const near = nearest(render, renders);
    if (near.distance < SAME_RENDER) {
      const apart = `${near.distance.toFixed(2)} pixels apart per glyph`;
      rejected.push({ file, family, reason: `renders ${RENDER_CHECK} as ${accepted[near.index].file} does (${apart})` });
      continue;
    }
    byOutline.set(outlineKey, file);
    renders.push(render);
    accepted.push({ file, ...names, outlines: checked.outlines });
  }
  return { accepted, rejected };
}

/** Loads one font file; a file that is unreadable or lacks one of the 62 glyphs is a UserError. */
export function loadFont(file: string): GlyphFont {
  let font: Font;
  try {
    font = parseFont(file);
  } catch (e) {
    throw new UserError(`${where(file)}: cannot read the font (${(e as Error).message})`);
  }
  const checked = checkGlyphs(font);
  if (typeof checked === 'string') throw new UserError(`${where(file)}: ${checked}`);
  return { file, ...nameOf(font, file), outlines: checked.outlines };
}

function parseFont(file: string): Font {
  const bytes = readFileSync(file);
  // lowMemory parses glyphs on demand: a font with thousands of glyphs is read in a fifth of the time
  return opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), { lowMemory: true });
}

function nameOf(font: Font, file: string): { family: string; style: string } {
  const name = (...ids: NameId[]) => {
    for (const id of ids) {
      const english = font.getEnglishName(id);
      if (english) return english;
    }
    // some files (Rasa) name themselves in other languages only
    for (const id of ids) {
      for (const table of Object.values(font.names)) {
        const any = table?.[id] && Object.values(table[id])[0];
        if (any) return any;
      }
    }
    return undefined;
  };
  return {
    family: name('preferredFamily', 'fontFamily') ?? basename(file, extname(file)),
    style: name('preferredSubfamily', 'fontSubfamily') ?? '',
  };
}

/** The flattened outline of every class, or why the font cannot give one. */
function checkGlyphs(font: Font): { outlines: Contour[][] } | string {
  const missing: string[] = [];
  const empty: string[] = [];
  const outlines: Contour[][] = [];
  // a thousandth of an em is under a tenth of a subpixel once a glyph fills the 20-pixel box
  const tolerance = font.unitsPerEm / 1000;
  for (const char of CHARSET) {
    const glyph = font.charToGlyph(char);
    if (glyph.index === 0) {
      missing.push(char);
      continue;
    }
    const contours = flatten(glyph.path.commands, tolerance);
    if (contours.length === 0) empty.push(char);
    outlines.push(contours);
  }
  if (missing.length > 0) return `no glyph for ${listChars(missing)}`;
  if (empty.length > 0) return `empty outline for ${listChars(empty)}`;
  const foreign = [...CHARSET].filter((c) => !nameFits(c, font.charToGlyph(c).name));
  if (foreign.length > CHARSET.length / 2) {
    const names = foreign.slice(0, 3).map((c) => `'${c}' is '${font.charToGlyph(c).name}'`);
    return `a symbol font: the glyph names are not Latin (${names.join(', ')})`;
  }
  // The narrowest of I, l and 1 is a stroke, taller than wide, in any text face: up to 0.72 in
  // slab-serif monospace faces (Courier); letters drawn on keys (Biolinum Keyboard) are 0.91.
  const narrow = Math.min(...['I', 'l', '1'].map((c) => aspectOf(outlines[CHARSET.indexOf(c)])));
  if (narrow > 0.8) return `not a text face: the narrowest of 'I', 'l', '1' is ${narrow.toFixed(2)} times as wide as tall, a text face's under 0.8`;
  return { outlines };
}

const DIGIT_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/**
 * Whether a glyph's name could be that of `char`'s glyph: its Adobe Glyph List name (with any
 * '.suffix'), a uniXXXX name, or a name that says nothing (none, as in TrueType files without
 * names, or glyph/cid numbers). Symbol fonts name theirs after what they draw ('Alpha', 'a105').
 */
function nameFits(char: string, name: string | null): boolean {
  if (!name || /^(glyph|gid|cid|index)\d+$/i.test(name)) return true;
  const code = char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  const agl = /[0-9]/.test(char) ? DIGIT_NAMES[Number(char)] : char;
  return [agl, `uni${code}`, `u${code}`].some((n) => name === n || name.startsWith(`${n}.`) || name.startsWith(`${n}_`));
}

/** Width over height of the polygons' bounding box. */
function aspectOf(contours: Contour[]): number {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const c of contours) {
    for (let k = 0; k < c.length; k += 2) {
      x0 = Math.min(x0, c[k]);
      x1 = Math.max(x1, c[k]);
      y0 = Math.min(y0, c[k + 1]);
      y1 = Math.max(y1, c[k + 1]);
    }
  }
  return (x1 - x0) / (y1 - y0);
}

function listChars(chars: string[]): string {
  const shown = chars.slice(0, 5).map((c) => `'${c}'`).join(', ');
  return chars.length > 5 ? `${shown} and ${chars.length - 5} more` : shown;
}

/** Mean over CASE_CHECK of Σ|lower - upper| / Σ(lower + upper), both rendered and framed. */
function lowerUpperDistance(outlines: Contour[][]): number {
  let sum = 0;
  for (const char of CASE_CHECK) {
    const lower = renderOutline(outlines[CHARSET.indexOf(char)], NO_AUGMENT, CHECK_SIZE);
    const upper = renderOutline(outlines[CHARSET.indexOf(char.toUpperCase())], NO_AUGMENT, CHECK_SIZE);
    let diff = 0;
    let ink = 0;
    for (let i = 0; i < lower.length; i++) {
      diff += Math.abs(lower[i] - upper[i]);
      ink += lower[i] + upper[i];
    }
    sum += diff / ink;
  }
  return sum / CASE_CHECK.length;
}

function fingerprint(font: Font): string {
  const h = createHash('sha256');
  for (const char of FINGERPRINT) h.update(JSON.stringify(font.charToGlyph(char).path.commands));
  return h.digest('hex');
}

function renderCheck(outlines: Contour[][]): Float32Array {
  const n = CHECK_SIZE * CHECK_SIZE;
  const out = new Float32Array(RENDER_CHECK.length * n);
  [...RENDER_CHECK].forEach((char, k) => out.set(renderOutline(outlines[CHARSET.indexOf(char)], NO_AUGMENT, CHECK_SIZE), k * n));
  return out;
}

/** The render in `others` nearest to `render` (per glyph), giving up on each at SAME_RENDER. */
function nearest(render: Float32Array, others: readonly Float32Array[]): { index: number; distance: number } {
  const limit = SAME_RENDER * RENDER_CHECK.length;
  let best = { index: -1, distance: Infinity };
  others.forEach((other, index) => {
    let d = 0;
    for (let k = 0; k < render.length && d < limit; k++) d += Math.abs(render[k] - other[k]);
    if (d < limit && d / RENDER_CHECK.length < best.distance) best = { index, distance: d / RENDER_CHECK.length };
  });
  return best;
}

/**
 * Font files under `paths` (and the files named, whatever their extension), each path's sorted,
 * each real file once: font packages link the same file into several directories.
 */
function fontFiles(paths: readonly string[]): string[] {
  const dirs = new Set<string>(); // real paths walked, so a link to a parent ends there
  const walk = (p: string, named: boolean, found: string[]) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      // a dangling link: reported when it looks like a font, when reading it fails
      if (PARSED.has(extname(p).toLowerCase())) found.push(p);
      return found;
    }
    if (st.isDirectory()) {
      const real = realpathSync(p);
      if (dirs.has(real)) return found;
      dirs.add(real);
      for (const name of readdirSync(p)) walk(join(p, name), false, found);
    } else if (st.isFile()) {
      const ext = extname(p).toLowerCase();
      if (named || PARSED.has(ext) || ext in UNREAD) found.push(p);
    }
    return found;
  };
  const seen = new Set<string>();
  return paths.flatMap((p) => {
    try {
      statSync(p);
    } catch (e) {
      throw new UserError(`font path ${where(p)}: ${fsReason(e)}`);
    }
    return walk(p, true, []).sort().filter((f) => {
      const real = existsSync(f) ? realpathSync(f) : f;
      if (seen.has(real)) return false;
      seen.add(real);
      return true;
    });
  });
}
