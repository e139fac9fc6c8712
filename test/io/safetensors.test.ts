import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SafetensorsFile, looksLikeSafetensors } from '../../src/io/safetensors.ts';
import { tempDir, throwsUserError } from './npz-helpers.ts';
import { SAMPLE, f32, safetensorsBytes, type RawTensor } from './safetensors-helpers.ts';

const dir = tempDir();
function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

test('safetensors: F32, F16 and BF16 read as float32, in the file order', () => {
  const f = SafetensorsFile.open(write('ok.safetensors', safetensorsBytes(SAMPLE)));
  try {
    assert.deepEqual([...f.tensors.keys()], ['w', 'h', 'b', 'i']);
    assert.deepEqual(f.tensors.get('w'), { dtype: 'F32', shape: [2, 2] });
    assert.deepEqual([...f.read('w')], [1, -2, 0.5, 3]);
    assert.deepEqual([...f.read('h')], [1.5, -2, 0.25]);
    assert.deepEqual([...f.read('b')], [-2.5, 3]);
  } finally {
    f.close();
  }
});

test('safetensors: a non-float tensor is listed, and refused when read, naming file and tensor', () => {
  const p = write('int.safetensors', safetensorsBytes(SAMPLE));
  const f = SafetensorsFile.open(p);
  try {
    throwsUserError(() => f.read('i'), `'${p}' tensor 'i': dtype I64 is not a float dtype a backbone is stored in (F32, F16, BF16)`);
  } finally {
    f.close();
  }
});

test('safetensors: a header claiming more bytes than the file has is one line naming the file', () => {
  const bytes = safetensorsBytes(SAMPLE);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length), true);
  const p = write('overrun.safetensors', bytes);
  throwsUserError(() => SafetensorsFile.open(p), `'${p}' is not a valid safetensors file: the header claims ${bytes.length} bytes, the file has ${bytes.length - 8} after the length`);
  new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
  throwsUserError(() => SafetensorsFile.open(write('huge.safetensors', bytes)), /the header claims 9223372036854775808 bytes/);
});

test('safetensors: a truncated file names the tensor that runs past the data', () => {
  const bytes = safetensorsBytes(SAMPLE);
  const p = write('cut.safetensors', bytes.subarray(0, bytes.length - 10));
  throwsUserError(() => SafetensorsFile.open(p), /^'.*cut\.safetensors' is not a valid safetensors file: tensor 'b' ends at byte 26 of the data, which has 24$/);
  throwsUserError(() => SafetensorsFile.open(write('tiny.safetensors', bytes.subarray(0, 5))), /truncated \(5 bytes, the header length alone needs 8\)/);
});

test('safetensors: shape, offsets and dtype that disagree are refused naming the tensor', () => {
  const lie = (t: object) => write('lie.safetensors', safetensorsBytes({ w: { ...SAMPLE.w, ...t } }));
  throwsUserError(() => SafetensorsFile.open(lie({ shape: [3, 2] })), "tensor 'w' holds 16 bytes, shape [3, 2] F32 needs 24");
  throwsUserError(() => SafetensorsFile.open(lie({ dtype: 'F16' })), "tensor 'w' holds 16 bytes, shape [2, 2] F16 needs 8");
  throwsUserError(() => SafetensorsFile.open(lie({ dtype: 'Q4' })), `tensor 'w' has an unknown dtype "Q4"`);
  throwsUserError(() => SafetensorsFile.open(lie({ shape: [2, -2] })), "tensor 'w' has shape [2,-2], not a list of non-negative integers");
  throwsUserError(() => SafetensorsFile.open(lie({ offsets: [8, 4] })), "tensor 'w' has data_offsets [8,4], not [begin, end] with begin <= end");
  throwsUserError(() => SafetensorsFile.open(write('json.safetensors', safetensorsBytes({ w: { ...SAMPLE.w, bytes: f32(1, 2, 3, 4) } }).map((b, i) => (i === 8 ? 0x5b : b)))), /the header is not JSON/);
});

