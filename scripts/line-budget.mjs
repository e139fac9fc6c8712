#!/usr/bin/env node
// The line budget: no source file under src/, test/, bench/ or scripts/ (TypeScript, JavaScript,
// Python) passes 400 lines, so that each stays one a reader holds in their head. Test data
// (test/fixtures/) is not source. Usage: node scripts/line-budget.mjs [ROOT...]; exits 1 naming
// every file over the budget.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const LIMIT = 400;
const SOURCE = /\.(ts|mts|js|mjs|py)$/;
const SKIP = new Set(['node_modules', 'fixtures']);

/** [file, lines] of every source file under `roots` longer than LIMIT lines. */
export function overBudget(roots) {
  const over = [];
  const walk = (p) => {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) if (!SKIP.has(name)) walk(join(p, name));
    } else if (SOURCE.test(p)) {
      const text = readFileSync(p, 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      if (lines > LIMIT) over.push([relative(process.cwd(), p), lines]);
    }
  };
  for (const r of roots) walk(r);
  return over;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const roots = process.argv.length > 2 ? process.argv.slice(2) : ['src', 'test', 'bench', 'scripts'];
  const over = overBudget(roots);
  for (const [f, n] of over) console.error(`${f}: ${n} lines, over the budget of ${LIMIT}; split it`);
  process.exit(over.length > 0 ? 1 : 0);
}
