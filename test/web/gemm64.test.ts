// The page's float64 Gemm (plain JavaScript, for RanPAC's Cholesky in the browser) against ONNX
// Runtime's float64 Gemm under Node, every transpose. (RanPAC's whole fit in the page is checked
// against the Node fit in test/web/serve-closed-form.test.ts.)
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { engineCholesky } from '../../src/linalg/cholesky-blocked.ts';
import { hostCholesky } from '../../src/linalg/cholesky.ts';
import { mulberry32 } from '../../src/random.ts';
import { disposeAll, openGemm64 as ortGemm64 } from '../../src/runtime/ort.ts';
import { openGemm64 } from '../../src/web/page/gemm64.ts';

after(() => disposeAll());

const rand = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => r() * 2 - 1);
};

test('y = c − op(a) op(b) equals ONNX Runtime float64 Gemm for every transpose', async () => {
  const [m, k, n] = [7, 5, 3];
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      const a = rand(m * k, 1);
      const b = rand(k * n, 2);
      const c = rand(m * n, 3);
      const want = await (await ortGemm64(n, { a: ta, b: tb })).run(a, b, c, m, k);
      const got = await (await openGemm64(n, { a: ta, b: tb })).run(a, b, c, m, k);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-12, `trans ${ta} ${tb} [${i}]: ${got[i]} vs ${want[i]}`);
      assert.deepEqual(Array.from(c), Array.from(rand(m * n, 3)), 'c is left as it was');
    }
  }
});
