// No silent keys: every leaf of the config schema is read by the code (a property access or a
// destructuring outside comments), where it changes what happens or is refused with the reason.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { l2pConfigSchema } from '../../src/config/l2p.ts';
import { getPreset } from '../../src/config/presets.ts';
import { parseL2PConfig } from '../../src/config/l2p.ts';
import { shapeOf, type AnySchema } from '../../src/config/schema.ts';
import { UserError } from '../../src/errors.ts';

function leaves(s: AnySchema, path = ''): string[] {
  const shape = shapeOf(s);
  if (!shape) return [path];
  return Object.entries(shape).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The code of src/ without comments, so that a key named only in a comment has no reader. */
const code = sources('src')
  .map((f) => readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1'))
  .join('\n');

function hasReader(key: string): boolean {
  const name = key.slice(key.lastIndexOf('.') + 1);
  const access = new RegExp(`\\.${name}\\b`);
  const destructured = new RegExp(`\\{[^{}]*\\b${name}\\b[^{}]*\\}\\s*=`);
  return access.test(code) || destructured.test(code);
}

test('every config key has a reader in src/', () => {
  const all = leaves(l2pConfigSchema);
  assert.ok(all.length > 50 && all.includes('prompt_pool_param.embedding_key') && all.includes('optim_config.nesterov'));
  const unread = all.filter((k) => !hasReader(k));
  assert.deepEqual(unread, [], `keys accepted and never read: ${unread.join(', ')}`);
  assert.equal(hasReader('no_such_config_key'), false, 'the check can fail');
});

test('keys the official code reads but we do not support are refused with one line that says why', () => {
  const c = getPreset('cifar100_l2p');
  for (const [patch, key] of [
    [{ use_cls_token: false }, 'use_cls_token'],
    [{ norm_01: false }, 'norm_01'],
    [{ split_core50: true }, 'split_core50'],
  ] as const) {
    assert.throws(() => parseL2PConfig({ ...c, ...patch }), (e: Error) => e instanceof UserError && e.message.includes(`'${key}'`) && /not supported: \S/.test(e.message) && !e.message.includes('\n'));
  }
});
