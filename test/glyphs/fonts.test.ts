import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import opentype, { type Path } from 'opentype.js';
import { UserError } from '../../src/errors.ts';
import { discoverFonts, loadFont } from '../../src/glyphs/fonts.ts';
import { CHARSET } from '../../src/glyphs/glyph.ts';
import { NO_AUGMENT, renderGlyph } from '../../src/glyphs/render.ts';

const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** A polygon as an opentype.js path, in font units, moved right by `dx`. */
function polygon(points: [number, number][], dx = 0): Path {
  const p = new opentype.Path();
  points.forEach(([x, y], k) => (k === 0 ? p.moveTo(x + dx, y) : p.lineTo(x + dx, y)));
  p.close();
  return p;
}

/** Writes a CFF OpenType font with a glyph for each of `chars`, shaped and named as asked. */
function writeFont(file: string, chars: string, shape: (c: string) => Path, name: (c: string) => string): void {
  const glyphs = [new opentype.Glyph({ name: '.notdef', advanceWidth: 600, path: new opentype.Path() })];
  for (const c of chars) glyphs.push(new opentype.Glyph({ name: name(c), unicode: c.charCodeAt(0), advanceWidth: 600, path: shape(c) }));
  const font = new opentype.Font({ familyName: file.replace(/.*\//, ''), styleName: 'Regular', unitsPerEm: 1000, ascender: 800, descender: -200, glyphs });
  writeFileSync(file, new Uint8Array(font.toArrayBuffer()));
}

const aglName = (c: string) => (/[0-9]/.test(c) ? DIGITS[Number(c)] : c);
const bar = (dx = 0) => polygon([[100, 0], [300, 0], [300, 700], [100, 700]], dx);
const square = () => polygon([[100, 0], [600, 0], [600, 500], [100, 500]]);
const wedge = (dx = 0) => polygon([[100, 0], [500, 0], [100, 500]], dx);

test('DejaVu Sans is accepted, named, and draws A and g as two different non-empty glyphs', () => {
  const { accepted, rejected } = discoverFonts([DEJAVU]);
  assert.deepEqual(rejected, []);
  assert.equal(accepted.length, 1);
  const font = accepted[0];
  assert.deepEqual([font.file, font.family, font.style], [DEJAVU, 'DejaVu Sans', 'Book']);
  assert.equal(font.outlines.length, CHARSET.length);
  const a = renderGlyph(font, 'A', NO_AUGMENT);
  const g = renderGlyph(font, 'g', NO_AUGMENT);
  const ink = (img: Float32Array) => img.reduce((s, v) => s + v, 0);
  assert.ok(ink(a) > 20 && ink(g) > 20, `ink ${ink(a)}, ${ink(g)}`);
  assert.ok(a.some((v, i) => Math.abs(v - g[i]) > 0.5));
});

test('discovery rejects unreadable, glyph-less, symbol, boxed, small-caps, copied and look-alike fonts, each with its reason', () => {
  // paths are visited in order and each directory's files sorted, so every copy follows its original
  const dir = mkdtempSync(join(tmpdir(), 'glyphs-'));
  try {
    writeFileSync(join(dir, 'garbage.ttf'), new Uint8Array(4096).fill(7));
    writeFileSync(join(dir, 'notes.txt'), 'not a font, not looked at');
    copyFileSync(DEJAVU, join(dir, 'copy-of-dejavu.ttf'));
    symlinkSync(DEJAVU, join(dir, 'link-to-dejavu.ttf')); // the same file: skipped, not reported
    symlinkSync(dir, join(dir, 'loop')); // a link to a parent is walked once
    symlinkSync(join(dir, 'gone.ttf'), join(dir, 'dangling.ttf'));
    writeFont(join(dir, 'only-a.otf'), 'A', () => bar(), aglName);
    writeFont(join(dir, 'symbols.otf'), CHARSET, () => bar(), (c) => `a${c.charCodeAt(0)}`);
    writeFont(join(dir, 'boxes.otf'), CHARSET, square, aglName);
    writeFont(join(dir, 'small-caps.otf'), CHARSET, () => bar(), aglName);
    writeFont(join(dir, 'usable.otf'), CHARSET, (c) => (/[a-z]/.test(c) ? wedge() : bar()), aglName);
    // other outlines (moved right), the same pictures once framed
    writeFont(join(dir, 'usable2.otf'), CHARSET, (c) => (/[a-z]/.test(c) ? wedge(50) : bar(50)), aglName);

    const { accepted, rejected } = discoverFonts([DEJAVU, dir]);
    assert.deepEqual(accepted.map((f) => f.file), [DEJAVU, join(dir, 'usable.otf')]);
    const reason = new Map(rejected.map((r) => [r.file.replace(`${dir}/`, ''), r.reason]));
    assert.equal(reason.size, 8);
    assert.match(reason.get('garbage.ttf')!, /^cannot read: /);
    assert.match(reason.get('dangling.ttf')!, /^cannot read: ENOENT/);
    assert.equal(reason.get('copy-of-dejavu.ttf'), `has the outlines of A, g, 5 as ${DEJAVU} does`);
    assert.match(reason.get('only-a.otf')!, /^no glyph for '0', '1', '2', '3', '4' and 56 more$/);
    assert.match(reason.get('symbols.otf')!, /^a symbol font: .*'0' is 'a48'/);
    assert.match(reason.get('boxes.otf')!, /^not a text face: the narrowest of 'I', 'l', '1' is 1\.00 times as wide as tall/);
    assert.match(reason.get('small-caps.otf')!, /^lowercase letters are capitals/);
    assert.equal(reason.get('usable2.otf'), `renders Ag5Rx3 as ${join(dir, 'usable.otf')} does (0.00 pixels apart per glyph)`);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a missing font path and an unusable font file are user errors', () => {
  assert.throws(() => discoverFonts(['/nonexistent/fonts']), UserError);
  const dir = mkdtempSync(join(tmpdir(), 'glyphs-'));
  try {
    writeFileSync(join(dir, 'garbage.ttf'), new Uint8Array(100));
    assert.throws(() => loadFont(join(dir, 'garbage.ttf')), (e) => e instanceof UserError && /garbage\.ttf.*cannot read/.test(e.message));
    assert.equal(loadFont(DEJAVU).family, 'DejaVu Sans');
  } finally {
    rmSync(dir, { recursive: true });
  }
});
