// The dataset a config names: found where the run will read it (data_dir, else $TFDS_DATA_DIR, else
// ~/tensorflow_datasets), with the size of every task's splits.
import type { L2PConfig } from '../config/l2p.ts';
import { defaultTfdsDataDir } from '../data/tfds.ts';
import type { ContinualStream } from '../data/streams.ts';
import { UserError } from '../errors.ts';
import { streamFor } from '../train/stream.ts';
import { type Check, fail, pass } from './check.ts';

/** The directory the run reads, and what chose it. */
export function dataDirOf(c: L2PConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (c.data_dir) return `${c.data_dir} (data_dir)`;
  return `${defaultTfdsDataDir()} (${env.TFDS_DATA_DIR ? '$TFDS_DATA_DIR' : '~/tensorflow_datasets'})`;
}

export async function datasetCheck(c: L2PConfig): Promise<{ check: Check; stream?: ContinualStream }> {
  const name = `dataset ${c.dataset}`;
  const where = dataDirOf(c);
  let stream: ContinualStream;
  try {
    stream = await streamFor(c);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    const fix = `put ${c.dataset} under ${where} (tfds build ${c.dataset}, or a raw layout of docs/data.md), or name its directory with --set data_dir=DIR`;
    return { check: fail(name, e.message, fix, true) };
  }
  const sizes = stream.tasks.map((t) => `${t.train.length}/${t.test.length}`);
  const train = stream.tasks.reduce((a, t) => a + t.train.length, 0);
  const test = stream.tasks.reduce((a, t) => a + t.test.length, 0);
  const each = sizes.every((s) => s === sizes[0]) ? `${sizes[0]} each` : sizes.join(', ');
  const detail = `${stream.name} under ${where}: ${stream.tasks.length} tasks, ${train} training and ${test} test examples (train/test per task: ${each})`;
  return { check: pass(name, detail), stream };
}
