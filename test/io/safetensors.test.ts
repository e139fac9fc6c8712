import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { tempDir, throwsUserError } from './npz-helpers.ts';
import { SAMPLE, f32, safetensorsBytes } from './safetensors-helpers.ts';

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
