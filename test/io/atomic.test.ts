import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import nodeFs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { writeFileAtomic, writeJsonAtomic } from '../../src/io/atomic.ts';
import { openOn } from '../helpers/fds.ts';
import { tempDir, throwsUserError } from './npz-helpers.ts';

describe('writeFileAtomic', () => {
  const dir = tempDir();
  const target = join(dir, 'out.bin');
  const onlyTarget = () => assert.deepEqual(fs.readdirSync(dir), ['out.bin'], 'no temporary files are left');
  /** Descriptors of this process still open on a (deleted) temporary file in `dir`. */
  const openTemps = () => fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(join(dir, '.out.bin.'));
    } catch {
      return false;
    }
  });

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
    assert.deepEqual(openTemps(), [], 'the temporary file is closed');
  });

  test('a missing directory or a directory in the way is a UserError, with nothing left behind', () => {
    const missing = join(dir, 'no-such-dir', 'x.bin');
    throwsUserError(() => writeFileAtomic(missing, 'x'), `cannot write '${missing}': its directory does not exist`);
    const sub = join(dir, 'sub');
    fs.mkdirSync(sub);
    throwsUserError(() => writeFileAtomic(sub, 'x'), `cannot write '${sub}': it is a directory`);
    const parentIsFile = join(target, 'x.bin');
    throwsUserError(() => writeFileAtomic(parentIsFile, 'x'), `cannot write '${parentIsFile}': a parent of it is not a directory`);
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

  test('file system errors at the write become one sentence; the old file stays and nothing is left open', () => {
    writeFileAtomic(target, 'old');
    const codes = ['ENOSPC', 'EDQUOT', 'EROFS', 'EPERM', 'EACCES', 'EIO'];
    const script = `
      import * as fs from 'node:fs';
      const { writeFileAtomic } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/io/atomic.ts')).href)});
      const target = ${JSON.stringify(target)};
      const messages = ${JSON.stringify(codes)}.map(() => {
        try { writeFileAtomic(target, 'new'); return 'written'; } catch (e) { return e.name + ': ' + e.message; }
      });
      const temps = fs.readdirSync('/proc/self/fd').filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd).includes('.out.bin.'); } catch { return false; } });
      console.log(JSON.stringify({ messages, temps: temps.length, text: fs.readFileSync(target, 'utf8') }));`;
    const faults = codes.map((code, i) => `write:${i + 1}:${code}`).join(',');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, L2P_FAULT: faults } });
    assert.equal(r.status, 0, r.stderr);
    const cannot = `UserError: cannot write '${target}'`;
    assert.deepEqual(JSON.parse(r.stdout), {
      messages: [
        `${cannot}: the disk is full`,
        `${cannot}: the disk quota is exceeded`,
        `${cannot}: the file system is read-only`,
        `${cannot}: permission denied`,
        `${cannot}: permission denied`,
        'Error: EIO: injected by L2P_FAULT at write 6',
      ],
      temps: 0,
      text: 'old',
    });
    onlyTarget();
  });
});

describe('writeFileAtomic and the file system calls beneath it', () => {
  const dir = tempDir();
  const target = join(dir, 'out.bin');

  /** Runs `fn` with some node:fs functions replaced (seen by atomic.ts's namespace import too), then restores them. */
  function withFs(patch: Partial<typeof nodeFs>, fn: () => void): void {
    const saved = Object.fromEntries(Object.keys(patch).map((k) => [k, nodeFs[k as keyof typeof nodeFs]]));
    Object.assign(nodeFs, patch);
    syncBuiltinESMExports();
    try {
      fn();
    } finally {
      Object.assign(nodeFs, saved);
      syncBuiltinESMExports();
    }
  }

  test('after the rename, the directory is opened, fsynced and closed', () => {
    const { openSync, fsyncSync, renameSync, closeSync } = nodeFs;
    const calls: string[] = [];
    const dirFds = new Set<number>();
    withFs(
      {
        openSync: ((path: string, flags: string) => {
          const fd = openSync(path, flags);
          if (path === dir) dirFds.add(fd);
          calls.push(`open ${path === dir ? 'dir' : 'file'} ${flags}`);
          return fd;
        }) as typeof openSync,
        fsyncSync: (fd: number) => (calls.push(`fsync ${dirFds.has(fd) ? 'dir' : 'file'}`), fsyncSync(fd)),
        renameSync: (from: fs.PathLike, to: fs.PathLike) => (calls.push('rename'), renameSync(from, to)),
        closeSync: (fd: number) => (calls.push(`close ${dirFds.has(fd) ? 'dir' : 'file'}`), closeSync(fd)),
      },
      () => writeFileAtomic(target, 'x'),
    );
    assert.deepEqual(calls, ['open file wx', 'fsync file', 'close file', 'rename', 'open dir r', 'fsync dir', 'close dir']);
    assert.equal(openOn(dir), 0);
  });

  test('a directory that cannot be opened (as on Windows) still gets the file', () => {
    const { openSync } = nodeFs;
    const refuse = ((path: string, flags: string) => {
      if (path === dir) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${dir}'`), { code: 'EISDIR' });
      return openSync(path, flags);
    }) as typeof openSync;
    withFs({ openSync: refuse }, () => writeFileAtomic(target, 'windows'));
    assert.equal(fs.readFileSync(target, 'utf8'), 'windows');
  });

  test('short writes are continued from where they stopped', () => {
    const { writeSync } = nodeFs;
    const sizes: number[] = [];
    const short = ((fd: number, buf: Uint8Array, offset: number, length: number) => {
      // Node refuses a range past the buffer; the kernel may write less than asked.
      assert.ok(offset + length <= buf.byteLength, `write of ${length} at ${offset} runs past a ${buf.byteLength}-byte chunk`);
      const n = writeSync(fd, buf, offset, Math.min(length, 3));
      sizes.push(n);
      return n;
    }) as typeof writeSync;
    withFs({ writeSync: short }, () => writeFileAtomic(target, [new TextEncoder().encode('abcdefgh'), new TextEncoder().encode('ij')]));
    assert.equal(fs.readFileSync(target, 'utf8'), 'abcdefghij');
    assert.deepEqual(sizes, [3, 3, 2, 2]);
  });
});
