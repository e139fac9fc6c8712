// The zip reader on archives written by Python's zipfile and on ones laid out by hand after
// APPNOTE.TXT (test/io/zip-reader-fixtures.py): what it reads must match what zipfile reads, and
// each broken archive is refused with one line naming the file, the entry and the problem.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants as bufferConstants } from 'node:buffer';
import fsModule from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { ZipFile, fileError } from '../../src/io/zip-reader.ts';
import { openOn } from '../helpers/fds.ts';
import { tempDir, throwsUserError } from './npz-helpers.ts';

const dir = tempDir();
interface Seen {
  names?: string[];
  sizes?: number[];
  data?: string[];
  error?: string;
}
/** What Python's zipfile makes of each fixture, keyed by file name without '.zip'. */
const python = JSON.parse(execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'zip-reader-fixtures.py'), dir], { encoding: 'utf8' })) as Record<string, Seen>;
const file = (name: string) => join(dir, `${name}.zip`);
/** The MAX_LENGTH fixtures assume Node 20's 4 GiB buffers. */
const fourGiB = bufferConstants.MAX_LENGTH === 2 ** 32;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Opens a fixture, checks its names and sizes against zipfile's, and returns it. */
function openLikePython(name: string): ZipFile {
  const z = ZipFile.open(file(name));
  assert.deepEqual(z.entries.map((e) => e.name), python[name].names, name);
  assert.deepEqual(z.entries.map((e) => e.size), python[name].sizes, name);
  return z;
}

/** The refusal of `ZipFile.open` on a fixture: the exact message. */
function refusesToOpen(name: string, problem: string): void {
  assert.throws(() => ZipFile.open(file(name)), (e: unknown) => e instanceof UserError && e.message === `'${file(name)}' ${problem}`);
}

/** The refusal of reading the fixture's only entry (opening it succeeds). */
function refusesToRead(name: string, problem: string, read = (z: ZipFile) => z.read(z.entries[0])): void {
  const z = ZipFile.open(file(name));
  try {
    assert.throws(() => read(z), (e: unknown) => e instanceof UserError && e.message === `'${file(name)}' entry '${z.entries[0].name}': ${problem}`);
  } finally {
    z.close();
  }
}

