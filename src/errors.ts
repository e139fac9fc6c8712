/**
 * An error caused by the user's input (a file, a flag, a config key) rather than by a bug.
 * The CLI prints its message alone, without a stack, and exits with status 1.
 * Messages name the file or key and say what is wrong with it.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Formats a path for error messages. */
export function where(path: string): string {
  return `'${path}'`;
}
