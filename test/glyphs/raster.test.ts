import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dilate, downsample, fillNonzero, flatten, rasterize, type Contour } from '../../src/glyphs/raster.ts';

/** An axis-aligned rectangle, wound the other way when `reverse`. */
function rect(x0: number, y0: number, x1: number, y1: number, reverse = false): Contour {
  return Float64Array.from(reverse ? [x0, y0, x0, y1, x1, y1, x1, y0] : [x0, y0, x1, y0, x1, y1, x0, y1]);
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

test('a pixel-aligned square covers exactly its pixels', () => {
  const img = rasterize([rect(1, 1, 3, 3)], 4, 4, 4);
  assert.deepEqual(Array.from(img), [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
});

test('a square on half pixels covers its corner pixels by a quarter, its edge pixels by half', () => {
  // subpixel centres at 0.25, 0.75, ...: the square [0.5, 2.5]² holds 1 of each corner pixel's 4
  const img = rasterize([rect(0.5, 0.5, 2.5, 2.5)], 3, 3, 2);
  assert.deepEqual(Array.from(img), [0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25]);
});

test('a triangle covers its area within a supersampling tolerance', () => {
  const tri = Float64Array.from([0.3, 0.2, 9.7, 1.1, 4.1, 8.9]);
  const area = Math.abs((9.7 - 0.3) * (8.9 - 0.2) - (4.1 - 0.3) * (1.1 - 0.2)) / 2;
  const covered = sum(rasterize([tri], 10, 10, 16));
  assert.ok(Math.abs(covered - area) < 0.05, `covered ${covered}, area ${area}`);
});

test('nonzero winding: a ring wound oppositely inside leaves its hole empty', () => {
  const mask = fillNonzero([rect(0, 0, 10, 10), rect(3, 3, 7, 7, true)], 10, 10);
  assert.equal(sum(mask), 100 - 16);
  assert.equal(mask[5 * 10 + 5], 0);
  assert.equal(mask[1 * 10 + 1], 1);
});

test('nonzero winding: overlapping contours wound alike are filled once', () => {
  const mask = fillNonzero([rect(0, 0, 6, 6), rect(3, 3, 9, 9)], 10, 10);
  assert.equal(sum(mask), 36 + 36 - 9);
  assert.ok(mask.every((v) => v === 0 || v === 1));
});

test('shapes off the canvas are clipped, not wrapped to the next row', () => {
  const mask = fillNonzero([rect(-5, 2, 3, 4), rect(8, 6, 20, 7)], 10, 10);
  assert.equal(sum(mask), 3 * 2 + 2 * 1);
  assert.equal(mask[7 * 10], 0);
});

test('flatten keeps curves within the tolerance', () => {
  // a quarter circle of radius 100 as one cubic; its chords must stay within 0.5 of the curve
  const k = 0.5523 * 100;
  const [c] = flatten(
    [{ type: 'M', x: 100, y: 0 }, { type: 'C', x1: 100, y1: k, x2: k, y2: 100, x: 0, y: 100 }, { type: 'L', x: 0, y: 0 }, { type: 'Z' }],
    0.5,
  );
  for (let i = 0; i + 2 < c.length - 2; i += 2) {
    const mx = (c[i] + c[i + 2]) / 2;
    const my = (c[i + 1] + c[i + 3]) / 2;
    assert.ok(100 - Math.hypot(mx, my) < 0.6, `chord midpoint at radius ${Math.hypot(mx, my)}`);
  }
  assert.ok(c.length / 2 > 8 && c.length / 2 < 40, `${c.length / 2} points`);
  const [q] = flatten([{ type: 'M', x: 0, y: 0 }, { type: 'Q', x1: 50, y1: 100, x: 100, y: 0 }, { type: 'Z' }], 0.5);
  assert.deepEqual([q[q.length - 2], q[q.length - 1]], [100, 0]);
});

test('dilation by a disc: radius 1 makes a plus, 1.5 a 3×3 square, under 1 nothing', () => {
  const dot = new Uint8Array(49);
  dot[3 * 7 + 3] = 1;
  assert.equal(sum(dilate(dot, 7, 7, 0.9)), 1);
  const plus = dilate(dot, 7, 7, 1);
  assert.equal(sum(plus), 5);
  assert.equal(plus[2 * 7 + 2], 0);
  assert.equal(sum(dilate(dot, 7, 7, 1.5)), 9);
  assert.equal(sum(dilate(dot, 7, 7, 3)), 29); // the lattice points within distance 3
});

test('downsample averages blocks', () => {
  const mask = Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(downsample(mask, 4, 2, 2)), [0.75, 0]);
});
