// The one error of the config-file reader: `file:line:column: what`, as Python and compilers print it.
import { UserError } from '../../errors.ts';

/** A 1-based source position. */
export interface Where {
  line: number;
  col: number;
}

export class PyConfigError extends UserError {
  constructor(file: string, at: Where, what: string) {
    super(`${file}:${at.line}:${at.col}: ${what}`);
  }
}
