import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxSide, centreOfMass, inkBounds, placeByCentreOfMass } from '../../src/glyphs/frame.ts';

test('MNIST proportions: a 20-pixel box in a 28-pixel field', () => {
  assert.equal(boxSide(28), 20);
});

test('centre of mass is in pixel indices', () => {
  const img = new Float32Array(4 * 4);
  img[1 * 4 + 0] = 1; // at (0, 1)
  img[1 * 4 + 3] = 3; // at (3, 1)
  const c = centreOfMass(img, 4, 4);
  assert.deepEqual(c, { x: (0 + 3 * 3) / 4, y: 1, mass: 4 });
});

test('placement moves the centre of mass to within half a pixel of pixel (14, 14)', () => {
  // an L shape in the top-left of a 20×20 box: its mass is far from the box's centre
  const box = new Float32Array(20 * 20);
  for (let i = 0; i < 20; i++) box[i * 20] = 1;
  for (let j = 0; j < 12; j++) box[19 * 20 + j] = 1;
  box[5 * 20 + 1] = 0.5;
  const out = placeByCentreOfMass(box, 20, 28);
  const c = centreOfMass(out, 28, 28);
  assert.ok(Math.abs(c.x - 14) <= 0.5 && Math.abs(c.y - 14) <= 0.5, `centre of mass (${c.x}, ${c.y})`);
  assert.equal(c.mass, centreOfMass(box, 20, 20).mass);
});

test('placement keeps ink inside the field when the centre of mass is at an edge', () => {
  // all the mass in one corner pixel and a faint far corner: centring would push ink out
  const box = new Float32Array(20 * 20);
  box[0] = 1;
  box[19 * 20 + 19] = 0.01;
  const out = placeByCentreOfMass(box, 20, 28);
  assert.deepEqual(inkBounds(out, 28, 28), { x0: 8, x1: 28, y0: 8, y1: 28 });
  assert.ok(Math.abs(out.reduce((s, v) => s + v, 0) - 1.01) < 1e-6);
});

test('an empty box places as an empty field', () => {
  assert.ok(placeByCentreOfMass(new Float32Array(400), 20, 28).every((v) => v === 0));
});
