// The PyTorch zip reader on a torch.save fixture (test/fixtures/torch/make.py says what it holds),
// and the restricted unpickler on pickles that name globals a state dict never needs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { unpickle } from '../../src/io/pickle.ts';
import { TorchZipFile, torchArchiveFolder } from '../../src/io/torch-zip.ts';
import type { ZipEntry } from '../../src/io/zip-reader.ts';
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

const enc = new TextEncoder();
const str = (s: string) => [0x58, ...new Uint8Array(new Uint32Array([s.length]).buffer), ...enc.encode(s)];
const int = (n: number) => [0x4a, ...new Uint8Array(new Int32Array([n]).buffer)];
const ints = (xs: number[]) => [0x28, ...xs.flatMap(int), 0x74];
/** The persistent id ('storage', torch.<storage>, key, 'cpu', numel), opcode by opcode. */
const pidOf = (storage: string, key: string, numel: number) => [0x28, ...str('storage'), 0x63, ...enc.encode(`torch\n${storage}\n`), ...str(key), ...str('cpu'), ...int(numel), 0x74];
/** {'w': _rebuild_tensor_v2(persistent_load(pid), offset, size, stride)} as a protocol 2 pickle. */
function viewPickle(o: { pid?: number[]; offset?: number; size: number[]; stride: number[] }): Uint8Array {
  return Uint8Array.from([
    0x80, 2, 0x7d, ...str('w'), 0x63, ...enc.encode('torch._utils\n_rebuild_tensor_v2\n'),
    0x28, ...(o.pid ?? pidOf('FloatStorage', '0', 4)), 0x51, ...int(o.offset ?? 0), ...ints(o.size), ...ints(o.stride), 0x74, 0x52, 0x73, 0x2e,
  ]);
}
const FOUR = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
/** A zip of `entries` (name -> bytes) at a fresh path. */
function zipOf(entries: Record<string, Uint8Array | string>, name = 'hand.pth'): string {
  const p = join(dir, name);
  const parts = Object.entries(entries).map(([n, b]) => ({ name: n, parts: [typeof b === 'string' ? enc.encode(b) : b] }));
  fs.writeFileSync(p, Buffer.concat([...zipChunks(parts, { compress: false })]));
  return p;
}
function openAndRead(p: string, name = 'w'): number[] {
  const f = TorchZipFile.open(p);
  try {
    return [...f.read(name)];
  } finally {
    f.close();
  }
}
const exactly = (fn: () => unknown, line: string) => assert.equal(throwsUserError(fn, line), line);

test('torch zip: the archive folder is the one <name>/data.pkl, and a big-endian archive is refused', () => {
  const entries = (...names: string[]) => names.map((name) => ({ name }) as ZipEntry);
  assert.equal(torchArchiveFolder(entries('x/data.pkl', 'x/data/0', 'x/version')), 'x/');
  for (const names of [['x/data/0'], ['data.pkl'], ['a/b/data.pkl'], ['a/data.pkl', 'b/data.pkl'], ['a/data.pkl2'], ['a/xdata.pkl']]) {
    assert.equal(torchArchiveFolder(entries(...names)), undefined, names.join(' '));
  }
  const none = zipOf({ 'a/data/0': FOUR, 'b/data.pkl': viewPickle({ size: [4], stride: [1] }), 'c/data.pkl': viewPickle({ size: [4], stride: [1] }) });
  exactly(() => TorchZipFile.open(none), `'${none}' is not a PyTorch checkpoint: the zip holds no single '<archive>/data.pkl'`);
  const pkl = viewPickle({ size: [4], stride: [1] });
  const big = zipOf({ 'a/data.pkl': pkl, 'a/byteorder': 'big', 'a/data/0': FOUR });
  exactly(() => TorchZipFile.open(big), `'${big}': big-endian PyTorch checkpoints are not supported`);
  const odd = zipOf({ 'a/data.pkl': pkl, 'a/byteorder': 'little\n', 'a/data/0': FOUR });
  exactly(() => TorchZipFile.open(odd), `'${odd}': big-endian PyTorch checkpoints are not supported`);
  // The pickle is found by its name, wherever it lies in the zip.
  assert.deepEqual(openAndRead(zipOf({ 'a/byteorder': 'little', 'a/data.pkl': pkl, 'a/data/0': FOUR })), [1, 2, 3, 4]);
});

