// bench/gpu/fp16demo.ts (the mode `fp16demo` of the packed GPU program) on the CPU provider, shrunk:
// the demo's data and backbone are found, the fp32 run trains and reports, and a precision the
// provider refuses is that run's error, not the program's.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fp16Demo } from '../../bench/gpu/fp16demo.ts';

const root = mkdtempSync(join(tmpdir(), 'l2p-fp16demo-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('fp16demo on the CPU provider: the fp32 demo run reports its summary; fp16 is refused with its reason', { timeout: 180_000 }, async () => {
  const log = process.stderr.write;
  process.stderr.write = () => true;
  let res;
  try {
    res = await fp16Demo(['--device', 'cpu', '--workdir', root, '--set', 'continual.num_tasks=2', '--set', 'continual.num_train_steps_per_task=4']);
  } finally {
    process.stderr.write = log;
  }
  assert.equal(res.device, 'cpu');
  assert.ok(!('error' in res.fp32), JSON.stringify(res.fp32));
  const summary = JSON.parse(readFileSync(join(root, 'fp32', 'summary.json'), 'utf8'));
  assert.equal(res.fp32.avg_acc, summary.avg_acc);
  assert.equal(res.fp32.forgetting, summary.forgetting);
  assert.equal(summary.config.model_name, 'ViT-nano_4', 'the demo backbone');
  assert.equal(summary.acc_matrix.length, 2);
  assert.ok('error' in res.fp16);
  assert.match(res.fp16.error, /compute_precision/);
  assert.equal(res.same_prompt_set_share, undefined, 'no comparison without both runs');
});
