import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeExample, encodeExample, int64Feature, bytesFeature } from '../../src/io/example.ts';
import { ProtoWriter } from '../../src/io/protobuf.ts';
import { UserError } from '../../src/errors.ts';

test('Example round-trips bytes, int64 (negative too) and float lists', () => {
  const img = Uint8Array.from([1, 2, 3]);
  const buf = encodeExample({
    image: { kind: 'bytes', values: [img] },
    label: { kind: 'int64', values: [7n] },
    many: { kind: 'int64', values: [-1n, 300n, 2n ** 40n] },
    score: { kind: 'float', values: [0.5, -2] },
  });
  const f = decodeExample(buf, 'test');
  assert.deepEqual(bytesFeature(f, 'image', 'test'), img);
  assert.equal(int64Feature(f, 'label', 'test'), 7);
  assert.deepEqual(f.get('many'), { kind: 'int64', values: [-1n, 300n, 2n ** 40n] });
  assert.deepEqual(f.get('score'), { kind: 'float', values: [0.5, -2] });
});

test('unpacked numeric lists are accepted, as protobuf requires', () => {
  const w = new ProtoWriter();
  w.message(1, (fs) =>
    fs.message(1, (e) => {
      e.string(1, 'label');
      e.message(2, (feat) => feat.message(3, (l) => l.varint(1, 4).varint(1, -3)));
    }),
  );
  w.message(1, (fs) =>
    fs.message(1, (e) => {
      e.string(1, 'x');
      e.message(2, (feat) => feat.message(2, (l) => l.float(1, 1.5)));
    }),
  );
  const f = decodeExample(w.finish(), 'test');
  assert.deepEqual(f.get('label'), { kind: 'int64', values: [4n, -3n] });
  assert.deepEqual(f.get('x'), { kind: 'float', values: [1.5] });
});

test('malformed bytes and missing features give UserErrors naming the record', () => {
  assert.throws(() => decodeExample(Uint8Array.from([0x0a, 0x50, 1]), "'a.tfrecord' record at byte 9"), (e: unknown) =>
    e instanceof UserError && /'a\.tfrecord' record at byte 9: not a valid tf\.train\.Example/.test(e.message),
  );
  const f = decodeExample(encodeExample({ label: { kind: 'bytes', values: [] } }), 'r');
  assert.throws(() => int64Feature(f, 'label', 'r'), /r: feature 'label' is missing or is not a single int64/);
  assert.throws(() => bytesFeature(f, 'image', 'r'), /feature 'image' is missing/);
});
