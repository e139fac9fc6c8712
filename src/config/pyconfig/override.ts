// `--my_config.a.b=VALUE` overrides with ml_collections' rules (config_flags with lock_config=True):
// the value is parsed by the type of the field the file defines (absl's bool, int and float parsers,
// a Python literal for a list or tuple, the text itself for a str, the field_type of a
// FieldReference); a key the file does not define, or a field holding a plain None, cannot be set.
import { UserError } from '../../errors.ts';
import { closest } from '../schema.ts';
import type { Expr } from './ast.ts';
import { article } from './evaluate.ts';
import { parseExpression } from './parse.ts';
import { castTo, ConfigDict, configDictOf, FieldRef, float, int, typeOf, type PyType, type PyValue } from './values.ts';

export interface Override {
  /** The dotted key after `--my_config.`. */
  key: string;
  /** The text after '=' (or the next argument); undefined for a bare `--my_config.flag`. */
  raw?: string;
  /** Given as `--nomy_config.key`: false for a bool field. */
  no?: boolean;
}

/** Applies `overrides` in order to the config `root` read from `file`. */
export function applyPyOverrides(root: ConfigDict, overrides: readonly Override[], file: string, flag = 'my_config'): void {
  // As config_flags: a later flag that sets a whole group would silently undo an earlier one inside it.
  const order = [...new Map(overrides.map((o) => [o.key, o])).keys()];
  for (const [i, a] of order.entries()) {
    for (const b of order.slice(i + 1)) {
      if (a.startsWith(`${b}.`)) throw new UserError(`--${flag}.${b} is given after --${flag}.${a} and would overwrite it; give --${flag}.${b} first`);
    }
  }
  const tuples = new Map<string, PyValue[]>();
  for (const o of overrides) {
    const name = `--${o.no ? 'no' : ''}${flag}.${o.key}`;
    const { holder, field, current } = locate(root, o.key, name, file);
    const type = current instanceof FieldRef ? current.type : typeOf(current);
    let value: PyValue;
    if (type === 'tuple') {
      // A tuple flag may be repeated, each occurrence adding elements (absl's multi flag).
      const items = [...(tuples.get(o.key) ?? []), ...tupleItems(needValue(o, name, type))];
      tuples.set(o.key, items);
      value = { t: 'tuple', items };
    } else value = parseAs(type, o, name, file, o.key);
    if (current instanceof FieldRef) current.value = value;
    else holder.fields.set(field, value);
  }
}

function locate(root: ConfigDict, key: string, name: string, file: string): { holder: ConfigDict; field: string; current: PyValue | FieldRef } {
  const parts = key.split('.');
  let holder = root;
  for (const [i, part] of parts.entries()) {
    const current = holder.fields.get(part);
    const path = parts.slice(0, i + 1).join('.');
    if (current === undefined) {
      const near = closest(part, [...holder.fields.keys()]);
      const hint = near === undefined ? '' : ` (did you mean '${[...parts.slice(0, i), near].join('.')}'?)`;
      throw new UserError(`${name}: ${file} defines no key '${path}'${hint}; a key the config file does not define cannot be set (lock_config=True)`);
    }
    if (i === parts.length - 1) return { holder, field: part, current };
    const inner = current instanceof FieldRef ? current.value : current;
    if (!(inner instanceof ConfigDict)) throw new UserError(`${name}: '${path}' in ${file} is ${article(typeOf(inner))}, not a group of keys`);
    holder = inner;
  }
  throw new UserError(`${name}: an empty key`);
}

function needValue(o: Override, name: string, type: PyType): string {
  if (o.no) throw new UserError(`${name}: the 'no' prefix is only for bool keys; this key holds ${article(type)}`);
  if (o.raw === undefined) throw new UserError(`${name} needs a value (${name}=VALUE): the key holds ${article(type)}`);
  return o.raw;
}

