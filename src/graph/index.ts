// The graph IR's public surface: build tensors with these functions, differentiate with `grad`,
// evaluate with the float64 `interpret` (tests) or compile for ONNX Runtime (src/runtime).
export { Tensor, numel, topoSort } from './tensor.ts';
export type { DType, Shape, NdArray, ConstValue } from './tensor.ts';
export { GraphError } from './op.ts';
export { input, constant, scalar } from './ops/source.ts';
export {
  add, sub, mul, div, pow, maximum, neg, exp, log, tanh, erf, sigmoid, sqrt,
  equal, less, greater, greaterEqual, where, cast, stopGradient,
} from './ops/elementwise.ts';
export type { Operand } from './ops/elementwise.ts';
export { matmul, swapLast } from './ops/linalg.ts';
export { reshape, transpose, concat, slice, pad, expand, unsqueeze } from './ops/layout.ts';
export { sum, max, mean, sumTo } from './ops/reduce.ts';
export { gather, scatterAdd, topk } from './ops/indexing.ts';
export { qdense } from './ops/quantized.ts';
export { softmax, logSoftmax, layerNorm, gelu, type Gelu, dense, l2Normalize, oneHot, rsqrt } from './nn.ts';
export { maskedCrossEntropy } from './loss.ts';
export { grad } from './autodiff.ts';
export { interpret } from './interp.ts';
export type { Feeds } from './interp.ts';
export { matmulFlops } from './cost.ts';
