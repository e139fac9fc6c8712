// Ops are a closed set: every name in OP_NAMES is defined exactly once, nothing else is, and the
// type system refuses an op name outside the set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { OP_NAMES } from '../../src/graph/op-names.ts';
import { defineOp, definedOps } from '../../src/graph/op.ts';

test('the registry holds exactly the closed set of op names, each defined once', () => {
  assert.deepEqual([...definedOps().keys()].sort(), [...OP_NAMES].sort());
  assert.equal(new Set(OP_NAMES).size, OP_NAMES.length);
  const matmul = definedOps().get('matmul')!;
  assert.throws(() => defineOp(matmul), /op 'matmul' is defined twice/);
});

test('every node of a model graph names a registered op', () => {
  const x = g.input('x', [2, 3]);
  const y = g.softmax(g.dense(g.layerNorm(x, g.constant(new Float32Array(3).fill(1), [3]), g.constant(new Float32Array(3), [3])), g.input('w', [3, 4])));
  const names = new Set(g.topoSort([g.sum(g.mul(y, y), [0, 1])]).map((t) => t.op));
  for (const n of names) assert.ok(definedOps().has(n), n);
  assert.ok(names.has('input') && names.has('constant') && names.has('matmul'));
});

test('an op name outside the set does not type-check', () => {
  // Never called: the check is the compiler's (npx tsc), the assertion only that the line exists.
  const define = () =>
    defineOp({
      // @ts-expect-error 'conv' is not an op of the closed set
      name: 'conv',
      infer: () => ({ shape: [], dtype: 'float32' }),
      lower: () => '',
      evaluate: () => ({ shape: [], data: new Float64Array(1) }),
    });
  assert.equal(typeof define, 'function');
});

test('the cost model counts products through the ops’ own flops rules', () => {
  const a = g.input('a', [5, 3, 4]);
  const b = g.input('b', [4, 6]);
  // one [5·3, 4] @ [4, 6] product: 2·5·3·6·4 FLOPs; the add and the softmax count none
  assert.equal(g.matmulFlops([g.softmax(g.add(g.matmul(a, b), 1))]), 2 * 5 * 3 * 6 * 4);
});
