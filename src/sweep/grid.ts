// A sweep's points: the Cartesian product of `--grid key=v1,v2` axes and a seed axis, each point a
// config validated by the same schema as `l2p train --set`, named by a run id that depends only on
// how its config differs from the base config (so reordering axes or values keeps every id).
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { L2PConfig } from '../config/l2p.ts';
import { DATASET_KEYS } from '../config/datasets.ts';
import { parseSet, resolveConfig } from '../config/overrides.ts';
import { UserError } from '../errors.ts';
import { flattenConfig } from '../config/flatten.ts';

/**
 * How each seed of `--seeds` sets the class order:
 * - 'rand_seed': `seed` and `continual.rand_seed` both take the seed, so every seed trains its own
 *   class order (the official key; numpy's permutation of the split classes under that seed);
 * - 'pycil': every seed trains PyCIL's / LAMDA-PILOT's order (`continual.class_order: pycil` with
 *   `continual.rand_seed: 1993`: np.random.seed(1993), then a permutation of all the classes);
 *   the seed changes only `seed` (initialisation, data order);
 * - 'config': the seed changes only `seed`; the class order is the config's.
 */
export const CLASS_ORDERS = ['rand_seed', 'pycil', 'config'] as const;
export type ClassOrder = (typeof CLASS_ORDERS)[number];

/** PyCIL's and LAMDA-PILOT's default seed, which fixes the class order their papers report. */
export const PYCIL_SEED = 1993;

export interface GridAxis {
  /** The dotted config key, as for `--set`. */
  key: string;
  /** The value texts, as for `--set key=value`. */
  values: string[];
}

export interface SweepSpec {
  /** A preset name, or the absolute path of a JSON config file. */
  config: string;
  /** `--set` overrides applied to every point before its grid values. */
  sets: string[];
  grid: GridAxis[];
  /** The seed axis; null sweeps no seeds (every point keeps the config's seed). */
  seeds: number[] | null;
  classOrder: ClassOrder;
}

export interface SweepPoint {
  /** Position in the expansion: the Slurm array index. */
  index: number;
  id: string;
  /** The swept keys and their values as the resolved config holds them (numbers as numbers). */
  values: Record<string, unknown>;
  /** The seed of the seed axis, or null without one. */
  seed: number | null;
  /** The `--set` strings that make this point from the base config. */
  sets: string[];
  config: L2PConfig;
}

/** Splits 'a,b,[1,2],"x,y"' at the commas outside brackets, braces and quotes. */
export function splitValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === '"') quote = false;
    } else if (ch === '"') quote = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** One `--grid key=v1,v2,...` argument. */
export function parseGridArg(arg: string): GridAxis {
  if (!arg.includes('=')) throw new UserError(`--grid expects key=value1,value2,..., got '${arg}'`);
  const { key, raw } = parseSet(arg);
  const name = key.join('.');
  const values = raw === '' ? [] : splitValues(raw);
  if (values.length === 0 || values.some((v) => v === '')) throw new UserError(`--grid ${name}: empty value list or empty value in '${raw}'`);
  if (new Set(values).size !== values.length) throw new UserError(`--grid ${name}: a value is repeated in '${raw}'`);
  return { key: name, values };
}

/** `--seeds 0,1,2`: distinct non-negative integers. */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  const out = seeds.map((s) => {
    const n = Number(s);
    if (s === '' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UserError(`--seeds expects integers in [0, 2^32) separated by commas, got '${text}'`);
    return n;
  });
  if (new Set(out).size !== out.length) throw new UserError(`--seeds: a seed is repeated in '${text}'`);
  return out;
}

/** The config file as an absolute path (points are launched from other directories); a preset name as it is. */
export function configSource(config: string): string {
  return config.endsWith('.json') && !isAbsolute(config) ? resolve(config) : config;
}

function seedSets(seed: number, order: ClassOrder): string[] {
  if (order === 'rand_seed') return [`seed=${seed}`, `continual.rand_seed=${seed}`];
  if (order === 'pycil') return [`seed=${seed}`, 'continual.class_order=pycil', `continual.rand_seed=${PYCIL_SEED}`];
  return [`seed=${seed}`];
}

