// Where a run's config comes from: a preset or a JSON file, then `--set key.path=value` overrides,
// then validation of the whole result against the schema.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { METHOD_KEYS } from '../methods/keys.ts';
import { onMethod } from './keys.ts';
import { l2pConfigSchema, parseL2PConfig, type L2PConfig } from './l2p.ts';
import { getPreset } from './presets.ts';
import { closest, join, shapeOf, unknownKey, type AnySchema, type Shape } from './schema.ts';

/** Splits 'prompt_pool_param.pool_size=20' into its key path and the raw value text. */
export function parseSet(arg: string): { key: string[]; raw: string } {
  const eq = arg.indexOf('=');
  const key = eq < 0 ? [] : arg.slice(0, eq).split('.');
  if (key.length === 0 || key.some((k) => k === '')) {
    throw new UserError(`--set expects key.path=value, got '${arg}'`);
  }
  return { key, raw: arg.slice(eq + 1) };
}

/** An override's value: JSON when the text parses as JSON (20, true, null, [], {...}), else the text. */
export function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Applies `--set` overrides to a copy of `config` and validates the result. A value meant for a
 * string key stays text even when it looks like JSON (`--set data_dir=2024`). `method=X` moves the
 * config to method X first (keys.ts onMethod: the keys X does not read go back to their defaults),
 * so that another method runs on a preset's data and recipe; keys set alongside are still checked.
 */
export function applyOverrides(config: L2PConfig, sets: readonly string[]): L2PConfig {
  const method = sets.map(parseSet).filter((s) => s.key.length === 1 && s.key[0] === 'method').at(-1)?.raw;
  const moved = method !== undefined && method !== config.method && Object.hasOwn(METHOD_KEYS, method);
  const out = structuredClone(moved ? onMethod(config, method as L2PConfig['method']) : config) as Record<string, unknown>;
  for (const arg of sets) {
    const { key, raw } = parseSet(arg);
    setKey(out, l2pConfigSchema, key, raw);
  }
  return parseL2PConfig(out);
}

function setKey(root: Record<string, unknown>, schema: AnySchema, key: string[], raw: string): void {
  let obj = root;
  let shape = shapeOf(schema) as Shape;
  let path = '';
  for (const [i, part] of key.entries()) {
    const last = i === key.length - 1;
    const child = Object.hasOwn(shape, part) ? shape[part] : undefined;
    if (last) {
      // An unknown leaf is set anyway, as an own property even if it is '__proto__', so that
      // validation names it, with a suggestion or the reason it is not supported.
      const value = child ? valueFor(raw, child) : parseValue(raw);
      Object.defineProperty(obj, part, { value, enumerable: true, writable: true, configurable: true });
      return;
    }
    const full = join(path, part);
    if (!child) {
      const groups = Object.keys(shape).filter((k) => shapeOf(shape[k]));
      throw unknownKey(full, part, groups);
    }
    const childShape = shapeOf(child);
    if (!childShape) throw notAGroup(full, child, shape, key.slice(i + 1).join('.'), path);
    const existing = obj[part];
    if (typeof existing !== 'object' || existing === null) obj[part] = {};
    obj = obj[part] as Record<string, unknown>;
    shape = childShape;
    path = full;
  }
}

function valueFor(raw: string, schema: AnySchema): unknown {
  const value = parseValue(raw);
  let s = schema;
  while ((s.kind === 'optional' || s.kind === 'nullable') && s.inner) {
    if (value === null && s.kind === 'nullable') return null;
    s = s.inner;
  }
  return (s.kind === 'string' || s.kind === 'enum') && typeof value !== 'string' ? raw : value;
}

function notAGroup(full: string, child: AnySchema, siblings: Shape, rest: string, path: string): UserError {
  // e.g. 'prompt_pool.pool_size': prompt_pool is a flag; the pool's fields live in prompt_pool_param.
  const leaf = rest.split('.')[0];
  const groups = Object.keys(siblings).filter((k) => shapeOf(siblings[k])?.[leaf] !== undefined);
  const near = closest(full.slice(path.length ? path.length + 1 : 0), groups) ?? groups[0];
  const hint = near === undefined ? '' : ` (did you mean '${join(join(path, near), rest)}'?)`;
  return new UserError(`config key '${full}' is ${child.expected}, not a group of keys, so '${full}.${rest}' cannot be set${hint}`);
}

/** Reads and validates a JSON config file, such as the config.json a run writes. */
export function loadConfigFile(path: string): L2PConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read config file '${path}': ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`config file '${path}' is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parseL2PConfig(value);
  } catch (e) {
    if (e instanceof UserError) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

/** The config named by a preset name or a path to a .json file, with `--set` overrides applied. */
export function resolveConfig(presetOrFile: string, sets: readonly string[] = []): L2PConfig {
  const base = presetOrFile.endsWith('.json') ? loadConfigFile(presetOrFile) : getPreset(presetOrFile);
  return applyOverrides(base, sets);
}
