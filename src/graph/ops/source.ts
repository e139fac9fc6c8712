// Leaves of the graph: named inputs (fed at run time) and constants (ONNX initializers).
import { GraphError } from '../op.ts';
import type { ConstValue, DType, Shape } from '../tensor.ts';
import { numel, Tensor } from '../tensor.ts';

/** A value fed at run time: trained parameters, images, labels. */
export function input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new GraphError(`input '${name}': bad dimension in [${shape.join(', ')}]`);
  }
  return new Tensor(
    'input',
    [],
    [...shape],
    dtype,
    {
      lower: (ctx, out) => ctx.name(out),
      evaluate: () => {
        throw new GraphError(`input '${name}' was not fed`);
      },
    },
    JSON.stringify({ name, shape, dtype }),
    name,
  );
}

function dtypeOf(value: ConstValue): DType {
  if (value instanceof Float32Array) return 'float32';
  if (value instanceof Int32Array) return 'int32';
  if (value instanceof BigInt64Array) return 'int64';
  if (value instanceof Int8Array) return 'int8';
  return 'bool';
}

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
  return new Tensor(
    'constant',
    [],
    [...shape],
    dtype,
    {
      lower: (ctx, out) => ctx.name(out),
      evaluate: () => ({ shape: [...shape], data: Float64Array.from(value, Number) }),
    },
    // Small constants are identified by content, large ones by object: two graphs over the same
    // weights share a cache entry without hashing megabytes.
    value.length <= 64 ? `const:${dtype}:${Array.from(value as ArrayLike<number | bigint>, String).join(',')}` : `const#${constId(value)}`,
    name,
    value,
  );
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
