// The golden tolerance, one place for every method's case tests: each expected array present, same
// shape, every entry within 1e-4 (absolute, relative above 1).
import assert from 'node:assert/strict';
import type { NpyArray } from '../../src/io/npy.ts';

export function assertGoldenClose(got: Map<string, NpyArray>, want: Map<string, NpyArray>, label: string): void {
  for (const [k, w] of want) {
    const x = got.get(k);
    assert.ok(x, `${label}: '${k}' is missing`);
    assert.deepEqual(x.shape, w.shape, `${label}: shape of '${k}'`);
    for (let i = 0; i < w.data.length; i++) {
      const a = Number(x.data[i]);
      const b = Number(w.data[i]);
      assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${label}: ${k}[${i}] = ${a}, expected ${b}`);
    }
  }
}