/** 8-byte little-endian length, then `header` as written, then `data`. */
function raw(header: string, data: Uint8Array = new Uint8Array(0), claimed?: number): Uint8Array {
  const text = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(claimed ?? text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}
const invalid = (p: string, problem: string) => `'${p}' is not a valid safetensors file: ${problem}`;
/** Asserts the exact one-line refusal of opening `bytes`. */
function refused(bytes: Uint8Array, problem: string | RegExp): void {
  const p = write('bad.safetensors', bytes);
  const message = throwsUserError(() => SafetensorsFile.open(p), typeof problem === 'string' ? invalid(p, problem) : problem);
  if (typeof problem === 'string') assert.equal(message, invalid(p, problem));
}

test('safetensors: the sniffing test needs 9 bytes, a length from 2 to the file size, then {', () => {
  const head = (n: number, brace = 0x7b) => Uint8Array.from([...raw('', new Uint8Array(0), n).subarray(0, 8), brace]);
  assert.equal(looksLikeSafetensors(head(2), 100), true);
  assert.equal(looksLikeSafetensors(head(1), 100), false);
  assert.equal(looksLikeSafetensors(head(100), 100), true);
  assert.equal(looksLikeSafetensors(head(101), 100), false);
  assert.equal(looksLikeSafetensors(head(2, 0x5b), 100), false);
  assert.equal(looksLikeSafetensors(head(2).subarray(0, 8), 100), false);
  // A view into a larger buffer reads its own bytes.
  const big = new Uint8Array(20);
  big.set(head(5), 3);
  assert.equal(looksLikeSafetensors(big.subarray(3, 12), 5), true);
});

test('safetensors: a header that fills the file exactly, a zero-size tensor and tensors out of file order', () => {
  const empty = SafetensorsFile.open(write('empty.safetensors', raw('{}')));
  assert.equal(empty.tensors.size, 0);
  empty.close();
  const header = JSON.stringify({ z: { dtype: 'F32', shape: [0], data_offsets: [8, 8] }, w: { dtype: 'F32', shape: [2], data_offsets: [8, 16] }, v: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] }, u: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } });
  const f = SafetensorsFile.open(write('order.safetensors', raw(header, Uint8Array.from([1, 2, 3, 4, 0x20, 0xc0, 0x40, 0x40, ...f32(5, -6)]))));
  try {
    assert.deepEqual([...f.tensors], [['z', { dtype: 'F32', shape: [0] }], ['w', { dtype: 'F32', shape: [2] }], ['v', { dtype: 'BF16', shape: [2] }], ['u', { dtype: 'U8', shape: [4] }]]);
    assert.deepEqual([...f.read('w')], [5, -6]);
    assert.deepEqual([...f.read('v')], [-2.5, 3]);
    assert.deepEqual(f.read('z'), new Float32Array(0));
    throwsUserError(() => f.read('nope'), `'${f.path}' has no tensor 'nope'`);
  } finally {
    f.close();
  }
});

test('safetensors: lengths and headers that are not safetensors, each one line naming the file', () => {
  refused(new Uint8Array(7), 'truncated (7 bytes, the header length alone needs 8)');
  refused(new Uint8Array(8), /^'.*' is not a valid safetensors file: the header is not JSON \(.+\)$/);
  refused(raw('{}', new Uint8Array(0), 3), 'the header claims 3 bytes, the file has 2 after the length');
  refused(raw('[]'), 'the header is not a JSON object');
  refused(raw('null'), 'the header is not a JSON object');
  refused(raw('5'), 'the header is not a JSON object');
  refused(Uint8Array.from([5, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x22, 0xff, 0x22, 0x7d]), 'the header is not JSON (The encoded data was not valid for encoding utf-8)');
  for (const v of ['5', 'null', '"F32"']) refused(raw(`{"w": ${v}}`), `tensor 'w' is not an object`);
});

test('safetensors: a header over 100 MB is refused before it is read', () => {
  // Sparse files: the length field claims the rest of the file.
  for (const [n, problem] of [[100_000_001, 'the header claims 100000001 bytes, more than safetensors allows'], [100_000_000, 'the header is not JSON (The encoded data was not valid for encoding utf-8)']] as const) {
    const p = join(dir, 'big.safetensors');
    const fd = fs.openSync(p, 'w');
    fs.writeSync(fd, raw('', Uint8Array.from([0xff]), n));
    fs.ftruncateSync(fd, 8 + n);
    fs.closeSync(fd);
    assert.equal(throwsUserError(() => SafetensorsFile.open(p), invalid(p, problem)), invalid(p, problem));
  }
});

