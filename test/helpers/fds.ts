// Open file descriptors of this process, read from /proc (Linux).
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';

/** How many of this process's descriptors are open on `path` (other files' leaks do not count). */
export function openOn(path: string): number {
  const real = realpathSync(path);
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === real;
    } catch {
      return false; // the descriptor readdirSync itself held
    }
  }).length;
}