type ReadSync = (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => number;

/** Runs `fn` with fs.readSync (as the reader sees it) replaced by `fake`, which is handed the real one. */
function withReadSync<T>(fake: (real: ReadSync, ...a: Parameters<ReadSync>) => number, fn: () => T): T {
  const fs = fsModule as unknown as { readSync: ReadSync };
  const real = fs.readSync;
  fs.readSync = (...a) => fake(real, ...a);
  syncBuiltinESMExports();
  try {
    return fn();
  } finally {
    fs.readSync = real;
    syncBuiltinESMExports();
  }
}

describe('archives zipfile reads', () => {
  test('stored and deflated entries: the bytes zipfile reads', () => {
    const z = openLikePython('plain');
    assert.deepEqual(z.entries.map((e) => e.method), [0, 8]);
    assert.deepEqual(z.entries.map((e) => hex(z.read(e))), python.plain.data);
    z.close();
  });

  test('an archive with no entries is the 22-byte end record alone', () => {
    openLikePython('empty').close();
    assert.deepEqual(python.empty.names, []);
  });

  test('an entry with an empty name, whose data ends exactly where the central directory starts', () => {
    const z = openLikePython('empty-name');
    assert.equal(hex(z.read(z.entries[0])), python['empty-name'].data![0]);
    z.close();
  });

  test('an entry comment is skipped to reach the next entry', () => {
    const z = openLikePython('entry-comment');
    assert.deepEqual(z.entries.map((e) => new TextDecoder().decode(z.read(e))), ['abc', 'defg']);
    z.close();
  });

  test('an archive comment holding an end record: the last one wins, as in zipfile', () => {
    openLikePython('fake-end-in-comment').close();
    assert.deepEqual(python['fake-end-in-comment'].names, []);
  });

  test('Zip64 sizes in an extra field that follows another field', () => {
    const z = openLikePython('zip64-after-timestamp');
    assert.equal(z.entries[0].compressedSize, 1028);
    assert.equal(hex(z.read(z.entries[0])), python['zip64-after-timestamp'].data![0]);
    z.close();
  });

  test('the deflate ratio limit itself is allowed', () => {
    const z = openLikePython('ratio-limit');
    assert.equal(z.entries[0].size, z.entries[0].compressedSize * 1032 + 1024);
    z.close();
  });

  test('a size of exactly buffer.constants.MAX_LENGTH is allowed', { skip: !fourGiB && 'buffers here pass 4 GiB' }, () => {
    openLikePython('max-length').close();
  });
});

describe('broken archives are refused when opened', () => {
  test('a file with no end record', () => {
    assert.match(python['not-a-zip'].error!, /File is not a zip file/);
    refusesToOpen('not-a-zip', 'is not a valid npz file: truncated (end of central directory not found)');
  });

  test('a central header without its signature', () => {
    assert.match(python['bad-central-signature'].error!, /Bad magic number for central directory/);
    refusesToOpen('bad-central-signature', 'is not a valid npz file: central directory entry 0 is corrupt');
  });

  test('a central header whose name runs past the directory', () => {
    refusesToOpen('name-past-directory', 'is not a valid npz file: central directory entry 0 is corrupt');
  });

  test('an encrypted entry', () => refusesToOpen('encrypted', "entry 'a': encrypted entries are not supported"));

  test('a compression method other than stored and deflate (bzip2)', () => {
    refusesToOpen('bzip2', "entry 'a': compression method 12 is not supported (only stored and deflate)");
  });

  test('a stored entry whose two sizes differ', () => refusesToOpen('stored-sizes-differ', "entry 'a': stored entry has compressed size 2 but size 3"));

  test('compressed data that would run into the central directory', () => {
    refusesToOpen('past-directory', "entry 'a': data runs past the start of the central directory");
  });

  test('a size deflate cannot reach from the compressed size', () => {
    refusesToOpen('ratio-over', "entry 'z': size 118673 is impossible for 114 compressed bytes");
  });

  test('a size past buffer.constants.MAX_LENGTH', { skip: !fourGiB && 'buffers here pass 4 GiB' }, () => {
    refusesToOpen('max-length-over', "entry 'm': size 4294967297 is impossible for 4161790 compressed bytes");
  });

  test('a name that appears twice', () => {
    assert.deepEqual(python.duplicate.names, ['a', 'a']);
    refusesToOpen('duplicate', "is not a valid npz file: entry 'a' appears twice");
  });

  test('Zip64 placeholders without room for both 64-bit sizes in the extra field', () => {
    assert.match(python['zip64-short'].error!, /Corrupt zip64 extra field/);
    refusesToOpen('zip64-short', "is not a valid npz file: entry 'a' lacks the Zip64 field its sizes need");
  });
});

describe('broken entries are refused when read', () => {
  test('deflate data that inflates to fewer bytes than the directory says', () => {
    refusesToRead('size-short', 'inflates to 1028 bytes, the directory says 1029');
  });

  test('deflate data that inflates to more bytes than the directory says', () => {
    refusesToRead('size-long', 'inflates to more bytes than the directory says');
  });

  test('deflate data that is not deflate', () => refusesToRead('corrupt-deflate', 'deflate data is corrupt (invalid block type)'));

  test('a local header without its signature', () => refusesToRead('local-signature', 'local header signature not found'));

  test('a local header naming another entry', () => refusesToRead('local-name', 'local header names a different entry'));

  test('a local extra field that pushes the data into the central directory', () => {
    refusesToRead('local-extra-past-directory', 'data runs past the start of the central directory');
  });
});

describe('reading a prefix of a deflated entry', () => {
  // 'stored-blocks' holds 4000 bytes as 1019-byte stored deflate blocks: each 1024 bytes of the
  // compressed stream hold one whole block, so how much of it a prefix needs is known exactly.
  /** readPrefix(wanted) of the entry, and the lengths of the reads of 1 KiB or more it made. */
  function prefix(wanted: number): { bytes: string; reads: number[] } {
    const z = ZipFile.open(file('stored-blocks'));
    const reads: number[] = [];
    try {
      const bytes = withReadSync((real, fd, buffer, offset, length, position) => {
        if (length >= 1024) reads.push(length);
        return real(fd, buffer, offset, length, position);
      }, () => z.readPrefix(z.entries[0], wanted));
      return { bytes: hex(bytes), reads };
    } finally {
      z.close();
    }
  }
  const data = python['stored-blocks'].data![0];

  test('a prefix the first kilobyte yields exactly: one read', () => {
    assert.deepEqual(prefix(1019), { bytes: data.slice(0, 2 * 1019), reads: [1024] });
  });

  test('a longer prefix: the read doubles until the blocks cover it, and no more is returned', () => {
    assert.deepEqual(prefix(1500), { bytes: data.slice(0, 2 * 1500), reads: [1024, 2048] });
  });

  test('more than the entry holds: the whole entry, after reading the whole stream', () => {
    assert.deepEqual(prefix(10_000), { bytes: data, reads: [1024, 2048, 4020] });
  });
});

describe('the descriptor', () => {
  test('close releases it, a second close is harmless, and a read after close is a bug', () => {
    const path = file('plain');
    const z = ZipFile.open(path);
    assert.equal(openOn(path), 1);
    z.close();
    assert.equal(openOn(path), 0);
    z.close();
    assert.throws(() => z.read(z.entries[0]), (e: unknown) => e instanceof Error && !(e instanceof UserError) && e.message === `'${path}' is closed`);
  });

  test('reads that return fewer bytes than asked are continued where they stopped', () => {
    const z = ZipFile.open(file('plain'));
    // POSIX lets read() return less than asked; a real readSync refuses a length past the buffer.
    const bytes = withReadSync((real, fd, buffer, offset, length, position) => {
      assert.ok(offset + length <= buffer.length, `asked for ${length} bytes at ${offset} of a ${buffer.length}-byte buffer`);
      return real(fd, buffer, offset, Math.min(length, 100), position);
    }, () => z.entries.map((e) => hex(z.read(e))));
    z.close();
    assert.deepEqual(bytes, python.plain.data);
  });

  test('a file cut short after it was opened', () => {
    const path = join(dir, 'cut.zip');
    fsModule.copyFileSync(file('plain'), path);
    const z = ZipFile.open(path);
    fsModule.truncateSync(path, 40);
    let calls = 0;
    const read = () => withReadSync((real, ...a) => {
      assert.ok(++calls < 100, 'readSync was called again and again after it returned 0');
      return real(...a);
    }, () => z.read(z.entries[1]));
    throwsUserError(read, `'${path}' is not a valid npz file: truncated while reading (did the file change?)`);
    z.close();
  });
});

test('fileError: what opening a file can fail with, in words', () => {
  const error = (code: string) => Object.assign(new Error(`${code}: open 'f'`), { code });
  const says = (code: string) => (fileError('f', error(code)) as Error).message;
  assert.equal(says('ENOENT'), "'f' does not exist");
  assert.equal(says('EISDIR'), "'f' is a directory, not a file");
  assert.equal(says('EACCES'), "'f' cannot be read (permission denied)");
  assert.equal(says('EPERM'), "'f' cannot be read (permission denied)");
  for (const code of ['ENOENT', 'EISDIR', 'EACCES', 'EPERM']) assert.ok(fileError('f', error(code)) instanceof UserError, code);
  const other = error('EIO');
  assert.equal(fileError('f', other), other);
});
