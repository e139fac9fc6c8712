// The PyTorch zip reader on a torch.save fixture (test/fixtures/torch/make.py says what it holds),
// and the restricted unpickler on pickles that name globals a state dict never needs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { unpickle } from '../../src/io/pickle.ts';
import { TorchZipFile } from '../../src/io/torch-zip.ts';
import { zipChunks } from '../../src/io/zip-writer.ts';
import { loadViT } from '../../src/vit/params.ts';
import { tempDir, throwsUserError } from './npz-helpers.ts';

const TINY = join(import.meta.dirname, '..', 'fixtures', 'torch', 'tiny.pth');
const PYTHON = '/usr/bin/python3';
const dir = tempDir();

test('torch zip: nested state dicts, f16/bf16 widened, strided views and offsets read as torch holds them', () => {
  const f = TorchZipFile.open(TINY);
  try {
    assert.deepEqual([...f.tensors.keys()], ['model.a', 'model.half', 'model.bf', 'model.t', 'model.p', 'model.sub.i', 'model.v']);
    assert.deepEqual(f.tensors.get('model.t'), { dtype: 'F32', shape: [3, 2] });
    assert.deepEqual([...f.read('model.a')], [0, 0.25, 0.5, 0.75, 1, 1.25]);
    assert.deepEqual([...f.read('model.half')], [1.5, -2, 0.25]);
    assert.deepEqual([...f.read('model.bf')], [-2.5, 3]);
    assert.deepEqual([...f.read('model.t')], [0, 0.75, 0.25, 1, 0.5, 1.25]);
    assert.deepEqual([...f.read('model.p')], [7]);
    assert.deepEqual([...f.read('model.v')], [1, 1.25]);
    throwsUserError(() => f.read('model.sub.i'), `'${TINY}' tensor 'model.sub.i': dtype I64 is not a float dtype`);
  } finally {
    f.close();
  }
});

test('torch zip: a truncated file is one line naming it', () => {
  const bytes = fs.readFileSync(TINY);
  const p = join(dir, 'cut.pth');
  fs.writeFileSync(p, bytes.subarray(0, bytes.length - 100));
  throwsUserError(() => loadViT(p), /^'.*cut\.pth' is not a valid zip archive: truncated \(end of central directory not found\)$/);
  // A storage cut short inside an intact directory: the entry's CRC or bounds say so.
  const bad = Buffer.from(bytes);
  bad[bytes.indexOf(Buffer.from(new Float32Array([0.25, 0.5]).buffer))] ^= 0xff; // inside model.a's storage
  fs.writeFileSync(p, bad);
  const f = TorchZipFile.open(p);
  try {
    throwsUserError(() => f.read('model.a'), /^'.*cut\.pth' entry 'tiny\/data\/0': CRC-32 mismatch \(the entry is corrupt\)$/);
  } finally {
    f.close();
  }
});

/** GLOBAL 'module\nname\n' then an argument tuple and REDUCE: the smallest pickle that calls something. */
function callPickle(module: string, name: string): Uint8Array {
  const enc = new TextEncoder();
  return Uint8Array.from([0x80, 2, 0x63, ...enc.encode(`${module}\n${name}\n`), 0x58, 2, 0, 0, 0, ...enc.encode('id'), 0x85, 0x52, 0x2e]);
}

test('unpickler: every global outside the state-dict set is refused by name, before any call', () => {
  for (const [m, n] of [['os', 'system'], ['posix', 'system'], ['builtins', 'eval'], ['builtins', 'exec'], ['subprocess', 'Popen'], ['torch', 'load'], ['collections', 'deque'], ['argparse', 'Namespace']]) {
    throwsUserError(() => unpickle(callPickle(m, n), "'x.pth' entry 'x/data.pkl'", () => null), `'x.pth' entry 'x/data.pkl': refused: the pickle names the global '${m}.${n}', which a state dict never needs`);
  }
  // STACK_GLOBAL (protocol 4) names are checked the same way.
  const enc = new TextEncoder();
  const p4 = Uint8Array.from([0x80, 4, 0x8c, 2, ...enc.encode('os'), 0x8c, 6, ...enc.encode('system'), 0x93, 0x2e]);
  throwsUserError(() => unpickle(p4, 'p4', () => null), "p4: refused: the pickle names the global 'os.system'");
});

test('unpickler: opcodes torch.save never writes for a state dict, and malformed streams, are one line', () => {
  throwsUserError(() => unpickle(Uint8Array.from([0x80, 2, 0x49, 0x31, 0x0a, 0x2e]), 's', () => null), 's: opcode 0x49 is not one torch.save writes for a state dict (at byte 2 of the pickle)');
  throwsUserError(() => unpickle(Uint8Array.from([0x80, 2, 0x30, 0x2e]), 's', () => null), 's: pops an empty stack (at byte 2 of the pickle)');
  throwsUserError(() => unpickle(Uint8Array.from([0x80, 2, 0x58, 9, 0, 0, 0, 0x61]), 's', () => null), 's: truncated (needs 9 more bytes, 1 are left) (at byte 7 of the pickle)');
  throwsUserError(() => unpickle(Uint8Array.from([0x80, 2, 0x68, 5, 0x2e]), 's', () => null), 's: reads memo slot 5, which was never set (at byte 2 of the pickle)');
  throwsUserError(() => unpickle(Uint8Array.from([0x80, 2]), 's', () => null), /^s: truncated/);
});

