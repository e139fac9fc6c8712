// Side by side: `l2p bench` and the PyTorch peer (bench/peer/l2p_step.py), alternately, on the same
// machine in one invocation; prints each side's medians and the ratios (peer time / our time).
// The peer clips over the trained tensors, so its training step is set against ours under
// grad_clip_scope 'trained' (`train_trained_s_per_img`); ours under 'all' is listed beside it.
//
//   npx tsx bench/compare.ts [--model B/16] [--batch 8] [--rounds 3] [--iters 3] [--python /usr/bin/python3]
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'B/16' },
    batch: { type: 'string', default: '8' },
    image: { type: 'string', default: '224' },
    rounds: { type: 'string', default: '3' },
    iters: { type: 'string', default: '3' },
    python: { type: 'string', default: '/usr/bin/python3' },
    json: { type: 'boolean', default: false },
  },
});
const common = ['--model', values.model!, '--batch', values.batch!, '--image', values.image!, '--iters', values.iters!, '--json'];

function runJson(cmd: string, args: string[]): Record<string, number> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`${cmd}: no JSON line in its output:\n${r.stdout}`);
  return JSON.parse(line);
}

const probe = spawnSync(values.python!, ['-c', 'import torch'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(`the peer needs PyTorch: apt-get install -y python3-torch libopenblas0-pthread (${values.python} could not import torch)`);
  process.exit(1);
}

const ours: Record<string, number>[] = [];
const peer: Record<string, number>[] = [];
for (let i = 0; i < Number(values.rounds); i++) {
  ours.push(runJson(process.execPath, ['bin/l2p.mjs', 'bench', '--pool', '10', '--length', '5', '--top-k', '5', ...common])); // the peer's prompt shape
  peer.push(runJson(values.python!, ['bench/peer/l2p_step.py', ...common]));
  if (!values.json) console.error(`round ${i + 1}: ours train ${ours[i].train_trained_s_per_img.toFixed(3)} s/img, peer ${peer[i].train_s_per_img.toFixed(3)} s/img`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fields = ['query_s_per_img', 'train_s_per_img', 'eval_s_per_img', 'peak_rss_mb'] as const;
const result: Record<string, unknown> = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  model: values.model,
  batch: Number(values.batch),
  rounds: Number(values.rounds),
};
/** Our field that is like the peer's: its training step clips over the trained tensors. */
const oursField = (f: (typeof fields)[number]) => (f === 'train_s_per_img' ? 'train_trained_s_per_img' : f);
for (const f of fields) {
  const o = median(ours.map((r) => r[oursField(f)]));
  const p = median(peer.map((r) => r[f]));
  result[f] = { ours: o, peer: p, ratio: p / o };
}
result.ours_train_all_s_per_img = median(ours.map((r) => r.train_s_per_img));
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`${values.model} batch ${values.batch}, ${result.machine}, medians of ${values.rounds} alternating rounds`);
  for (const f of fields) {
    const r = result[f] as { ours: number; peer: number; ratio: number };
    const unit = f === 'peak_rss_mb' ? 'MB' : 's/img';
    console.log(`${f.padEnd(16)} ours ${r.ours.toFixed(f === 'peak_rss_mb' ? 0 : 4)} ${unit}  peer ${r.peer.toFixed(f === 'peak_rss_mb' ? 0 : 4)} ${unit}  peer/ours ${r.ratio.toFixed(2)}×`);
  }
  console.log(`(training step: both clip over the trained tensors; ours clipping over every parameter, as official: ${(result.ours_train_all_s_per_img as number).toFixed(4)} s/img)`);
}
