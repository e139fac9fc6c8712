import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.ts';
import { familyGroups, glyphCorpus, mulberry32, sampleSpec } from '../../src/glyphs/corpus.ts';
import { loadFont } from '../../src/glyphs/fonts.ts';
import { CLASS_COUNT } from '../../src/glyphs/glyph.ts';
import { renderOutline } from '../../src/glyphs/render.ts';

const DIR = '/usr/share/fonts/truetype/dejavu';
const fonts = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSerif.ttf'].map((f) => loadFont(`${DIR}/${f}`));
const bytes = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('the same seed gives the same bytes; another seed does not', () => {
  const a = glyphCorpus({ fonts, count: 40, seed: 7 });
  const b = glyphCorpus({ fonts, count: 40, seed: 7 });
  assert.ok(bytes(a.images).equals(bytes(b.images)));
  assert.ok(bytes(a.labels).equals(bytes(b.labels)));
  assert.ok(bytes(a.fontIndex).equals(bytes(b.fontIndex)));
  const c = glyphCorpus({ fonts, count: 40, seed: 8 });
  assert.ok(!bytes(a.images).equals(bytes(c.images)));
});

test('sample i does not depend on how many are made or where the slice starts', () => {
  const all = glyphCorpus({ fonts, count: 30, seed: 3 });
  const slice = glyphCorpus({ fonts, count: 10, seed: 3, start: 17 });
  assert.ok(bytes(slice.images).equals(bytes(all.images.subarray(17 * 784, 27 * 784))));
  assert.deepEqual(slice.labels, all.labels.subarray(17, 27));
  assert.deepEqual(slice.fontIndex, all.fontIndex.subarray(17, 27));
});

test('each sample is what sampleSpec says, drawn from every class and family', () => {
  const groups = familyGroups(fonts);
  assert.deepEqual(groups, [[0, 1], [2]]);
  const n = 2000;
  const labels = new Set<number>();
  const families = [0, 0];
  const corpus = glyphCorpus({ fonts, count: 5, seed: 11 });
  for (let i = 0; i < n; i++) {
    const s = sampleSpec(11, i, groups);
    labels.add(s.label);
    families[s.font === 2 ? 1 : 0]++;
    assert.ok(Math.abs(s.aug.rotation) <= (15 * Math.PI) / 180 && s.aug.aspect >= 0.9 && s.aug.aspect <= 1.4);
    assert.ok(s.aug.thicken >= 0 && s.aug.thicken <= 0.6);
    if (i < 5) {
      assert.equal(corpus.labels[i], s.label);
      assert.equal(corpus.fontIndex[i], s.font);
      assert.deepEqual(corpus.images.subarray(i * 784, (i + 1) * 784), renderOutline(fonts[s.font].outlines[s.label], s.aug));
    }
  }
  assert.equal(labels.size, CLASS_COUNT);
  // DejaVu Serif is one family of two, so about half the samples, though it is one font of three
  assert.ok(Math.abs(families[1] / n - 0.5) < 0.05, `${families[1]} of ${n}`);
});

test('mulberry32 is deterministic and uniform on [0, 1)', () => {
  const r = mulberry32(42);
  const s = mulberry32(42);
  let mean = 0;
  for (let i = 0; i < 10000; i++) {
    const v = r();
    assert.equal(v, s());
    assert.ok(v >= 0 && v < 1);
    mean += v / 10000;
  }
  assert.ok(Math.abs(mean - 0.5) < 0.01);
});

test('a corpus without fonts is a user error', () => {
  assert.throws(() => glyphCorpus({ fonts: [], count: 1, seed: 0 }), UserError);
});
