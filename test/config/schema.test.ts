import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bool, closest, editDistance, enumOf, int, list, nullable, number, object, optional, string } from '../../src/config/schema.ts';
import { throwsUser } from '../helpers/errors.ts';

const s = object({
  name: string(),
  rate: number({ min: 0 }),
  tags: list(string()),
  ckpt: nullable(string()),
  extra: optional(bool()),
  inner: object({ pool_size: int({ min: 1 }), mode: enumOf(['uniform', 'zero']) }, { old_key: 'gone for a reason' }),
});
const good = { name: 'a', rate: 0.5, tags: ['x'], ckpt: null, inner: { pool_size: 3, mode: 'zero' } };

test('a valid object parses to an equal, fresh value', () => {
  const v = s.parse(good, '');
  assert.deepEqual(v, good);
  assert.notEqual(v.tags, good.tags);
  assert.deepEqual(s.parse({ ...good, extra: true }, '').extra, true);
});

test('wrong types name the dotted key and show the value', () => {
  throwsUser(() => s.parse({ ...good, rate: 'fast' }, ''), `config key 'rate' must be a number, got "fast"`);
  throwsUser(() => s.parse({ ...good, inner: { pool_size: 'ten', mode: 'zero' } }, ''), `config key 'inner.pool_size' must be an integer, got "ten"`);
  throwsUser(() => s.parse({ ...good, inner: { pool_size: 2.5, mode: 'zero' } }, ''), `config key 'inner.pool_size' must be an integer, got 2.5`);
  throwsUser(() => s.parse({ ...good, tags: ['x', 3] }, ''), `config key 'tags[1]' must be a string, got 3`);
  throwsUser(() => s.parse({ ...good, tags: 'x' }, ''), `config key 'tags' must be a list of strings, got "x"`);
  throwsUser(() => s.parse({ ...good, ckpt: 5 }, ''), `config key 'ckpt' must be a string or null, got 5`);
  throwsUser(() => s.parse({ ...good, inner: 7 }, ''), `config key 'inner' must be an object of config keys, got 7`);
  throwsUser(() => s.parse([], ''), 'the config must be an object of config keys, got []');
});

test('ranges and enums', () => {
  throwsUser(() => s.parse({ ...good, rate: -1 }, ''), `config key 'rate' must be >= 0, got -1`);
  throwsUser(() => s.parse({ ...good, inner: { pool_size: 0, mode: 'zero' } }, ''), `config key 'inner.pool_size' must be >= 1, got 0`);
  throwsUser(
    () => s.parse({ ...good, inner: { pool_size: 1, mode: 'zeros' } }, ''),
    `config key 'inner.mode' must be one of 'uniform', 'zero', got "zeros" (did you mean 'zero'?)`,
  );
  assert.throws(() => number().parse(Infinity, 'x'), /must be a number, got Infinity/);
});

test('unknown keys are rejected with the nearest known key, or the reason they are retired', () => {
  throwsUser(
    () => s.parse({ ...good, inner: { pool_sise: 3, mode: 'zero' } }, ''),
    `config key 'inner.pool_sise' is unknown (did you mean 'inner.pool_size'?)`,
  );
  throwsUser(() => s.parse({ ...good, zzzzzz: 1 }, ''), `config key 'zzzzzz' is unknown`);
  throwsUser(() => s.parse({ ...good, inner: { ...good.inner, old_key: 1 } }, ''), `config key 'inner.old_key' is not supported: gone for a reason`);
});

test('missing required keys are named; optional ones may be left out', () => {
  const { rate: _, ...noRate } = good;
  throwsUser(() => s.parse(noRate, ''), `config key 'rate' is missing`);
  throwsUser(() => s.parse({ ...good, inner: { mode: 'zero' } }, ''), `config key 'inner.pool_size' is missing`);
  assert.equal('extra' in s.parse(good, ''), false);
});

test('edit distance and suggestions', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(closest('pool_sise', ['pool_size', 'length', 'top_k']), 'pool_size');
  assert.equal(closest('lr', ['learning_rate', 'seed']), undefined);
});

test('nullable: a wrong type says null was allowed too; a range error and an error inside are kept', () => {
  const clip = nullable(number({ min: 0 }));
  throwsUser(() => clip.parse('x', 'clip'), `config key 'clip' must be a number or null, got "x"`);
  throwsUser(() => clip.parse(-1, 'clip'), `config key 'clip' must be >= 0, got -1`);
  const names = nullable(list(string()));
  throwsUser(() => names.parse(['a', 2], 'names'), `config key 'names[1]' must be a string, got 2`);
  // The same text as a type error, but at another key: kept (the check is by kind and key, not by message).
  const inner = nullable(object({ a: nullable(string()) }));
  throwsUser(() => inner.parse({ a: 5 }, ''), `config key 'a' must be a string or null, got 5`);
});
