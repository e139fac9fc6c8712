// TFDS split syntax, resolved to absolute ranges exactly as `tfds.core.ReadInstruction` does:
//   "train", "test[:80%]", "train[80%:]", "train[:-1%]", "train[100:200]", "train[-10:]",
//   "train[2shard]", "train[:2shard]", "all", and sums "test[:50%]+train[10%:20%]".
// Percent boundaries round with Python's round() (ties to even) of boundary * n / 100 ("closest"),
// or as multiples of trunc(n / 100) with the "(pct1_dropremainder)" suffix. Absolute boundaries
// beyond the split are an error, as in TFDS.
import { UserError } from '../errors.ts';

export interface SplitInfo {
  numExamples: number;
  /** Examples per shard, when the split is sharded (TFDS); needed only for "shard" slices. */
  shardLengths?: number[];
}

/** A contiguous run of one stored split: records [start, end). */
export interface SplitRange {
  split: string;
  start: number;
  end: number;
}

interface Instruction {
  split: string;
  from: number | null;
  to: number | null;
  unit: 'abs' | '%' | 'shard';
  rounding: 'closest' | 'pct1_dropremainder';
}

const SUB_SPEC = /^([\w-]+(?:\.[\w-]+)*)(?:\[([^\]]*)\])?(?:\((closest|pct1_dropremainder)\))?$/;
const SLICE = /^(-?\d+(?:\.\d+)?)?(%|shard)?$/;

/** Python's round(): nearest integer, ties to even. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function parseOne(spec: string, what: string): Instruction | 'all' {
  const bad = (why: string) => new UserError(`${what}: split '${spec}' is not valid TFDS split syntax (${why})`);
  const m = SUB_SPEC.exec(spec);
  if (!m) throw bad('expected NAME or NAME[FROM:TO]');
  const [, split, selector, rounding] = m;
  if (split === 'all') {
    if (selector !== undefined) throw bad("'all' cannot be sliced");
    return 'all';
  }
  let from: string | undefined;
  let to: string | undefined;
  let unit: Instruction['unit'] = 'abs';
  if (selector !== undefined) {
    const parts = selector.split(':').map((s) => SLICE.exec(s.trim()));
    if (parts.some((p) => p === null) || parts.every((p) => p![0] === '')) throw bad('unreadable slice');
    if (parts.length === 1) {
      if (parts[0]![2] !== 'shard') throw bad('a single index is only allowed in shards, as [3shard]');
      from = parts[0]![1];
      to = String(Number(from) + 1);
      unit = 'shard';
    } else if (parts.length === 2) {
      [from, to] = [parts[0]![1], parts[1]![1]];
      const units = [parts[0]![2], parts[1]![2]].filter((u) => u !== undefined);
      if (new Set(units).size > 1) throw bad('both boundaries must use the same unit');
      unit = (units[0] as Instruction['unit'] | undefined) ?? 'abs';
    } else {
      throw bad('too many colons');
    }
  }
  const num = (s: string | undefined): number | null => (s === undefined ? null : Number(s));
  const inst: Instruction = { split, from: num(from), to: num(to), unit, rounding: (rounding as Instruction['rounding']) ?? 'closest' };
  for (const b of [inst.from, inst.to]) {
    if (b === null) continue;
    if (unit !== '%' && !Number.isInteger(b)) throw bad('only percentages may be fractional');
    if (unit === '%' && Math.abs(b) > 100) throw bad('percent boundaries must lie in [-100, 100]');
  }
  return inst;
}

function toAbsolute(inst: Instruction, info: SplitInfo, spec: string, what: string): SplitRange {
  const n = info.numExamples;
  const pct = (b: number): number => {
    if (inst.rounding === 'closest') return pyRound((b * n) / 100);
    if (n < 100) throw new UserError(`${what}: split '${spec}' uses pct1_dropremainder on a split of fewer than 100 examples`);
    return b * Math.trunc(n / 100);
  };
  let from: number;
  let to: number;
  if (inst.unit === '%') {
    from = inst.from === null ? 0 : pct(inst.from);
    to = inst.to === null ? n : pct(inst.to);
  } else if (inst.unit === 'shard') {
    const lengths = info.shardLengths ?? [n];
    const upTo = (k: number) => lengths.slice(0, k).reduce((a, b) => a + b, 0);
    from = inst.from === null ? 0 : upTo(inst.from);
    let t = inst.to;
    if (t !== null && t <= 0) t = lengths.length + t;
    to = t === null ? n : upTo(t);
  } else {
    from = inst.from ?? 0;
    to = inst.to ?? n;
  }
  if (Math.abs(from) > n || Math.abs(to) > n) {
    throw new UserError(`${what}: split '${spec}' asks for [${from}:${to}] of '${inst.split}', which has ${n} examples`);
  }
  if (from < 0) from += n;
  if (to < 0) to += n;
  return { split: inst.split, start: from, end: Math.max(from, to) };
}

/** Resolves a split spec against the stored splits; `what` names the dataset in errors. */
export function resolveSplit(spec: string, splits: Record<string, SplitInfo>, what: string): SplitRange[] {
  const subs = spec.split(/\s*\+\s*/);
  const ranges: SplitRange[] = [];
  for (const sub of subs) {
    const inst = parseOne(sub.trim(), what);
    if (inst === 'all') {
      for (const [name, info] of Object.entries(splits)) ranges.push({ split: name, start: 0, end: info.numExamples });
      continue;
    }
    const info = splits[inst.split];
    if (!info) {
      throw new UserError(`${what}: unknown split '${inst.split}'; it has ${Object.keys(splits).map((s) => `'${s}'`).join(', ')}`);
    }
    ranges.push(toAbsolute(inst, info, sub, what));
  }
  return ranges;
}

/**
 * The official subsample_rate applied to a split spec (libml/input_pipeline.py): 'train' becomes
 * 'train[:r%]'; a slice from the start, 'train[:80%]', becomes 'train[:⌊0.8·r⌋%]'; a slice to the
 * end, 'train[80%:]', becomes 'train[⌊100 − 0.2·r⌋%:]'. A rate ≤ 0 (the official -1) keeps the split.
 */
export function subsampleSplit(spec: string, rate: number): string {
  if (rate <= 0) return spec;
  if (/^[\w/-]+$/.test(spec)) return `${spec}[:${rate}%]`;
  const head = /^([\w/-]+)\[:(\d+)%\]$/.exec(spec);
  if (head) return `${head[1]}[:${Math.trunc((Number(head[2]) / 100) * rate)}%]`;
  const tail = /^([\w/-]+)\[(\d+)%:\]$/.exec(spec);
  if (tail) return `${tail[1]}[${Math.trunc(100 - ((100 - Number(tail[2])) / 100) * rate)}%:]`;
  throw new UserError(`subsample_rate ${rate} cannot be applied to the split '${spec}'`);
}
