// The closed set of primitive ops: every node of the IR is one of these, and each name is defined
// once (defineOp in op.ts keeps the registry; test/graph/registry.test.ts checks it is complete).
// Composites (softmax over any axis, dense, l2Normalize, the loss) are built from these and add none.
export const OP_NAMES = [
  // leaves (ops/source.ts)
  'input', 'constant',
  // elementwise, numpy broadcasting (ops/elementwise.ts)
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'equal', 'less', 'greater', 'greaterEqual',
  'neg', 'exp', 'log', 'tanh', 'erf', 'sigmoid', 'sqrt', 'where', 'cast', 'stopGradient',
  // ops/linalg.ts, ops/quantized.ts
  'matmul', 'qdense',
  // fused kernels over the last axis (ops/fused.ts)
  'softmax', 'layerNorm', 'gelu',
  // ops/reduce.ts
  'sum', 'max',
  // ops/indexing.ts
  'gather', 'scatterAdd', 'topk',
  // ops/layout.ts
  'reshape', 'transpose', 'concat', 'slice', 'pad', 'expand',
] as const;

export type OpName = (typeof OP_NAMES)[number];
