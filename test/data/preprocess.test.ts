import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeBilinear } from '../../src/data/resize.ts';
import { OFFICIAL_PREPROCESS, evalPreprocess, flipLeftRight, resizeToUint8, sampleDistortedBox, toRgb, trainPreprocess } from '../../src/data/preprocess.ts';
import { Rng, hash32, permutation } from '../../src/data/rng.ts';
import { pattern } from '../fixtures/data/write.ts';

test('bilinear upsampling 2×2 → 4×4 with half-pixel centres (values worked by hand)', () => {
  const out = resizeBilinear(Uint8Array.from([0, 10, 20, 30]), 2, 2, 1, 4, 4);
  assert.deepEqual(Array.from(out), [0, 2.5, 7.5, 10, 5, 7.5, 12.5, 15, 15, 17.5, 22.5, 25, 20, 22.5, 27.5, 30]);
});

test('downsampling samples without antialiasing: 4 → 2 and 3 → 2', () => {
  // src = (i + 0.5) * 2 - 0.5 = 0.5, 2.5: midpoints of (0,1) and (2,3)
  assert.deepEqual(Array.from(resizeBilinear(Float32Array.from([0, 1, 2, 3]), 1, 4, 1, 1, 2)), [0.5, 2.5]);
  // src = 0.25, 1.75 over [0, 4, 8]
  assert.deepEqual(Array.from(resizeBilinear(Float32Array.from([0, 4, 8]), 1, 3, 1, 1, 2)), [1, 7]);
});

test('channels interpolate independently and the identity size is exact', () => {
  const img = pattern(3, 5, 7, 3).data;
  assert.deepEqual(resizeBilinear(img, 5, 7, 3, 5, 7), Float32Array.from(img));
  const two = resizeBilinear(Uint8Array.from([0, 100, 10, 110]), 1, 2, 2, 1, 4);
  assert.deepEqual(Array.from(two), [0, 100, 2.5, 102.5, 7.5, 107.5, 10, 110]);
});

test('the cast to uint8 truncates, and grey becomes RGB by replication', () => {
  const r = resizeToUint8({ data: Uint8Array.from([0, 10, 20, 30]), height: 2, width: 2, channels: 1 }, 4);
  assert.deepEqual(Array.from(r.data.subarray(0, 8)), [0, 2, 7, 10, 5, 7, 12, 15]);
  const rgb = toRgb({ data: Uint8Array.from([7, 9]), height: 1, width: 2, channels: 1 });
  assert.deepEqual([...rgb.data], [7, 7, 7, 9, 9, 9]);
});

test('sampled boxes satisfy the area and aspect constraints and stay inside the image', () => {
  const rng = new Rng(1);
  let full = 0;
  for (let k = 0; k < 500; k++) {
    const b = sampleDistortedBox(256, 256, OFFICIAL_PREPROCESS, rng);
    if (b.height === 256 && b.width === 256) full++;
    const area = b.height * b.width;
    assert.ok(area >= 0.05 * 256 * 256 && area <= 256 * 256, `area ${area}`);
    assert.ok(b.width / b.height > 0.7 && b.width / b.height < 1.4, `aspect ${b.width}/${b.height}`);
    assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.height <= 256 && b.left + b.width <= 256);
    // TensorFlow draws the offset from [0, size - extent): a smaller box never touches the far edge.
    if (b.height < 256) assert.ok(b.top + b.height < 256);
  }
  assert.ok(full < 25);
  // Impossible constraints fall back to the whole image.
  const cfg = { ...OFFICIAL_PREPROCESS, areaRange: [1, 1] as [number, number], aspectRange: [2, 2] as [number, number] };
  assert.deepEqual(sampleDistortedBox(10, 10, cfg, rng), { top: 0, left: 0, height: 10, width: 10 });
});

test('eval preprocessing: resize, truncate, scale, central crop', () => {
  const cfg = { ...OFFICIAL_PREPROCESS, resizeSize: 4, inputSize: 2 };
  const out = evalPreprocess({ data: Uint8Array.from([0, 10, 20, 30]), height: 2, width: 2, channels: 1 }, cfg);
  // the 4×4 uint8 image is [[0,2,7,10],[5,7,12,15],[15,17,22,25],[20,22,27,30]]; the centre 2×2 is rows/cols 1..2
  const expect = [7, 12, 17, 22].flatMap((v) => [v / 255, v / 255, v / 255]).map(Math.fround);
  assert.deepEqual(Array.from(out), expect);
});

test('train preprocessing is a function of the seed, and flipping is an involution', () => {
  const img = pattern(1, 20, 30, 3);
  const cfg = { ...OFFICIAL_PREPROCESS, resizeSize: 32, inputSize: 24 };
  const a = trainPreprocess(img, cfg, new Rng(hash32(5, 6)));
  const b = trainPreprocess(img, cfg, new Rng(hash32(5, 6)));
  const c = trainPreprocess(img, cfg, new Rng(hash32(5, 7)));
  assert.equal(a.length, 24 * 24 * 3);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every((v) => v >= 0 && v <= 1));
  const copy = a.slice();
  flipLeftRight(copy, 24, 24, 3);
  assert.deepEqual(Array.from(copy.subarray(0, 3)), Array.from(a.subarray(23 * 3, 24 * 3)));
  flipLeftRight(copy, 24, 24, 3);
  assert.deepEqual(copy, a);
});

test('permutations are permutations and depend on the seed', () => {
  const p = permutation(100, new Rng(3));
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(permutation(100, new Rng(3)), p);
  assert.notDeepEqual(permutation(100, new Rng(4)), p);
});
