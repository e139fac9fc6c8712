// CODA-Prompt: one training step (coda2: over two devices) against the independent NumPy reference
// (scripts/golden/make_coda_case.py) and against the official GT-RIPL/CODA-Prompt code itself (golden/coda_p0,
// exact GELU), the Gram–Schmidt initialisation of a task's components, and the settings it refuses.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCodaCase } from '../../src/cli/debug-step/coda-case.ts';
import * as g from '../../src/graph/index.ts';
import { codaForward } from '../../src/methods/coda-prompt/model.ts';
import { gramSchmidtRows, initCodaParams, startCodaTask, validateCodaPrompt, type CodaPromptOptions } from '../../src/methods/coda-prompt/options.ts';
import { UserError } from '../../src/errors.ts';
import { readNpz } from '../../src/io/npz.ts';
import { mulberry32 } from '../../src/random.ts';
import { disposeAll } from '../../src/runtime/ort.ts';
import { bindParams } from '../../src/vit/bind.ts';
import { embed, encode } from '../../src/vit/model.ts';
import { randomViT } from '../../src/vit/random.ts';
import { assertGoldenClose } from '../helpers/golden.ts';

after(disposeAll);
const root = 'test/fixtures/coda';

for (const name of ['coda0', 'coda1', 'coda2']) {
  test(`CODA-Prompt ${name}: weights, logits, loss, gradients and the Adam update match the NumPy reference`, async () => {
    const dir = join(root, name);
    const want = readNpz(join(dir, 'expected.npz'));
    assertGoldenClose(await runCodaCase(dir), want, name);
    if (name === 'coda0') {
      // Task 1 of 3, two components each: rows 0-1 frozen and 4-5 unused get no gradient at all.
      const gk = want.get('grad/prompt/e_k_0')!.data as Float32Array;
      const row = (r: number) => Array.from(gk.subarray(r * 16, (r + 1) * 16));
      for (const r of [0, 1, 4, 5]) assert.ok(row(r).every((x) => x === 0), `row ${r}`);
      assert.ok(row(2).some((x) => x !== 0) && row(3).some((x) => x !== 0));
    }
  });
}

const official = 'test/fixtures/golden/coda_p0';

test('CODA-Prompt coda_p0 (the official code, timm ViT): npx l2p debug-step honours "gelu": "erf" and matches to 1e-4', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'l2p-coda-')), 'out.npz');
  execFileSync(process.execPath, ['bin/l2p.mjs', 'debug-step', official, '--out', out], { stdio: 'pipe' });
  assertGoldenClose(readNpz(out), readNpz(join(official, 'expected.npz')), 'cli coda_p0');
});

test('CODA-Prompt coda_p0 with the tanh GELU instead misses the official logits by more than 1e-4', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'l2p-coda-tanh-'));
  cpSync(official, dir, { recursive: true });
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
  writeFileSync(join(dir, 'case.json'), JSON.stringify({ ...c, gelu: 'tanh' }));
  const got = (await runCodaCase(dir)).get('logits')!.data as Float32Array;
  const want = readNpz(join(official, 'expected.npz')).get('logits')!.data as Float32Array;
  const worst = Math.max(...Array.from(want, (w, i) => Math.abs(got[i] - w)));
  assert.ok(worst > 1e-4, `tanh GELU logits within ${worst} of the official erf ones`);
});

test('CODA-Prompt coda0: npx l2p debug-step runs the case', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'l2p-coda-')), 'out.npz');
  execFileSync(process.execPath, ['bin/l2p.mjs', 'debug-step', join(root, 'coda0'), '--out', out], { stdio: 'pipe' });
  assertGoldenClose(readNpz(out), readNpz(join(root, 'coda0', 'expected.npz')), 'cli coda0');
});

const dot = (a: Float32Array, i: number, j: number, n: number) => {
  let s = 0;
  for (let t = 0; t < n; t++) s += a[i * n + t] * a[j * n + t];
  return s;
};

test('Gram–Schmidt: new rows are unit vectors orthogonal to the (mutually orthogonal) earlier rows; earlier rows kept, later rows zero', () => {
  const m = 6;
  const n = 8;
  const r = mulberry32(5);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const rows = Float32Array.from({ length: m * n }, () => r() - 0.5);
  gramSchmidtRows(rows, m, 0, 2, normal, 'rows');
  for (let t = 0; t < n; t++) rows[t] *= 3; // an earlier row need not be a unit vector
  const kept = rows.slice(0, 2 * n);
  rows.fill(7, 2 * n); // whatever the later rows hold is replaced
  gramSchmidtRows(rows, m, 2, 4, normal, 'rows');
  assert.deepEqual(Array.from(rows.subarray(0, 2 * n)), Array.from(kept));
  for (const i of [2, 3]) {
    assert.ok(Math.abs(dot(rows, i, i, n) - 1) < 1e-6, `norm of row ${i}`);
    for (let j = 0; j < i; j++) assert.ok(Math.abs(dot(rows, i, j, n)) < 1e-6, `row ${i} against row ${j}: ${dot(rows, i, j, n)}`);
  }
  assert.ok(rows.subarray(4 * n).every((x) => x === 0));
});

