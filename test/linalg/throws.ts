// Asserts that an async call rejects with a UserError whose message equals (string) or matches (RegExp).
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.ts';

export async function throwsUserAsync(f: () => Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(f, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}
