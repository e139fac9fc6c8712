import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, maskCrc, maskedCrc32c } from '../../src/io/crc32c.ts';

test('crc32c matches the published check values', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  // RFC 3720 B.4: 32 bytes of zeros, 32 bytes of 0xff, and an ascending run.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('crc32c can continue across chunks, including odd lengths', () => {
  const bytes = Uint8Array.from({ length: 1001 }, (_, i) => (i * 31 + 7) & 0xff);
  const whole = crc32c(bytes);
  for (const cut of [0, 1, 7, 8, 9, 500, 1000]) {
    assert.equal(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut))), whole);
  }
});

test('the TensorFlow mask rotates and adds its constant', () => {
  assert.equal(maskedCrc32c(new Uint8Array(0)), 0xa282ead8);
  const c = 0x12345678;
  assert.equal(maskCrc(c), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
});
