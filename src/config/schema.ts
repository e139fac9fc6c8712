// A small schema library for configs: each schema parses an unknown value (parsed JSON, a preset,
// an override) into a typed one, or throws a UserError naming the dotted key that is wrong.
// The config's TypeScript type is inferred from its schema (`Infer<typeof s>`), so it is written once.
import { UserError } from '../errors.ts';

export type Kind = 'number' | 'int' | 'string' | 'bool' | 'enum' | 'list' | 'object' | 'optional' | 'nullable' | 'any';

export interface Schema<T> {
  readonly kind: Kind;
  /** What a value must be, as a phrase after "must be": 'an integer', "one of 'adam', 'sgd'". */
  readonly expected: string;
  /** Optional schemas may be left out of an object; only `optional()` sets this. */
  readonly isOptional?: boolean;
  /** The wrapped schema of `optional`, `nullable` and `list`. */
  readonly inner?: AnySchema;
  /** The fields of an `object` schema. */
  readonly shape?: Shape;
  /** Parses `value` found at dotted key `path` ('' for the root). */
  parse(value: unknown, path: string): T;
}

/** Any schema: `Schema<T>` uses T only as a result, so every schema is a `Schema<unknown>`. */
export type AnySchema = Schema<unknown>;
export type Shape = Record<string, AnySchema>;
export type Infer<S> = S extends Schema<infer T> ? T : never;

type OptionalSchema<T> = Schema<T | undefined> & { readonly isOptional: true };
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly isOptional: true } ? K : never }[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] };
export type InferShape<S extends Shape> = Flatten<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

/** Formats a value for an error message: JSON for plain values, shortened for big ones. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const s = JSON.stringify(value) ?? typeof value;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Joins a dotted key path: join('a', 'b') = 'a.b', join('', 'b') = 'b'. */
export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** A value that is not what the schema at `path` takes: of another type (`wrongType`) or out of range. */
export class ConfigValueError extends UserError {
  constructor(
    readonly path: string,
    expected: string,
    value: unknown,
    readonly wrongType: boolean,
  ) {
    super(`${path === '' ? 'the config' : `config key '${path}'`} must be ${expected}, got ${show(value)}`);
  }
}

/** The error for a value of the wrong type at `path`. */
export function invalid(path: string, expected: string, value: unknown): ConfigValueError {
  return new ConfigValueError(path, expected, value, true);
}

function leaf<T>(kind: Kind, expected: string, ok: (v: unknown) => v is T, check?: (v: T) => string | undefined): Schema<T> {
  return {
    kind,
    expected,
    parse(value, path) {
      if (!ok(value)) throw invalid(path, expected, value);
      const problem = check?.(value);
      if (problem !== undefined) throw new ConfigValueError(path, problem, value, false);
      return value;
    },
  };
}

type Range = { min?: number; max?: number };
function rangeCheck({ min, max }: Range): (v: number) => string | undefined {
  return (v) => (min !== undefined && v < min ? `>= ${min}` : max !== undefined && v > max ? `<= ${max}` : undefined);
}

export function number(range: Range = {}): Schema<number> {
  return leaf('number', 'a number', (v): v is number => typeof v === 'number' && Number.isFinite(v), rangeCheck(range));
}

export function int(range: Range = {}): Schema<number> {
  return leaf('int', 'an integer', (v): v is number => Number.isInteger(v), rangeCheck(range));
}

export function string(): Schema<string> {
  return leaf('string', 'a string', (v): v is string => typeof v === 'string');
}

export function bool(): Schema<boolean> {
  return leaf('bool', 'true or false', (v): v is boolean => typeof v === 'boolean');
}

/** Any value at all (parsed JSON): for keys that nothing reads, kept as given. */
export function anything(): Schema<unknown> {
  return { kind: 'any', expected: 'any value', parse: (value) => value };
}

export function enumOf<const V extends readonly string[]>(values: V): Schema<V[number]> {
  const expected = `one of ${values.map((v) => `'${v}'`).join(', ')}`;
  return {
    kind: 'enum',
    expected,
    parse(value, path) {
      if (typeof value === 'string' && values.includes(value)) return value;
      const near = typeof value === 'string' ? closest(value, values) : undefined;
      const err = invalid(path, expected, value);
      if (near !== undefined) err.message += ` (did you mean '${near}'?)`;
      throw err;
    },
  };
}

export function list<T>(item: Schema<T>): Schema<T[]> {
  const article = /^an? /.exec(item.expected);
  const expected = article ? `a list of ${item.expected.slice(article[0].length)}s` : `a list, each item ${item.expected}`;
  return {
    kind: 'list',
    expected,
    inner: item,
    parse(value, path) {
      if (!Array.isArray(value)) throw invalid(path, expected, value);
      return value.map((v, i) => item.parse(v, `${path}[${i}]`));
    },
  };
}

export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return {
    kind: 'optional',
    expected: inner.expected,
    isOptional: true,
    inner,
    parse: (value, path) => (value === undefined ? undefined : inner.parse(value, path)),
  };
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  const expected = `${inner.expected} or null`;
  return {
    kind: 'nullable',
    expected,
    inner,
    parse(value, path) {
      if (value === null) return null;
      try {
        return inner.parse(value, path);
      } catch (e) {
        // A wrong type at this key says null was allowed too; range errors and errors deeper inside are kept.
        if (e instanceof ConfigValueError && e.wrongType && e.path === path) throw invalid(path, expected, value);
        throw e;
      }
    },
  };
}

/**
 * A strict object: every key of `shape` must be present unless its schema is `optional`, and any
 * other key is an error that suggests the nearest known key. `retired` names keys that are known
 * but deliberately not supported, with the reason, so the error says so instead of "unknown".
 */
export function object<S extends Shape>(shape: S, retired: Record<string, string> = {}): Schema<InferShape<S>> {
  const expected = 'an object of config keys';
  return {
    kind: 'object',
    expected,
    shape,
    parse(value, path) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, expected, value);
      const input = value as Record<string, unknown>;
      for (const key of Object.keys(input)) {
        if (Object.hasOwn(shape, key)) continue;
        throw unknownKey(join(path, key), key, Object.keys(shape), Object.hasOwn(retired, key) ? retired[key] : undefined);
      }
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(shape)) {
        const v = input[key];
        if (v === undefined && !schema.isOptional) throw new UserError(`config key '${join(path, key)}' is missing`);
        const parsed = schema.parse(v, join(path, key));
        if (parsed !== undefined) out[key] = parsed;
      }
      return out as InferShape<S>;
    },
  };
}

/** The error for a key that `known` does not contain, with a suggestion or a reason. */
export function unknownKey(fullPath: string, key: string, known: readonly string[], reason?: string): UserError {
  if (reason !== undefined) return new UserError(`config key '${fullPath}' is not supported: ${reason}`);
  const near = closest(key, known);
  const prefix = fullPath.slice(0, fullPath.length - key.length);
  const hint = near === undefined ? '' : ` (did you mean '${prefix}${near}'?)`;
  return new UserError(`config key '${fullPath}' is unknown${hint}`);
}

/** The fields of an object schema, looking through `optional` and `nullable`; undefined otherwise. */
export function shapeOf(schema: AnySchema): Shape | undefined {
  if (schema.shape) return schema.shape;
  if ((schema.kind === 'optional' || schema.kind === 'nullable') && schema.inner) return shapeOf(schema.inner);
  return undefined;
}

/** The candidate nearest to `word` by edit distance, if it is near enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
