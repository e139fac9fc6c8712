import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { writeFileAtomic, writeJsonAtomic } from '../../src/io/atomic.ts';
import { tempDir, throwsUserError } from './npz-helpers.ts';

describe('writeFileAtomic', () => {
  const dir = tempDir();
  const target = join(dir, 'out.bin');
  const onlyTarget = () => assert.deepEqual(fs.readdirSync(dir), ['out.bin'], 'no temporary files are left');

  test('writes bytes, strings and chunk iterables, replacing the old file', () => {
    writeFileAtomic(target, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...fs.readFileSync(target)], [1, 2, 3]);
    writeFileAtomic(target, 'héllo');
    assert.equal(fs.readFileSync(target, 'utf8'), 'héllo');
    writeFileAtomic(target, [new Uint8Array([4]), new Uint8Array(0), new Uint8Array([5, 6])]);
    assert.deepEqual([...fs.readFileSync(target)], [4, 5, 6]);
    onlyTarget();
  });

  test('leaves the target untouched when the data throws mid-way', () => {
    writeFileAtomic(target, 'old');
    function* failing(): Generator<Uint8Array> {
      yield new TextEncoder().encode('new, partly written');
      throw new Error('generator failed');
    }
    assert.throws(() => writeFileAtomic(target, failing()), /generator failed/);
    assert.equal(fs.readFileSync(target, 'utf8'), 'old');
    onlyTarget();
  });

  test('a missing directory or a directory in the way is a UserError, with nothing left behind', () => {
    const missing = join(dir, 'no-such-dir', 'x.bin');
    throwsUserError(() => writeFileAtomic(missing, 'x'), `cannot write '${missing}': its directory does not exist`);
    const sub = join(dir, 'sub');
    fs.mkdirSync(sub);
    throwsUserError(() => writeFileAtomic(sub, 'x'), `cannot write '${sub}': it is a directory`);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['out.bin', 'sub']);
    fs.rmdirSync(sub);
  });

  test('writeJsonAtomic writes indented JSON with a final newline', () => {
    const path = join(dir, 'out.json');
    writeJsonAtomic(path, { a: [1, 2], b: 'x' });
    assert.equal(fs.readFileSync(path, 'utf8'), '{\n  "a": [\n    1,\n    2\n  ],\n  "b": "x"\n}\n');
    assert.throws(() => writeJsonAtomic(path, undefined), /undefined cannot be written as JSON/);
    fs.rmSync(path);
  });
});
