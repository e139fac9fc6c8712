import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.ts';
import { loadFont } from '../../src/glyphs/fonts.ts';
import { centreOfMass, inkBounds } from '../../src/glyphs/frame.ts';
import { CHARSET } from '../../src/glyphs/glyph.ts';
import { NO_AUGMENT, renderGlyph, type Augment } from '../../src/glyphs/render.ts';

const DIR = '/usr/share/fonts/truetype/dejavu';
const fonts = ['DejaVuSans.ttf', 'DejaVuSerif-BoldItalic.ttf'].map((f) => loadFont(`${DIR}/${f}`));
const deg = Math.PI / 180;
const augments: Augment[] = [
  NO_AUGMENT,
  { rotation: 15 * deg, aspect: 1.25, thicken: 1 },
  { rotation: -15 * deg, aspect: 0.8, thicken: 0.5 },
];
const ink = (img: Float32Array) => img.reduce((s, v) => s + v, 0);

test('every glyph is framed as MNIST: longer side 19-20 px, centre of mass within half a pixel of (14, 14)', () => {
  for (const font of fonts) {
    for (const aug of augments) {
      for (const char of CHARSET) {
        const img = renderGlyph(font, char, aug);
        const what = `${font.family} ${font.style} '${char}' ${JSON.stringify(aug)}`;
        assert.equal(img.length, 28 * 28);
        assert.ok(img.every((v) => v >= 0 && v <= 1), what);
        assert.equal(Math.max(...img), 1, what);
        const b = inkBounds(img, 28, 28)!;
        const w = b.x1 - b.x0;
        const h = b.y1 - b.y0;
        assert.ok(w <= 20 && h <= 20 && Math.max(w, h) >= 19, `${what}: ink ${w}×${h}`);
        const c = centreOfMass(img, 28, 28);
        assert.ok(Math.abs(c.x - 14) <= 0.5 && Math.abs(c.y - 14) <= 0.5, `${what}: centre of mass (${c.x}, ${c.y})`);
      }
    }
  }
});

test('rotation turns the glyph clockwise on screen', () => {
  // a clockwise turn moves the top of 'l' right: its top rows' ink moves right of its bottom rows'
  const img = renderGlyph(fonts[0], 'l', { ...NO_AUGMENT, rotation: 15 * deg });
  const rowCentre = (i: number) => centreOfMass(img.subarray(i * 28, (i + 1) * 28), 28, 1).x;
  const b = inkBounds(img, 28, 28)!;
  assert.ok(rowCentre(b.y0 + 1) > rowCentre(b.y1 - 2) + 3);
});

test('aspect stretches the width and thickening adds ink', () => {
  const width = (aug: Augment) => {
    const b = inkBounds(renderGlyph(fonts[0], 'O', aug), 28, 28)!;
    return b.x1 - b.x0;
  };
  assert.ok(width({ ...NO_AUGMENT, aspect: 0.8 }) <= width({ ...NO_AUGMENT, aspect: 1.25 }) - 3);
  const plain = ink(renderGlyph(fonts[0], 'l', NO_AUGMENT));
  const thick = ink(renderGlyph(fonts[0], 'l', { ...NO_AUGMENT, thicken: 1 }));
  assert.ok(thick > plain * 1.4, `ink ${plain} → ${thick}`);
});

test('rendering is a pure function of font, character and augment', () => {
  const aug = augments[1];
  assert.deepEqual(renderGlyph(fonts[1], 'g', aug), renderGlyph(fonts[1], 'g', aug));
  assert.notDeepEqual(renderGlyph(fonts[0], 'g', aug), renderGlyph(fonts[1], 'g', aug));
});

test('a character outside the 62 classes is a user error', () => {
  assert.throws(() => renderGlyph(fonts[0], '?', NO_AUGMENT), UserError);
  assert.throws(() => renderGlyph(fonts[0], 'ab', NO_AUGMENT), UserError);
});
