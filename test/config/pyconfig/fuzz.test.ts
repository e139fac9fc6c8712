// Mutated config files must either read or fail with a UserError naming file:line:column (or the
// file): never another exception, never a hang. Both outcomes must occur: a run where every mutation
// reads never reached the checks, one where none reads never reached the evaluator. Fixed seeds, so a
// failing case can be replayed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../../src/errors.ts';
import { evaluateConfig } from '../../../src/config/pyconfig/evaluate.ts';
import { applyPyOverrides } from '../../../src/config/pyconfig/override.ts';
import { mulberry32 } from '../../../src/random.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', 'examples', 'configs');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.py')).sort().map((f) => readFileSync(join(DIR, f), 'utf8'));
const CASES = 1500;
/** Characters that matter to the tokenizer and parser, and some that are not Python at all. */
const ALPHABET = ['(', ')', '[', ']', '{', '}', ',', ':', '.', '=', '+', '-', '*', '/', '%', '"', "'", '\\', '#', '\n', ' ', '  ', '\t', '0', '1e', 'x', '_', 'if ', 'def ', 'return ', 'None', 'True', '\u00e9', '\0', '$', '"""', '**', '//'];

function mutate(src: string, rand: () => number): string {
  let s = src;
  const at = () => Math.floor(rand() * Math.max(1, s.length));
  for (let edits = 1 + Math.floor(rand() * 3); edits > 0; edits--) {
    const kind = Math.floor(rand() * 5);
    const i = at();
    if (kind === 0) s = s.slice(0, i) + s.slice(i + 1 + Math.floor(rand() * 4));
    else if (kind === 1) s = s.slice(0, i) + ALPHABET[Math.floor(rand() * ALPHABET.length)] + s.slice(i);
    else if (kind === 2) {
      const lines = s.split('\n');
      const l = Math.floor(rand() * lines.length);
      lines.splice(l, 1);
      s = lines.join('\n');
    } else if (kind === 3) {
      const lines = s.split('\n');
      const [a, b] = [Math.floor(rand() * lines.length), Math.floor(rand() * lines.length)];
      [lines[a], lines[b]] = [lines[b], lines[a]];
      s = lines.join('\n');
    } else s = s.slice(0, i);
  }
  return s;
}

function readsOrUserError(what: string, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof UserError)) assert.fail(`${what}: expected success or a UserError, got ${(e as Error).stack ?? String(e)}`);
    assert.match(e.message, /^f\.py(:\d+:\d+)?: /, what);
    assert.ok(!e.message.includes('\n'), `${what}: one line: ${e.message}`);
    return false;
  }
}

test(`${CASES} mutated config files read or fail with one located line (seed 21)`, () => {
  const rand = mulberry32(21);
  let read = 0;
  for (let c = 0; c < CASES; c++) {
    const src = mutate(FILES[c % FILES.length], rand);
    if (readsOrUserError(`case ${c}`, () => evaluateConfig(src, 'f.py'))) read++;
  }
  assert.ok(read > 0, 'no mutated file read: the mutations never reach the evaluator');
  assert.ok(read < CASES, 'every mutated file read: the checks were never reached');
});

test(`${CASES} random override values on every key of a file apply or fail with a UserError (seed 7)`, () => {
  const rand = mulberry32(7);
  const src = FILES[0];
  const root = evaluateConfig(src, 'f.py');
  const keys: string[] = [];
  const walk = (cd: typeof root, prefix: string) => {
    for (const [k, v] of cd.fields) {
      keys.push(prefix + k);
      if (v !== null && typeof v === 'object' && 'fields' in v) walk(v, `${prefix}${k}.`);
    }
  };
  walk(root, '');
  const pieces = ['1', '0', '-', '.', 'e', 'x', 'true', 'False', '[', ']', '(', ')', ',', '"', "'", '_', ' ', 'None', '{', '}', ':', '0x', 'nan'];
  let applied = 0;
  for (let c = 0; c < CASES; c++) {
    const fresh = evaluateConfig(src, 'f.py');
    const key = keys[Math.floor(rand() * keys.length)] + (rand() < 0.05 ? 'x' : '');
    const raw = Array.from({ length: Math.floor(rand() * 5) }, () => pieces[Math.floor(rand() * pieces.length)]).join('');
    try {
      applyPyOverrides(fresh, [{ key, raw: rand() < 0.05 ? undefined : raw }], 'f.py');
      applied++;
    } catch (e) {
      if (!(e instanceof UserError)) assert.fail(`--my_config.${key}=${raw}: ${(e as Error).stack}`);
      assert.ok(!e.message.includes('\n'));
    }
  }
  assert.ok(applied > 0 && applied < CASES, `${applied} of ${CASES} applied`);
});
