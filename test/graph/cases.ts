// One table of small graphs covering every primitive and composite, shared by the gradient checks
// (float64 interpreter vs central differences) and the runtime checks (ONNX Runtime vs interpreter).
import * as g from '../../src/graph/index.ts';
import type { Tensor } from '../../src/graph/index.ts';

export interface InputSpec {
  name: string;
  shape: number[];
  /** Range of the random values; 'perm' gives distinct values (for max/maximum/topk). */
  range?: [number, number] | 'perm';
  dtype?: 'float32' | 'int32' | 'int64';
  /** Fixed values (integer inputs). */
  values?: number[];
}

export interface Case {
  name: string;
  inputs: InputSpec[];
  build: (xs: Tensor[]) => Tensor;
}

const f = (name: string, ...shape: number[]): InputSpec => ({ name, shape });
const pos = (name: string, ...shape: number[]): InputSpec => ({ name, shape, range: [0.5, 2] });
const distinct = (name: string, ...shape: number[]): InputSpec => ({ name, shape, range: 'perm' });

export const cases: Case[] = [
  { name: 'add broadcast', inputs: [f('a', 2, 3), f('b', 3)], build: ([a, b]) => g.add(a, b) },
  { name: 'sub broadcast', inputs: [f('a', 2, 1), f('b', 2, 3)], build: ([a, b]) => g.sub(a, b) },
  { name: 'mul broadcast', inputs: [f('a', 2, 3), f('b', 2, 1)], build: ([a, b]) => g.mul(a, b) },
  { name: 'div', inputs: [f('a', 2, 3), pos('b', 3)], build: ([a, b]) => g.div(a, b) },
  { name: 'pow', inputs: [pos('a', 2, 3), f('b', 3)], build: ([a, b]) => g.pow(a, b) },
  { name: 'maximum', inputs: [distinct('a', 2, 3), f('b', 2, 3)], build: ([a, b]) => g.maximum(a, b) },
  { name: 'neg', inputs: [f('a', 4)], build: ([a]) => g.neg(a) },
  { name: 'exp', inputs: [f('a', 2, 2)], build: ([a]) => g.exp(a) },
  { name: 'log', inputs: [pos('a', 2, 2)], build: ([a]) => g.log(a) },
  { name: 'tanh', inputs: [f('a', 2, 2)], build: ([a]) => g.tanh(a) },
  { name: 'sigmoid', inputs: [{ name: 'a', shape: [2, 3], range: [-4, 4] }], build: ([a]) => g.sigmoid(a) },
  { name: 'sqrt', inputs: [pos('a', 2, 2)], build: ([a]) => g.sqrt(a) },
  { name: 'erf', inputs: [{ name: 'a', shape: [3, 4], range: [-4, 4] }], build: ([a]) => g.erf(a) },
  {
    name: 'where',
    inputs: [f('a', 2, 3), f('b', 3)],
    build: ([a, b]) => g.where(g.greater(g.constant(Float32Array.of(1, -1, 2, 0.5, -3, 1), [2, 3]), 0), a, b),
  },
  { name: 'matmul 2d', inputs: [f('a', 3, 4), f('b', 4, 2)], build: ([a, b]) => g.matmul(a, b) },
  { name: 'matmul batch x weight', inputs: [f('a', 2, 3, 4), f('b', 4, 5)], build: ([a, b]) => g.matmul(a, b) },
  { name: 'matmul broadcast batch', inputs: [f('a', 2, 1, 3, 4), f('b', 3, 4, 2)], build: ([a, b]) => g.matmul(a, b) },
  { name: 'sum axes', inputs: [f('a', 2, 3, 4)], build: ([a]) => g.sum(a, [0, 2]) },
  { name: 'sum keepdims', inputs: [f('a', 2, 3)], build: ([a]) => g.sum(a, -1, true) },
  { name: 'max', inputs: [distinct('a', 2, 3, 4)], build: ([a]) => g.max(a, 1) },
  { name: 'mean', inputs: [f('a', 3, 4)], build: ([a]) => g.mean(a, 0) },
  { name: 'reshape', inputs: [f('a', 2, 6)], build: ([a]) => g.mul(g.reshape(a, [3, -1]), g.constant(Float32Array.of(1, 2, 3, 4), [4])) },
  { name: 'transpose', inputs: [f('a', 2, 3, 4)], build: ([a]) => g.transpose(a, [2, 0, 1]) },
  { name: 'concat', inputs: [f('a', 2, 3), f('b', 2, 1), f('c', 2, 2)], build: ([a, b, c]) => g.concat([a, b, c], 1) },
  { name: 'slice', inputs: [f('a', 3, 5)], build: ([a]) => g.slice(a, 1, 1, 4) },
  { name: 'pad', inputs: [f('a', 2, 3)], build: ([a]) => g.pad(a, 0, 1, 2) },
  { name: 'expand', inputs: [f('a', 3, 1)], build: ([a]) => g.expand(a, [2, 3, 4]) },
  {
    name: 'gather repeats',
    inputs: [f('t', 4, 2, 3), { name: 'i', shape: [2, 3], dtype: 'int32', values: [3, 0, 3, 1, 1, 2] }],
    build: ([t, i]) => g.gather(t, i),
  },
  {
    name: 'scatterAdd',
    inputs: [f('u', 3, 2), { name: 'i', shape: [3], dtype: 'int64', values: [2, 0, 2] }],
    build: ([u, i]) => g.scatterAdd(i, u, 4),
  },
  { name: 'softmax', inputs: [f('a', 2, 5)], build: ([a]) => g.softmax(a) },
  // Rank 3: the last axis is not axis 1, as it is for every rank-2 case.
  { name: 'softmax rank 3', inputs: [f('a', 2, 3, 4)], build: ([a]) => g.softmax(a) },
  { name: 'logSoftmax', inputs: [f('a', 3, 4)], build: ([a]) => g.logSoftmax(a, 0) },
  { name: 'layerNorm', inputs: [f('x', 2, 3, 6), f('s', 6), f('b', 6)], build: ([x, s, b]) => g.layerNorm(x, s, b) },
  { name: 'gelu', inputs: [{ name: 'a', shape: [3, 4], range: [-3, 3] }], build: ([a]) => g.gelu(a) },
  { name: 'gelu erf', inputs: [{ name: 'a', shape: [3, 4], range: [-3, 3] }], build: ([a]) => g.gelu(a, 'erf') },
  { name: 'l2Normalize', inputs: [f('a', 3, 4)], build: ([a]) => g.l2Normalize(a) },
  {
    name: 'oneHot weighted',
    inputs: [f('a', 3, 4), { name: 'y', shape: [3], dtype: 'int32', values: [1, 3, 0] }],
    build: ([a, y]) => g.mul(g.oneHot(y, 4), a),
  },
];
