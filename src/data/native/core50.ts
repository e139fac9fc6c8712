// CORe50's image folders as distributed (core50_128x128.zip or core50_350x350.zip):
//   <root>/s<session>/o<object>/C_<ss>_<oo>_<frame>.png, sessions s1..s11, objects o1..o50.
// The label is the object (o1 → 0 ... o50 → 49), the 50-class setting the official code uses.
// Splits: one per session ("s1" ... "s11"), plus the official "train" (s1,2,4,5,6,8,9,11) and
// "test" (s3,7,10). `root` may also be the parent of core50_128x128/ or core50_350x350/.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fsReason, UserError, where } from '../../errors.ts';
import { makeDataset } from '../dataset.ts';
import { readImageFile } from '../record.ts';
import { concat } from '../source.ts';
import type { Dataset, Source } from '../types.ts';

export const CORE50_TRAIN_SESSIONS = [1, 2, 4, 5, 6, 8, 9, 11];
export const CORE50_TEST_SESSIONS = [3, 7, 10];
export const CORE50_CLASSES = 50;

export function locateCore50(root: string): string | null {
  for (const d of [root, join(root, 'core50_128x128'), join(root, 'core50_350x350')]) if (existsSync(join(d, 's1'))) return d;
  return null;
}

const byNumber = (prefix: string) => (name: string) => new RegExp(`^${prefix}(\\d+)$`).exec(name);

function sessionSource(dir: string, session: number): Source {
  const sdir = join(dir, `s${session}`);
  const paths: string[] = [];
  const labels: number[] = [];
  let objects: string[];
  try {
    objects = readdirSync(sdir).filter((o) => byNumber('o')(o));
  } catch (e) {
    throw new UserError(`${where(sdir)}: cannot read the CORe50 session folder: ${fsReason(e)}`);
  }
  objects.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  for (const o of objects) {
    const obj = Number(o.slice(1));
    if (obj < 1 || obj > CORE50_CLASSES) throw new UserError(`${where(join(sdir, o))}: CORe50 objects are o1 to o50`);
    for (const f of readdirSync(join(sdir, o)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort()) {
      paths.push(join(sdir, o, f));
      labels.push(obj - 1);
    }
  }
  return {
    description: `core50 s${session}`,
    length: paths.length,
    label: (i) => labels[i],
    locate: (i) => ({ kind: 'file', path: paths[i], origin: where(paths[i]) }),
    get: async (i) => ({ image: { encoded: await readImageFile(paths[i]) }, label: labels[i], origin: where(paths[i]) }),
  };
}

export function openCore50Folders(root: string): Dataset {
  const dir = locateCore50(root);
  if (!dir) {
    try {
      readdirSync(root);
    } catch (e) {
      throw new UserError(`${where(root)}: cannot read the CORe50 directory: ${fsReason(e)}`);
    }
    throw new UserError(`${where(root)}: no CORe50 session folders (s1 ... s11) here or in core50_128x128/`);
  }
  const sessions = readdirSync(dir)
    .map((s) => byNumber('s')(s))
    .filter((m) => m !== null)
    .map((m) => Number(m![1]))
    .sort((a, b) => a - b);
  const sources = new Map(sessions.map((s) => [s, sessionSource(dir, s)]));
  const splits: Parameters<typeof makeDataset>[0]['splits'] = {};
  for (const [s, src] of sources) splits[`s${s}`] = { numExamples: src.length, open: async () => src };
  const group = (name: string, list: number[]) => {
    const present = list.filter((s) => sources.has(s));
    if (present.length === 0) return;
    const src = concat(present.map((s) => sources.get(s)!), `core50 ${name}`);
    splits[name] = { numExamples: src.length, open: async () => src };
  };
  group('train', CORE50_TRAIN_SESSIONS);
  group('test', CORE50_TEST_SESSIONS);
  return makeDataset({ name: 'core50', numClasses: CORE50_CLASSES, imageShape: null, files: [dir], where: where(dir), splits });
}