test('torch zip: persistent ids that are not a storage are one line naming the data.pkl entry', () => {
  const cases: [number[], string][] = [
    [str('storage'), "a persistent id is not ('storage', type, key, location, numel)"],
    [[0x28, ...str('storage'), 0x63, ...enc.encode('torch\nFloatStorage\n'), ...str('0'), ...str('cpu'), 0x74], "a persistent id is not ('storage', type, key, location, numel)"],
    [[...pidOf('FloatStorage', '0', 4).slice(0, -1), 0x4e, 0x74], "a persistent id is not ('storage', type, key, location, numel)"],
    [[0x28, ...str('Storage'), ...pidOf('FloatStorage', '0', 4).slice(13)], "a persistent id is not ('storage', type, key, location, numel)"],
    [[0x28, ...str('storage'), ...str('FloatStorage'), ...str('0'), ...str('cpu'), ...int(4), 0x74], "a persistent id is not ('storage', type, key, location, numel)"],
    [[0x28, ...str('storage'), 0x63, ...enc.encode('torch\nFloatStorage\n'), ...int(0), ...str('cpu'), ...int(4), 0x74], "a persistent id is not ('storage', type, key, location, numel)"],
    [pidOf('FloatStorage', '0', -1), "a persistent id is not ('storage', type, key, location, numel)"],
    [[...pidOf('FloatStorage', '0', 4).slice(0, -6), 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x74], "a persistent id is not ('storage', type, key, location, numel)"],
    [[...pidOf('FloatStorage', '0', 4).slice(0, -6), 0x4e, 0x74], "a persistent id is not ('storage', type, key, location, numel)"],
    [[...pidOf('FloatStorage', '0', 4).slice(0, -6), 0x8a, 7, 0, 0, 0, 0, 0, 0, 0x20, 0x74], "a persistent id is not ('storage', type, key, location, numel)"],
    [[0x28, ...str('storage'), 0x63, ...enc.encode('collections\nOrderedDict\n'), ...str('0'), ...str('cpu'), ...int(4), 0x74], "'collections.OrderedDict' is not a storage type"],
    [pidOf('FloatStorage', '../0', 4), "storage key '../0' is not a plain name"],
    [pidOf('FloatStorage', '', 4), "storage key '' is not a plain name"],
    [pidOf('FloatStorage', 'a-b', 4), "storage key 'a-b' is not a plain name"],
  ];
  for (const [pid, problem] of cases) {
    const p = zipOf({ 'a/data.pkl': viewPickle({ pid, size: [4], stride: [1] }), 'a/data/0': FOUR });
    exactly(() => TorchZipFile.open(p), `'${p}' entry 'a/data.pkl': ${problem}`);
  }
  // Each storage class by the safetensors dtype name of its items.
  const dtypes = { FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL' };
  for (const [storage, dtype] of Object.entries(dtypes)) {
    const f = TorchZipFile.open(zipOf({ 'a/data.pkl': viewPickle({ pid: pidOf(storage, '0', 4), size: [4], stride: [1] }), 'a/data/0': FOUR }));
    assert.deepEqual(f.tensors.get('w'), { dtype, shape: [4] });
    f.close();
  }
  // Zero items and a key of letters, digits and '_' are fine.
  const ok = zipOf({ 'a/data.pkl': viewPickle({ pid: pidOf('FloatStorage', 'k_9Z', 0), size: [0], stride: [1] }), 'a/data/k_9Z': new Uint8Array(0) });
  assert.deepEqual(openAndRead(ok), []);
});

test('torch zip: views read by their strides; negative offsets or strides and missing storages are refused', () => {
  const read = (o: Parameters<typeof viewPickle>[0], data = FOUR) => openAndRead(zipOf({ 'a/data.pkl': viewPickle(o), 'a/data/0': data }));
  assert.deepEqual(read({ offset: 2, size: [3], stride: [0] }), [3, 3, 3]);
  assert.deepEqual(read({ offset: 1, size: [2, 2], stride: [0, 2] }), [2, 4, 2, 4]);
  assert.deepEqual(read({ offset: 3, size: [0, 9], stride: [1, 1] }), []);
  assert.deepEqual(read({ offset: 1, size: [1, 3], stride: [7, 1] }), [2, 3, 4]);
  assert.deepEqual(read({ offset: 0, size: [2, 1, 2], stride: [2, 5, 1] }), [1, 2, 3, 4]);
  assert.deepEqual(read({ offset: 0, size: [2, 2], stride: [1, 2] }), [1, 3, 2, 4]);
  // The last axis alone is laid out row-major; the view is not contiguous.
  assert.deepEqual(read({ offset: 0, size: [2, 2], stride: [1, 1] }), [1, 2, 2, 3]);
  const fails = (o: Parameters<typeof viewPickle>[0], problem: string, entries: Record<string, Uint8Array> = { 'a/data/0': FOUR }) => {
    const p = zipOf({ 'a/data.pkl': viewPickle(o), ...entries });
    const f = TorchZipFile.open(p);
    try {
      exactly(() => f.read('w'), `'${p}' tensor 'w': ${problem}`);
      exactly(() => f.read('x'), `'${p}' has no tensor 'x'`);
    } finally {
      f.close();
    }
  };
  fails({ offset: -1, size: [2], stride: [1] }, 'shape [2] with strides [1] at offset -1 runs past its storage of 4 items');
  fails({ offset: 3, size: [2], stride: [-1] }, 'shape [2] with strides [-1] at offset 3 runs past its storage of 4 items');
  fails({ offset: 1, size: [2, 2], stride: [2, -1] }, 'shape [2, 2] with strides [2, -1] at offset 1 runs past its storage of 4 items');
  fails({ offset: 0, size: [2, 2], stride: [3, 1] }, 'shape [2, 2] with strides [3, 1] at offset 0 runs past its storage of 4 items');
  fails({ offset: 0, size: [4], stride: [1] }, "its storage 'a/data/0' is missing from the archive", { 'a/data/1': FOUR });
});

test('torch zip: permuted, sliced and expanded views written by torch read as torch reads them; nesting to 12 dicts, cycles walked once', () => {
  const p = join(dir, 'views.pth');
  const want = JSON.parse(execFileSync(PYTHON, ['-c', `
import json, sys, torch
base = torch.arange(48.).reshape(2, 3, 8)
views = {'perm': base[:, :, 1:5].permute(2, 0, 1), 'col': base[1, :, 3], 'exp': torch.tensor([2.5]).expand(3), 'half': base.half()[1].t()}
def nest(n):
    return {'w': torch.ones(1)} if n == 1 else {'a': nest(n - 1)}
s = {'w': torch.full((2,), 3.)}
s['self'] = s
torch.save({'views': views, 'd12': nest(11), 'd13': nest(12), 's': s, 'again': s, 'l': [torch.zeros(1)], 'n': 3, 'none': None}, sys.argv[1])
print(json.dumps({k: v.float().contiguous().flatten().tolist() for k, v in views.items()}))
`, p], { encoding: 'utf8' })) as Record<string, number[]>;
  const f = TorchZipFile.open(p);
  try {
    assert.deepEqual([...f.tensors.keys()], ['views.perm', 'views.col', 'views.exp', 'views.half', `d12.${'a.'.repeat(10)}w`, 's.w']);
    assert.deepEqual(f.tensors.get('views.perm'), { dtype: 'F32', shape: [4, 2, 3] });
    for (const k of Object.keys(want)) assert.deepEqual([...f.read(`views.${k}`)], want[k], k);
    assert.deepEqual([...f.read('s.w')], [3, 3]);
  } finally {
    f.close();
  }
});

test('torch zip: a refused archive leaves no descriptor open, and close() releases an opened one', () => {
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  const big = zipOf({ 'a/data.pkl': viewPickle({ size: [4], stride: [1] }), 'a/byteorder': 'big', 'a/data/0': FOUR });
  const before = fds();
  for (let i = 0; i < 3; i++) throwsUserError(() => TorchZipFile.open(big), 'big-endian');
  assert.equal(fds(), before);
  const f = TorchZipFile.open(TINY);
  assert.equal(fds(), before + 1);
  f.close();
  assert.equal(fds(), before);
});