function parseAs(type: PyType, o: Override, name: string, file: string, key: string): PyValue {
  const bad = (raw: string): never => {
    throw new UserError(`${name}=${raw}: '${key}' is ${article(type)} in ${file}, and '${raw}' is not ${article(type)}`);
  };
  if (type === 'bool') {
    if (o.raw === undefined) return !o.no;
    if (o.no) throw new UserError(`${name}=${o.raw}: a bool key takes no value with the 'no' prefix`);
    const v = o.raw.toLowerCase();
    if (['true', 't', '1'].includes(v)) return true;
    if (['false', 'f', '0'].includes(v)) return false;
    return bad(o.raw);
  }
  if (type === 'NoneType') throw new UserError(`${name}: '${key}' is None in ${file}, and ml_collections cannot override a None field (make it a FieldReference with a field_type)`);
  const raw = needValue(o, name, type);
  switch (type) {
    case 'str':
      return raw;
    case 'int': {
      // absl's IntegerParser: int(text, 16) after '0x', int(text, 8) after '0o', else int(text, 10).
      const s = raw.trim();
      const hex = /^0[xX](_?[0-9a-fA-F])+$/.test(s) ? 16 : /^0[oO](_?[0-7])+$/.test(s) ? 8 : 0;
      const ok = hex > 0 || /^[-+]?[0-9](_?[0-9])*$/.test(s);
      const n = !ok ? NaN : hex > 0 ? Number.parseInt(s.slice(2).replace(/_/g, ''), hex) : Number(s.replace(/_/g, ''));
      if (!Number.isSafeInteger(n)) bad(raw);
      return int(n);
    }
    case 'float': {
      const s = raw.trim();
      const num = /^[-+]?([0-9](_?[0-9])*(\.([0-9](_?[0-9])*)?)?|\.[0-9](_?[0-9])*)([eE][-+]?[0-9](_?[0-9])*)?$/.test(s);
      const special = /^[-+]?(inf|infinity|nan)$/i.test(s);
      if (!num && !special) bad(raw);
      return float(special ? (s.toLowerCase().includes('nan') ? NaN : s.startsWith('-') ? -Infinity : Infinity) : Number(s.replace(/_/g, '')));
    }
    case 'list': {
      const v = castTo(literal(raw), 'list');
      if (v === undefined || v === null) bad(raw);
      return v as PyValue;
    }
    case 'ConfigDict': {
      const v = literal(raw);
      if (v === null || typeof v !== 'object' || v instanceof ConfigDict || v.t !== 'dict') return bad(raw);
      return configDictOf(v);
    }
    default:
      return bad(raw);
  }
}

/** absl's tuple parser: a Python literal made a tuple, or the text as one element. */
function tupleItems(raw: string): PyValue[] {
  const v = literal(raw);
  if (v !== null && typeof v === 'object' && !(v instanceof ConfigDict) && (v.t === 'list' || v.t === 'tuple')) return v.items;
  return [v];
}

/** A Python literal (ast.literal_eval), else JSON (true, false, null), else the text itself. */
export function literal(raw: string): PyValue {
  try {
    return literalValue(parseExpression(raw, 'value'));
  } catch {
    try {
      return fromJson(JSON.parse(raw));
    } catch {
      return raw;
    }
  }
}

function literalValue(e: Expr): PyValue {
  switch (e.kind) {
    case 'const':
      return typeof e.value === 'number' ? (e.float ? float(e.value) : int(e.value)) : e.value;
    case 'list':
    case 'tuple':
      return { t: e.kind, items: e.items.map(literalValue) };
    case 'dict':
      return {
        t: 'dict',
        entries: new Map(
          e.entries.map(({ key, value }) => {
            const k = literalValue(key);
            if (typeof k !== 'string') throw new Error('not a string key');
            return [k, literalValue(value)];
          }),
        ),
      };
    case 'unary': {
      const x = literalValue(e.operand);
      if (x === null || typeof x !== 'object' || x instanceof ConfigDict || (x.t !== 'int' && x.t !== 'float')) throw new Error('not a number');
      return { t: x.t, v: e.op === '-' ? -x.v : x.v };
    }
    default:
      throw new Error('not a literal');
  }
}

function fromJson(v: unknown): PyValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? int(v) : float(v);
  if (Array.isArray(v)) return { t: 'list', items: v.map(fromJson) };
  return { t: 'dict', entries: new Map(Object.entries(v as object).map(([k, x]) => [k, fromJson(x)])) };
}
