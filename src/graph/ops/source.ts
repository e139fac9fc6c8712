// Leaves of the graph: named inputs (fed at run time) and constants (ONNX initializers).
import { defineOp, GraphError } from '../op.ts';
import type { ConstValue, DType, Shape, Tensor } from '../tensor.ts';
import { numel } from '../tensor.ts';

const inputOp = defineOp<{ name: string; shape: Shape; dtype: DType }>({
  name: 'input',
  infer: (_xs, a) => ({ shape: [...a.shape], dtype: a.dtype }),
  lower: (ctx, out) => ctx.input(out),
  evaluate: (_xs, _a, out, ctx) => ctx.feed(out),
});

/** A value fed at run time: trained parameters, images, labels. */
export function input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new GraphError(`input '${name}': bad dimension in [${shape.join(', ')}]`);
  }
  return inputOp([], { name, shape, dtype }, { label: name });
}

function dtypeOf(value: ConstValue): DType {
  if (value instanceof Float32Array) return 'float32';
  if (value instanceof Int32Array) return 'int32';
  if (value instanceof BigInt64Array) return 'int64';
  if (value instanceof Int8Array) return 'int8';
  return 'bool';
}

const constantOp = defineOp<{ key: string; shape: Shape; dtype: DType }>({
  name: 'constant',
  infer: (_xs, a) => ({ shape: [...a.shape], dtype: a.dtype }),
  lower: (ctx, out) => ctx.constant(out),
  evaluate: (_xs, _a, out) => ({ shape: out.shape, data: Float64Array.from(out.value!, Number) }),
});

/**
 * A fixed value: frozen weights, shapes, masks. `name` becomes the ONNX initializer's name.
 * The array must not change afterwards: compiled sessions hold (or are keyed by) it as it was.
 * Values that change between runs, such as trained parameters, are inputs.
 */
export function constant(value: ConstValue, shape: Shape, name?: string): Tensor {
  if (numel(shape) !== value.length) {
    throw new GraphError(`constant${name ? ` '${name}'` : ''}: ${value.length} values for shape [${shape.join(', ')}]`);
  }
  const dtype = dtypeOf(value);
  // Small constants are identified by content, large ones by object: two graphs over the same
  // weights share a cache entry without hashing megabytes.
  const key = value.length <= 64 ? `${dtype}:${Array.from(value as ArrayLike<number | bigint>, String).join(',')}` : `#${constId(value)}`;
  return constantOp([], { key, shape, dtype }, { label: name, value });
}

const ids = new WeakMap<object, number>();
let nextConst = 0;
function constId(v: object): number {
  let id = ids.get(v);
  if (id === undefined) {
    id = nextConst++;
    ids.set(v, id);
  }
  return id;
}

/** A float32 scalar constant (shape []), broadcast by the elementwise ops. */
export function scalar(v: number, dtype: DType = 'float32'): Tensor {
  switch (dtype) {
    case 'float32':
      return constant(Float32Array.of(v), []);
    case 'int32':
      return constant(Int32Array.of(v), []);
    case 'int64':
      return constant(BigInt64Array.of(BigInt(v)), []);
    case 'bool':
      return constant(Uint8Array.of(v ? 1 : 0), []);
    case 'int8':
      return constant(Int8Array.of(v), []);
  }
}