test('Gram–Schmidt is the classical form, as the official: each earlier row is projected out of the draw on its own', () => {
  // Earlier rows (1, 0) and (1, 1) are not orthogonal; a draw (a, b) becomes (a, b) − a·(1, 0) − (a+b)/2·(1, 1), normalised.
  const rows = Float32Array.from([1, 0, 1, 1, 0, 0]);
  const draws = [0.3, 0.8];
  gramSchmidtRows(rows, 3, 2, 3, () => draws.shift()!, 'rows');
  const u = [0.3 - 0.3 - 0.55, 0.8 - 0.55];
  const norm = Math.hypot(u[0], u[1]);
  assert.ok(Math.abs(rows[4] - u[0] / norm) < 1e-6 && Math.abs(rows[5] - u[1] / norm) < 1e-6, `${rows[4]}, ${rows[5]}`);
});

const opts: CodaPromptOptions = { vit: { hidden: 16, depth: 3, heads: 2, mlp: 32, patch: 8 }, numClasses: 6, poolSize: 6, length: 4, orthoMu: 0.1, layers: [0, 2], numTasks: 3 };

test('initialisation: task 0 components orthonormal, the rest zero; a new task adds its own orthogonal to the earlier', () => {
  const r = mulberry32(1);
  const params = initCodaParams(opts, r);
  const p = params.get('prompt/e_p_2')!.data; // [6, 4·16]
  const n = 64;
  assert.ok(Math.abs(dot(p, 0, 0, n) - 1) < 1e-6 && Math.abs(dot(p, 0, 1, n)) < 1e-6);
  assert.ok(p.subarray(2 * n).every((x) => x === 0));
  const head = params.get('head/kernel')!.data;
  assert.ok(head.every((x) => Math.abs(x) <= 0.25) && head.some((x) => x !== 0));
  startCodaTask(params, opts, 1, r);
  const k = params.get('prompt/e_k_0')!.data;
  for (const i of [2, 3]) for (let j = 0; j < i; j++) assert.ok(Math.abs(dot(k, i, j, 16)) < 1e-6);
  assert.ok(k.subarray(4 * 16).every((x) => x === 0));
});

test('settings CODA-Prompt cannot run are refused with the numbers', () => {
  const err = (o: CodaPromptOptions, re: RegExp) => assert.throws(() => validateCodaPrompt(o), (e: unknown) => e instanceof UserError && re.test(e.message));
  err({ ...opts, layers: [3] }, /holds 3, outside the backbone's layers \[0, 3\)/);
  err({ ...opts, length: 3 }, /prompt length 3 must be even/);
  err({ ...opts, poolSize: 2 }, /pool size 2 gives no component to each of 3 tasks/);
});

test('CODA-Prompt evaluation graph: the same components [0, end) give the training forward logits', async () => {
  const dir = join(root, 'coda0');
  const { compile } = await import('../../src/runtime/ort.ts');
  const { loadViT } = await import('../../src/vit/params.ts');
  const { buildCodaEvalStep } = await import('../../src/methods/coda-prompt/model.ts');
  const vit = loadViT(join(dir, 'vit.npz'));
  const stored = readNpz(join(dir, 'coda.npz'));
  const params = new Map(vit.params);
  for (const [k, a] of stored) params.set(k, { shape: a.shape, data: a.data as Float32Array });
  const images = readNpz(join(dir, 'batch.npz')).get('images')!;
  const o: CodaPromptOptions = { ...opts, vit: vit.config };
  const step = buildCodaEvalStep(params, { model: o, taskId: 1, batch: 4, imageSize: [16, 16], isTrained: () => false });
  const session = await compile(step.outputs);
  const r = await session.run({ images: { shape: images.shape, data: images.data as Float32Array } });
  await session.dispose();
  assertGoldenClose(new Map([['logits', { dtype: 'float32', shape: [4, 6], data: r.logits.data as Float32Array }]]), new Map([['logits', readNpz(join(dir, 'expected.npz')).get('logits')!]]), 'eval coda0');
});

test('CODA-Prompt query: from the query backbone with its own embedding when it differs from the prompted one', () => {
  const o: CodaPromptOptions = { ...opts, vit: { hidden: 8, depth: 2, heads: 2, mlp: 16, patch: 8 }, layers: [0] };
  const r = mulberry32(9);
  const params = new Map([...randomViT(o.vit, 4, 5), ...initCodaParams(o, r)]);
  const { p } = bindParams(params, () => false);
  const { p: pq } = bindParams(randomViT(o.vit, 4, 11), () => false); // other weights, the embedding included
  const images = g.input('images', [2, 16, 16, 3]);
  const out = codaForward(p, o, images, 0, pq);
  const want = g.reshape(g.slice(encode(pq, o.vit, embed(pq, o.vit, images)), 1, 0, 1), [2, 8]); // [B, D]
  const feeds = { images: { shape: [2, 16, 16, 3], data: Float32Array.from({ length: 2 * 16 * 16 * 3 }, () => r()) } };
  const [q, w] = g.interpret([out.query, want], feeds);
  assert.ok(Array.from(w.data).some((x) => Math.abs(x) > 1e-3));
  Array.from(q.data).forEach((x, i) => assert.ok(Math.abs(x - w.data[i]) < 1e-9, `query ${i}: ${x} vs ${w.data[i]}`));
});