/** Writes with Python a checkpoint whose pickle calls `call` on `arg` when unpickled, plus a state dict beside it. */
function evilCheckpoint(file: string, how: 'torch.save' | 'pickle protocol 4', call: string, arg: string): void {
  execFileSync(PYTHON, ['-c', `
import collections, io, os, pickle, sys, zipfile, builtins
import torch
class Payload:
    def __reduce__(self):
        return (${call}, (sys.argv[3],))
sd = {'model': collections.OrderedDict(w=torch.zeros(2)), 'x': Payload()}
if sys.argv[2] == 'torch.save':
    torch.save(sd, sys.argv[1])
else:
    with zipfile.ZipFile(sys.argv[1], 'w') as z:
        z.writestr('evil/data.pkl', pickle.dumps(Payload(), protocol=4))
`, file, how, arg]);
}

for (const [how, call, global] of [
  ['torch.save', 'os.system', 'posix.system'],
  // Protocol 2 writes builtins under their Python 2 module name.
  ['torch.save', 'builtins.eval', '__builtin__.eval'],
  ['pickle protocol 4', 'os.system', 'posix.system'],
] as const) {
  test(`a ${how} pickle calling ${call} is refused naming ${global}, and nothing runs`, () => {
    const file = join(dir, `evil-${global}-${how.length}.pth`);
    const marker = join(dir, `ran-${global}-${how.length}`);
    const arg = call === 'os.system' ? `touch '${marker}'` : `open(${JSON.stringify(marker)}, 'w').close()`;
    evilCheckpoint(file, how, call, arg);
    // Through the command: one line naming the file and the global, status 1, nothing written.
    const out = join(dir, 'never.npy');
    let stderr = '';
    try {
      execFileSync(process.execPath, ['bin/l2p.mjs', 'features', '--checkpoint', file, '--images', file, '--out', out], { stdio: 'pipe' });
      assert.fail('l2p features accepted a pickle that calls a function');
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      assert.equal(err.status, 1);
      stderr = err.stderr.toString();
    }
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], new RegExp(`^l2p features: '${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' entry 'evil[^']*/data\\.pkl': refused: the pickle names the global '${global}'`));
    assert.ok(!fs.existsSync(marker), 'the payload ran');
    assert.ok(!fs.existsSync(out));
    // The same file is live: Python's own unpickler runs the payload.
    const load = how === 'torch.save' ? 'import torch; torch.load(sys.argv[1])' : "import pickle, zipfile; pickle.loads(zipfile.ZipFile(sys.argv[1]).read('evil/data.pkl'))";
    execFileSync(PYTHON, ['-c', `import sys; ${load}`, file], { stdio: 'pipe' });
    assert.ok(fs.existsSync(marker), 'Python did not run the payload: the test proves nothing');
  });
}

/** A torch zip by hand: one tensor 'w' of `size` at `offset` over a storage whose pickle says `numel` items and whose entry holds `bytes`. */
function handMade(file: string, o: { storage: string; numel: number; offset: number; size: number; bytes: Uint8Array }): void {
  const enc = new TextEncoder();
  const str = (s: string) => [0x58, ...new Uint8Array(new Uint32Array([s.length]).buffer), ...enc.encode(s)];
  const pkl = Uint8Array.from([
    0x80, 2, 0x7d, ...str('w'),
    0x63, ...enc.encode('torch._utils\n_rebuild_tensor_v2\n'),
    0x28, 0x28, ...str('storage'), 0x63, ...enc.encode(`torch\n${o.storage}\n`), ...str('0'), ...str('cpu'), 0x4b, o.numel, 0x74, 0x51,
    0x4b, o.offset, 0x4b, o.size, 0x85, 0x4b, 1, 0x85, 0x89, 0x29, 0x74, 0x52,
    0x73, 0x2e,
  ]);
  fs.writeFileSync(file, Buffer.concat([...zipChunks([{ name: 'a/data.pkl', parts: [pkl] }, { name: 'a/data/0', parts: [o.bytes] }], { compress: false })]));
}

test('torch zip: storages and views that disagree are one line naming file and tensor', () => {
  const p = join(dir, 'hand.pth');
  const four = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
  handMade(p, { storage: 'FloatStorage', numel: 4, offset: 1, size: 3, bytes: four });
  let f = TorchZipFile.open(p);
  assert.deepEqual([...f.read('w')], [2, 3, 4]);
  f.close();
  const fails = (o: Parameters<typeof handMade>[1], message: string) => {
    handMade(p, o);
    f = TorchZipFile.open(p);
    try {
      throwsUserError(() => f.read('w'), `'${p}' tensor 'w': ${message}`);
    } finally {
      f.close();
    }
  };
  fails({ storage: 'FloatStorage', numel: 4, offset: 2, size: 3, bytes: four }, 'shape [3] with strides [1] at offset 2 runs past its storage of 4 items');
  fails({ storage: 'FloatStorage', numel: 8, offset: 0, size: 3, bytes: four }, "storage 'a/data/0' holds 16 bytes, 8 F32 items need 32");
  fails({ storage: 'HalfStorage', numel: 4, offset: 0, size: 4, bytes: four }, "storage 'a/data/0' holds 16 bytes, 4 F16 items need 8");
  fails({ storage: 'LongStorage', numel: 2, offset: 0, size: 2, bytes: four }, 'dtype I64 is not a float dtype a backbone is stored in (F32, F16, BF16)');
  handMade(p, { storage: 'UntypedStorage', numel: 4, offset: 0, size: 4, bytes: four });
  throwsUserError(() => TorchZipFile.open(p), "refused: the pickle names the global 'torch.UntypedStorage'");
});
