// Which method a golden case exercises: case.json's "method" ('l2p' when absent).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.ts';

export type CaseMethod = 'l2p' | 'dualprompt' | 'coda_prompt';

export function caseMethod(dir: string): CaseMethod {
  const file = join(dir, 'case.json');
  let c: { method?: unknown };
  try {
    c = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`'${file}' cannot be read as JSON: ${(e as Error).message}`);
  }
  const m = c.method ?? 'l2p';
  if (m !== 'l2p' && m !== 'dualprompt' && m !== 'coda_prompt') throw new UserError(`'${file}': method ${JSON.stringify(m)} is not one debug-step runs ('l2p', 'dualprompt', 'coda_prompt')`);
  return m;
}
