// Golden agreement on a provider: each case of test/fixtures/golden run as one training step on
// `device` and on the CPU provider, with the largest relative error against expected.npz and
// against the CPU (|a − b| / max(1, |b|), the golden tests' measure) and whether the prompt ids match.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readNpz } from '../../src/io/npz.ts';
import type { NpyArray } from '../../src/io/npy.ts';
import { runCase } from '../../src/cli/debug-step.ts';
import type { Device } from '../../src/runtime/ort.ts';

export interface GoldenAgreement {
  max_rel_err_vs_expected: number;
  max_rel_err_vs_cpu: number;
  worst_array: string;
  same_prompt_ids: boolean;
}

function maxRelErr(got: Map<string, NpyArray>, want: Map<string, NpyArray>): { err: number; key: string } {
  let err = 0;
  let key = '';
  for (const [k, w] of want) {
    const x = got.get(k);
    if (!x || x.data.length !== w.data.length) return { err: Infinity, key: k };
    for (let i = 0; i < w.data.length; i++) {
      const b = Number(w.data[i]);
      const e = Math.abs(Number(x.data[i]) - b) / Math.max(1, Math.abs(b));
      if (!(e <= err)) [err, key] = [e, k];
    }
  }
  return { err, key };
}

export async function goldenAgreement(device: Device, root = 'test/fixtures/golden'): Promise<Record<string, GoldenAgreement>> {
  const out: Record<string, GoldenAgreement> = {};
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!existsSync(join(dir, 'expected.npz'))) continue;
    const want = readNpz(join(dir, 'expected.npz'));
    const got = await runCase(dir, { device });
    const cpu = await runCase(dir);
    const vsExpected = maxRelErr(got, want);
    // Every prompt-id array the case has (L2P's prompt_idx, DualPrompt's train_ and eval_; none in CODA).
    const keys = ['prompt_idx', 'train_prompt_idx', 'eval_prompt_idx'].filter((k) => want.has(k));
    const ids = (m: Map<string, NpyArray>) => keys.map((k) => Array.from(m.get(k)!.data as ArrayLike<number | bigint>, Number).join(',')).join(';');
    out[name] = {
      max_rel_err_vs_expected: vsExpected.err,
      max_rel_err_vs_cpu: maxRelErr(got, cpu).err,
      worst_array: vsExpected.key,
      same_prompt_ids: ids(got) === ids(want),
    };
  }
  return out;
}
