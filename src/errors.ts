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

const FS_REASONS: Record<string, string> = {
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/** Why a file-system call failed, in words (`e.code` where there are none): never a guess. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return FS_REASONS[code] ?? (code || (e as Error).message);
}
