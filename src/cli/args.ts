// Numeric flags, parsed one way for every command: decimal digits only (no '', ' 3', '1e2', '0x10',
// '2.5'), within the flag's bounds, or one UserError naming the flag and the value.
import { UserError } from '../errors.ts';

export interface IntBounds {
  min?: number;
  max?: number;
}

/** The integer `v` given for `flag` (default bounds: at least 1). */
export function intArg(v: string, flag: string, { min = 1, max = Number.MAX_SAFE_INTEGER }: IntBounds = {}): number {
  const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : `an integer >= ${min}`) : `an integer from ${min} to ${max}`;
    throw new UserError(`${flag} must be ${range}, got '${v}'`);
  }
  return n;
}

/** As intArg, for a flag that may be left out. */
export function optionalInt(v: string | undefined, flag: string, bounds?: IntBounds): number | undefined {
  return v === undefined ? undefined : intArg(v, flag, bounds);
}

/** A finite decimal number >= `min` (default 0) for `flag`. */
export function numberArg(v: string, flag: string, min = 0): number {
  const n = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < min) throw new UserError(`${flag} must be a number >= ${min}, got '${v}'`);
  return n;
}
