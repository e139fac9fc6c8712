// What a whole run records, to compare two configs: every TensorBoard event (tag, step, value), every
// metrics record and the summary without wall times, the checkpoint files kept, and the lines it
// prints; apart, the config as given that it records. Everything a run leaves behind and says is here, so a key that changes none of it changes
// nothing observable.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { readEventDir } from '../../src/report/event-reader.ts';
import { backboneFor } from '../../src/train/experiment.ts';
import { trainContinual } from '../../src/train/loop.ts';
import { streamFor } from '../../src/train/stream.ts';
import { tempDir, writeTfds } from '../fixtures/data/write.ts';

const cycle = (n: number, mod: number) => Array.from({ length: n }, (_, i) => i % mod);

/** A small CIFAR-100 in TFDS form: 8 training and 4 test images of each of the first classes. */
export async function cifarDir(): Promise<string> {
  const dir = tempDir('keys-cifar');
  await writeTfds(dir, { name: 'cifar100', numClasses: 100, shape: [8, 8, 3], splits: { train: { shards: [cycle(800, 100)] }, test: { shards: [cycle(400, 100)] } } });
  return dir;
}

export interface RunRecord {
  /** The config as given, as the run records it (TensorBoard's hparams table; config.json holds the same). */
  configRecord: string;
  events: string;
  metrics: string;
  summary: string;
  checkpoints: string;
  /** The lines printed, but the progress lines (their number and values follow the clock). */
  printed: string[];
}

/** Trains `c` in a fresh workdir and returns what the run left behind and printed. */
export async function runRecord(c: L2PConfig): Promise<RunRecord> {
  const workdir = join(tempDir('keys-run'), 'run');
  const printed: string[] = [];
  const notes: string[] = [];
  const backbone = backboneFor(c, (m) => notes.push(m));
  const sink = { write: (s: string) => printed.push(...s.split('\n').filter((l) => l.trim() !== '')), isTTY: false };
  await trainContinual({ config: c, workdir, resume: false, stream: await streamFor(c), backbone, runtime: { threads: 1 }, workers: 0, sink, notes });
  const events: string[] = [];
  const configRecord: string[] = [];
  for await (const e of readEventDir(workdir)) {
    const { wallTime: _w, file: _f, offset: _o, ...rest } = e;
    (e.tag === 'hparams' ? configRecord : events).push(JSON.stringify(rest, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v)));
  }
  const metrics = readFileSync(join(workdir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { elapsed_s: _e, ...rest } = JSON.parse(l);
    return JSON.stringify(rest);
  });
  const { wall_time_s: _t, images_per_s: _i, config: _c, ...summary } = JSON.parse(readFileSync(join(workdir, 'summary.json'), 'utf8'));
  return {
    configRecord: configRecord.join('\n'),
    events: events.join('\n'),
    metrics: metrics.join('\n'),
    summary: JSON.stringify(summary),
    checkpoints: readdirSync(join(workdir, 'checkpoints')).sort().join(' '),
    // Progress lines come as often as the clock allows; the rest are the run's notes and results.
    printed: printed.filter((l) => !/^\s*(train|eval) task \d/.test(l)),
  };
}