test('safetensors: dtypes, shapes and offsets the header gets wrong, by their exact line', () => {
  const one = (t: Record<string, unknown>, data = f32(1, 2, 3, 4)) => raw(JSON.stringify({ __metadata__: { format: 'pt' }, w: t }), data);
  const w = { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] };
  refused(one({ ...w, dtype: 5 }), "tensor 'w' has an unknown dtype 5");
  refused(one({ ...w, dtype: undefined }), "tensor 'w' has an unknown dtype undefined");
  refused(one({ ...w, dtype: 'toString' }), `tensor 'w' has an unknown dtype "toString"`);
  // A list holding a dtype's name is no dtype, though JavaScript would look its name up as a key.
  refused(one({ ...w, dtype: ['F32'] }), `tensor 'w' has an unknown dtype ["F32"]`);
  refused(one({ ...w, shape: 4 }), "tensor 'w' has shape 4, not a list of non-negative integers");
  refused(one({ ...w, shape: [1.5] }), "tensor 'w' has shape [1.5], not a list of non-negative integers");
  const offsets = (o: string) => `tensor 'w' has data_offsets ${o}, not [begin, end] with begin <= end`;
  refused(one({ ...w, data_offsets: undefined }), offsets('undefined'));
  refused(one({ ...w, data_offsets: '0,16' }), offsets('"0,16"'));
  refused(one({ ...w, data_offsets: [16] }), offsets('[16]'));
  refused(one({ ...w, data_offsets: [0, 8, 16] }), offsets('[0,8,16]'));
  refused(one({ ...w, data_offsets: [-4, 16] }), offsets('[-4,16]'));
  refused(one({ ...w, data_offsets: [0.5, 16] }), offsets('[0.5,16]'));
  refused(one({ ...w, data_offsets: [0, 17] }), "tensor 'w' ends at byte 17 of the data, which has 16");
  refused(one({ ...w, data_offsets: [0, 8] }), "tensor 'w' holds 8 bytes, shape [2, 2] F32 needs 16");
  refused(one({ ...w, data_offsets: [4, 16] }), "tensor 'w' holds 12 bytes, shape [2, 2] F32 needs 16");
  refused(one({ dtype: 'U8', shape: [3], data_offsets: [0, 4] }), "tensor 'w' holds 4 bytes, shape [3] U8 needs 3");
  refused(one({ dtype: 'I16', shape: [3], data_offsets: [0, 4] }), "tensor 'w' holds 4 bytes, shape [3] I16 needs 6");
});

test('safetensors: a file cut short after it was opened, a closed file and a missing one', () => {
  const tensors: Record<string, RawTensor> = { i: SAMPLE.i, w: SAMPLE.w };
  const p = write('shrinks.safetensors', safetensorsBytes(tensors));
  const f = SafetensorsFile.open(p);
  fs.truncateSync(p, fs.statSync(p).size - 20); // 4 of i's 8 bytes are left, none of w's
  throwsUserError(() => f.read('w'), `'${p}' was truncated while reading (did the file change?)`);
  // A non-float tensor is refused by its dtype before its bytes are read.
  throwsUserError(() => f.read('i'), `'${p}' tensor 'i': dtype I64 is not a float dtype`);
  f.close();
  f.close();
  assert.throws(() => f.read('w'), (e: unknown) => e instanceof Error && e.message === `'${p}' is closed`);
  const missing = join(dir, 'missing.safetensors');
  assert.equal(throwsUserError(() => SafetensorsFile.open(missing), `'${missing}' does not exist`), `'${missing}' does not exist`);
});

test('safetensors: a refused file leaves no descriptor open, and close() releases an opened one', () => {
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  const before = fds();
  for (let i = 0; i < 3; i++) refused(raw('[]'), 'the header is not a JSON object');
  assert.equal(fds(), before);
  const f = SafetensorsFile.open(write('ok.safetensors', safetensorsBytes(SAMPLE)));
  assert.equal(fds(), before + 1);
  f.close();
  assert.equal(fds(), before);
});
