// Format detection from a file's first bytes, on files written by numpy, Python's zipfile and
// torch.save (both serialisations), a safetensors file made to its spec, and near misses of each magic.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpointFormat } from '../../src/io/checkpoint-format.ts';
import { openOn } from '../helpers/fds.ts';
import { tempDir, throwsUserError } from './npz-helpers.ts';
import { SAMPLE, safetensorsBytes } from './safetensors-helpers.ts';

const dir = tempDir();
const path = (name: string) => join(dir, name);

execFileSync(
  '/usr/bin/python3',
  [
    '-c',
    `import sys, zipfile, numpy as np, torch
d = sys.argv[1]
np.savez(d + '/a.npz', w=np.ones(3, dtype=np.float32))
zipfile.ZipFile(d + '/empty.zip', 'w').close()
torch.save({'w': torch.ones(2)}, d + '/new.pt')
torch.save({'w': torch.ones(2)}, d + '/legacy.pt', _use_new_zipfile_serialization=False)`,
    dir,
  ],
  { encoding: 'utf8' },
);
fs.writeFileSync(path('model.safetensors'), safetensorsBytes(SAMPLE));

test('numpy, zipfile, torch.save and safetensors files are told apart by their bytes', () => {
  assert.deepEqual([...fs.readFileSync(path('empty.zip')).subarray(0, 4)], [0x50, 0x4b, 5, 6], 'an empty zip starts with its end record');
  const formats = ['a.npz', 'empty.zip', 'new.pt', 'model.safetensors'].map((name) => checkpointFormat(path(name)));
  assert.deepEqual(formats, ['npz', 'npz', 'torch', 'safetensors']);
  for (const name of ['a.npz', 'new.pt', 'model.safetensors']) assert.equal(openOn(path(name)), 0, `${name} is closed`);
});

test('a legacy torch.save pickle is named as such', () => {
  const legacy = path('legacy.pt');
  assert.deepEqual([...fs.readFileSync(legacy).subarray(0, 3)], [0x80, 0x02, 0x8a], 'PROTO 2, then LONG1 of the magic number');
  const message = `'${legacy}' is a PyTorch checkpoint in the legacy (pre-1.6) format; re-save it with torch.save(torch.load(f), g) from PyTorch 1.6 or later`;
  assert.equal(throwsUserError(() => checkpointFormat(legacy), message), message);
  assert.equal(openOn(legacy), 0);
});

test('near misses of the zip and pickle magics are not checkpoints', () => {
  const heads = [
    [0x00, 0x4b, 3, 4], // 'PK' without its P
    [0x50, 0x00, 3, 4], // ... without its K
    [0x00, 0x00, 3, 4],
    [0x00, 0x00, 5, 6],
    [0x50, 0x4b, 7, 8], // PK\7\8 marks a split archive's data descriptor, not a file we read
    [0x00, 0x02, 0x8a, 0x0a], // the legacy pickle without PROTO
    [0x80, 0x00, 0x8a, 0x0a],
    [0x80, 0x02, 0x00, 0x0a],
    [0x00, 0x00, 0x8a, 0x0a],
    [...new TextEncoder().encode('hello')],
  ];
  heads.forEach((head, i) => {
    const file = path(`near${i}.bin`);
    fs.writeFileSync(file, Uint8Array.from([...head, ...new Array(16).fill(0x20)]));
    const message = `'${file}' is not a checkpoint: neither an npz, a PyTorch zip (torch.save) nor a safetensors file`;
    assert.equal(throwsUserError(() => checkpointFormat(file), message), message, head.join(','));
    assert.equal(openOn(file), 0);
  });
});