function valueAt(config: L2PConfig, key: string): unknown {
  let v: unknown = config;
  for (const part of key.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** Flattened keys whose values differ from the base, with the point's values, sorted by key. */
export function configDifference(base: L2PConfig, point: L2PConfig): [string, unknown][] {
  const b = new Map(flattenConfig(base).map(([k, v]) => [k, JSON.stringify(v)] as const));
  const p = flattenConfig(point);
  const keys = new Set([...b.keys(), ...p.map(([k]) => k)]);
  const pm = new Map(p);
  return [...keys]
    .filter((k) => b.get(k) !== JSON.stringify(pm.get(k)))
    .sort()
    .map((k) => [k, pm.has(k) ? pm.get(k) : null]);
}

const slugPart = (s: string) => s.replace(/[^A-Za-z0-9.+-]+/g, '-').replace(/^-+|-+$/g, '');

/**
 * A run id: a readable part from the swept values, keys sorted and the seed last
 * (`pool_size-20_seed-1`), and 8 hex digits of the
 * SHA-256 of the config difference from the base, so the id is the same whatever the axis order.
 */
export function runId(values: Record<string, unknown>, diff: [string, unknown][]): string {
  const readable = Object.keys(values)
    .sort((a, b) => Number(a === 'seed') - Number(b === 'seed') || (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${slugPart(k.split('.').pop()!)}-${slugPart(typeof values[k] === 'string' ? (values[k] as string) : JSON.stringify(values[k]))}`)
    .join('_')
    .slice(0, 80)
    .replace(/[-_]+$/, '');
  const hash = createHash('sha256').update(JSON.stringify(diff)).digest('hex').slice(0, 8);
  return `${readable || 'base'}-${hash}`;
}

/**
 * Every point of the sweep, first axis slowest and seeds fastest. Each point's config is resolved
 * and validated here, so a value the schema refuses fails the whole sweep before anything is written.
 */
export function expandGrid(spec: SweepSpec): { base: L2PConfig; points: SweepPoint[] } {
  if (spec.grid.length === 0 && (spec.seeds === null || spec.seeds.length === 0)) {
    throw new UserError('the sweep is empty: give at least one --grid key=v1,v2 or --seeds');
  }
  const keys = spec.grid.map((a) => a.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new UserError(`--grid ${dup} is given twice; list all its values in one --grid`);
  if (spec.seeds) {
    const clash = keys.find((k) => k === 'seed' || (spec.classOrder !== 'config' && (k === 'continual.rand_seed' || k === 'continual.class_order')));
    if (clash) throw new UserError(`--grid ${clash} clashes with --seeds (--class-order ${spec.classOrder} sets it per seed); drop one of them`);
  }
  const base = resolveConfig(spec.config, spec.sets);
  if (spec.seeds && spec.classOrder !== 'config' && !DATASET_KEYS[base.dataset].reads.includes('continual.rand_seed')) {
    throw new UserError(`--class-order ${spec.classOrder} sets continual.rand_seed per seed, which dataset '${base.dataset}' does not read (its task order is fixed); use --class-order config`);
  }
  // Resolve every key once on the base, so an unknown key is named before any combination is built.
  for (const a of spec.grid) pointConfig(spec, [`${a.key}=${a.values[0]}`], `--grid ${a.key}=${a.values[0]}`);

  let combos: { sets: string[]; values: Record<string, unknown>; label: string[] }[] = [{ sets: [], values: {}, label: [] }];
  for (const a of spec.grid) {
    combos = combos.flatMap((c) => a.values.map((v) => ({ sets: [...c.sets, `${a.key}=${v}`], values: c.values, label: [...c.label, `${a.key}=${v}`] })));
  }
  if (spec.seeds) {
    const seeds = spec.seeds;
    combos = combos.flatMap((c) => seeds.map((s) => ({ sets: [...c.sets, ...seedSets(s, spec.classOrder)], values: c.values, label: [...c.label, `seed=${s}`] })));
  }
  const seen = new Map<string, string>();
  const points = combos.map((c, index): SweepPoint => {
    const config = pointConfig(spec, c.sets, c.label.join(' '));
    const values: Record<string, unknown> = {};
    for (const k of keys) values[k] = valueAt(config, k);
    const seed = spec.seeds ? config.seed : null;
    if (seed !== null) values.seed = seed;
    const id = runId(values, configDifference(base, config));
    const other = seen.get(id);
    if (other !== undefined) throw new UserError(`grid points '${other}' and '${c.label.join(' ')}' give the same config; drop the repeated value`);
    seen.set(id, c.label.join(' '));
    return { index, id, values, seed, sets: c.sets, config };
  });
  return { base, points };
}

function pointConfig(spec: SweepSpec, sets: string[], label: string): L2PConfig {
  try {
    return resolveConfig(spec.config, [...spec.sets, ...sets]);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`grid point ${label}: ${e.message}`);
    throw e;
  }
}
