// tf.train.Example, the message inside every TFDS record:
//   Example  { Features features = 1; }
//   Features { map<string, Feature> feature = 1; }      (map entries: key = 1, value = 2)
//   Feature  { oneof { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
//   BytesList { repeated bytes value = 1; }  FloatList { repeated float value = 1; }  Int64List { repeated int64 value = 1; }
// Numeric lists may arrive packed or unpacked; both are accepted, as protobuf requires.
import { UserError } from '../errors.ts';
import {
  ProtoError,
  ProtoWriter,
  WIRE_I32,
  WIRE_LEN,
  WIRE_VARINT,
  fixedToFloat,
  readFields,
  readPackedFloats,
  readPackedVarints,
} from './protobuf.ts';

export type Feature =
  | { kind: 'bytes'; values: Uint8Array[] }
  | { kind: 'int64'; values: bigint[] }
  | { kind: 'float'; values: number[] };

const textDecoder = new TextDecoder('utf-8', { fatal: true });

function decodeFeature(buf: Uint8Array): Feature {
  let feature: Feature = { kind: 'bytes', values: [] };
  for (const f of readFields(buf)) {
    if (f.wire !== WIRE_LEN) continue;
    if (f.field === 1) {
      const values: Uint8Array[] = [];
      for (const v of readFields(f.bytes)) if (v.field === 1 && v.wire === WIRE_LEN) values.push(v.bytes);
      feature = { kind: 'bytes', values };
    } else if (f.field === 2) {
      const values: number[] = [];
      for (const v of readFields(f.bytes)) {
        if (v.field !== 1) continue;
        // a loop, not push(...list): spreading a long list overflows the call stack
        if (v.wire === WIRE_LEN) for (const x of readPackedFloats(v.bytes)) values.push(x);
        else if (v.wire === WIRE_I32) values.push(fixedToFloat(v.bytes));
      }
      feature = { kind: 'float', values };
    } else if (f.field === 3) {
      const values: bigint[] = [];
      for (const v of readFields(f.bytes)) {
        if (v.field !== 1) continue;
        if (v.wire === WIRE_LEN) for (const x of readPackedVarints(v.bytes)) values.push(BigInt.asIntN(64, x));
        else if (v.wire === WIRE_VARINT) values.push(BigInt.asIntN(64, v.varint));
      }
      feature = { kind: 'int64', values };
    }
  }
  return feature;
}

/**
 * Decodes a serialized tf.train.Example into its named features. Bytes values are views into `buf`.
 * `what` names the record in the error thrown for malformed input ("'x.tfrecord' record at byte 12").
 */
export function decodeExample(buf: Uint8Array, what: string): Map<string, Feature> {
  const out = new Map<string, Feature>();
  try {
    for (const top of readFields(buf)) {
      if (top.field !== 1 || top.wire !== WIRE_LEN) continue;
      for (const entry of readFields(top.bytes)) {
        if (entry.field !== 1 || entry.wire !== WIRE_LEN) continue;
        let key = '';
        let feature: Feature = { kind: 'bytes', values: [] };
        for (const kv of readFields(entry.bytes)) {
          if (kv.field === 1 && kv.wire === WIRE_LEN) key = textDecoder.decode(kv.bytes);
          else if (kv.field === 2 && kv.wire === WIRE_LEN) feature = decodeFeature(kv.bytes);
        }
        out.set(key, feature);
      }
    }
  } catch (e) {
    if (e instanceof ProtoError || e instanceof TypeError) {
      throw new UserError(`${what}: not a valid tf.train.Example (${e.message})`);
    }
    throw e;
  }
  return out;
}

/** Serializes features as a tf.train.Example (numbers go to int64 lists when `kind` is 'int64'). */
export function encodeExample(features: Record<string, Feature>): Uint8Array {
  const w = new ProtoWriter();
  w.message(1, (fs) => {
    for (const [key, feature] of Object.entries(features)) {
      fs.message(1, (entry) => {
        entry.string(1, key);
        entry.message(2, (fw) => {
          if (feature.kind === 'bytes') fw.message(1, (l) => feature.values.forEach((v) => l.bytes(1, v)));
          else if (feature.kind === 'float') fw.message(2, (l) => l.packedFloats(1, feature.values));
          else fw.message(3, (l) => l.packedVarints(1, feature.values));
        });
      });
    }
  });
  return w.finish();
}

/** The single int64 of feature `key`, or a UserError naming `what` when it is absent or not one int64. */
export function int64Feature(features: Map<string, Feature>, key: string, what: string): number {
  const f = features.get(key);
  if (!f || f.kind !== 'int64' || f.values.length !== 1) {
    throw new UserError(`${what}: feature '${key}' is missing or is not a single int64`);
  }
  return Number(f.values[0]);
}

/** The single bytes value of feature `key`, or a UserError naming `what`. */
export function bytesFeature(features: Map<string, Feature>, key: string, what: string): Uint8Array {
  const f = features.get(key);
  if (!f || f.kind !== 'bytes' || f.values.length !== 1) {
    throw new UserError(`${what}: feature '${key}' is missing or is not a single bytes value`);
  }
  return f.values[0];
}
