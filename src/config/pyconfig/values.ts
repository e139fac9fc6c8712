// The values of the config language, with Python's types kept (an int field stays an int, so that
// `--my_config.key=0.5` is refused on it as ml_collections refuses it), and ConfigDict's type-safe
// assignment rules.

/** The types a config field can hold. */
export type PyType = 'NoneType' | 'bool' | 'int' | 'float' | 'str' | 'list' | 'tuple' | 'dict' | 'ConfigDict';

export type Num = { t: 'int' | 'float'; v: number };
export type Seq = { t: 'list' | 'tuple'; items: PyValue[] };
export type Dict = { t: 'dict'; entries: Map<string, PyValue> };

/** A ConfigDict: fields in the order they were first set. */
export class ConfigDict {
  readonly fields = new Map<string, PyValue | FieldRef>();
}

/** ml_collections.FieldReference: a typed cell that several fields may share. */
export class FieldRef {
  constructor(
    readonly type: PyType,
    public value: PyValue,
  ) {}
}

export type PyValue = null | boolean | string | Num | Seq | Dict | ConfigDict;

/** What a name can denote besides a value: a module, a constructor, a builtin type. */
export type Entity = { t: 'module'; name: string } | { t: 'ctor'; name: 'ConfigDict' | 'FieldReference' } | { t: 'type'; name: PyType };

export function int(v: number): Num {
  return { t: 'int', v };
}
export function float(v: number): Num {
  return { t: 'float', v };
}

export function typeOf(v: PyValue): PyType {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'str';
  if (v instanceof ConfigDict) return 'ConfigDict';
  return v.t;
}

/** Python's isinstance for these types: a bool is an int. */
export function isInstance(v: PyValue, type: PyType): boolean {
  const t = typeOf(v);
  return t === type || (t === 'bool' && type === 'int');
}

/**
 * The value as stored in a field of `type` (ml_collections' _safe_cast): an int becomes a float in a
 * float field, a tuple a list in a list field and back; undefined when the types do not agree.
 * None may replace, and be replaced by, anything.
 */
export function castTo(v: PyValue, type: PyType): PyValue | undefined {
  if (v === null || type === 'NoneType') return v;
  const t = typeOf(v);
  if (t === 'int' && type === 'float') return float((v as Num).v);
  if ((t === 'tuple' && type === 'list') || (t === 'list' && type === 'tuple')) return { t: type, items: (v as Seq).items };
  return isInstance(v, type) ? v : undefined;
}

/** The plain value: numbers, strings, booleans, null, arrays and objects (FieldReferences resolved). */
export function toPlain(v: PyValue | FieldRef): unknown {
  if (v instanceof FieldRef) return toPlain(v.value);
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof ConfigDict) return Object.fromEntries([...v.fields].map(([k, f]) => [k, toPlain(f)]));
  if (v.t === 'dict') return Object.fromEntries([...v.entries].map(([k, f]) => [k, toPlain(f)]));
  if (v.t === 'int' || v.t === 'float') return (v as Num).v;
  return (v as Seq).items.map(toPlain);
}

/** A dict becomes a ConfigDict when stored in one (nested dicts too), as ml_collections does. */
export function configDictOf(d: Dict | ConfigDict): ConfigDict {
  if (d instanceof ConfigDict) return d;
  const c = new ConfigDict();
  for (const [k, v] of d.entries) c.fields.set(k, v !== null && typeof v === 'object' && !(v instanceof ConfigDict) && v.t === 'dict' ? configDictOf(v) : v);
  return c;
}

/** Python's repr of a value, for messages. */
export function repr(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof ConfigDict) return 'ConfigDict(...)';
  if (v.t === 'int') return String(v.v);
  if (v.t === 'float') return Number.isInteger(v.v) ? `${v.v}.0` : String(v.v);
  if (v.t === 'dict') return `{${[...v.entries].map(([k, x]) => `${JSON.stringify(k)}: ${repr(x)}`).join(', ')}}`;
  const { items } = v as Seq;
  const inner = items.map(repr).join(', ');
  return v.t === 'list' ? `[${inner}]` : `(${inner}${items.length === 1 ? ',' : ''})`;
}
