// What the foreign checkpoint readers (safetensors, PyTorch zip) have in common: named tensors whose
// dtype and shape are known before their bytes are read, read one at a time and widened to float32.
import { UserError } from '../errors.ts';
import { float16ToFloat32 } from './npy-dtype.ts';

/** The dtypes a backbone may be stored in; every other dtype is listed but refused when read. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';
export const FLOAT_ITEMSIZE: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export interface StoredTensor {
  /** safetensors' dtype names ('F32', 'F16', 'BF16', 'I64', ...), which the PyTorch reader also uses. */
  dtype: string;
  shape: number[];
}

export interface TensorArchive {
  readonly path: string;
  /** Every tensor by its name, in file order (nested dictionaries joined with '.'). */
  readonly tensors: Map<string, StoredTensor>;
  /** One tensor's values as float32, row-major. */
  read(name: string): Float32Array;
  close(): void;
}

export function isFloatDtype(d: string): d is FloatDtype {
  return d === 'F32' || d === 'F16' || d === 'BF16';
}

/** The number of items of `shape`, or -1 when it is not a list of safe non-negative integers. */
export function numel(shape: readonly unknown[]): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return -1;
    n *= d;
    if (!Number.isSafeInteger(n)) return -1;
  }
  return n;
}

/** Little-endian items of `dtype` starting at `bytes[0]`, widened to float32; `source` names them in errors. */
export function widen(bytes: Uint8Array, dtype: string, count: number, source: string): Float32Array {
  if (!isFloatDtype(dtype)) throw new UserError(`${source}: dtype ${dtype} is not a float dtype a backbone is stored in (F32, F16, BF16)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (dtype === 'F32') for (let i = 0; i < count; i++) out[i] = v.getFloat32(4 * i, true);
  else if (dtype === 'F16') for (let i = 0; i < count; i++) out[i] = float16ToFloat32(v.getUint16(2 * i, true));
  else {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(count);
    for (let i = 0; i < count; i++) bits[i] = v.getUint16(2 * i, true) << 16;
    out.set(new Float32Array(bits.buffer));
  }
  return out;
}
