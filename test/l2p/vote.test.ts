// The batch-wise majority vote (official batchwise_prompt) on known answers, in the float64 interpreter
// and through ONNX Runtime: per vote group (one per device), the top_k ids chosen most often, ordered by
// count, ties to the lower id, repeated for every input of the group.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as g from '../../src/graph/index.ts';
import { interpret } from '../../src/graph/interp.ts';
import { majorityVote } from '../../src/methods/l2p/prompt-pool.ts';
import { compile, disposeAll } from '../../src/runtime/ort.ts';

after(disposeAll);

/** The vote's result both ways, as rows of ids. */
async function vote(ids: number[][], poolSize: number, group: number): Promise<number[][]> {
  const [b, n] = [ids.length, ids[0].length];
  const out = majorityVote(g.input('idx', [b, n], 'int32'), poolSize, n, group);
  const data = Int32Array.from(ids.flat());
  const [here] = interpret([out], { idx: { shape: [b, n], data } });
  const session = await compile({ out });
  const ort = (await session.run({ idx: { shape: [b, n], data } })).out.data as Int32Array;
  await session.dispose();
  const rows = (a: ArrayLike<number>) => Array.from({ length: b }, (_, i) => Array.from(a).slice(i * n, (i + 1) * n).map(Number));
  assert.deepEqual(rows(ort), rows(here.data), 'ONNX Runtime and the interpreter');
  return rows(ort);
}

test('one group: ids ordered by count; a tie at the top_k-th count goes to the lower id', async () => {
  // counts: 1 → 2, 3 → 3, 4 → 2, 5 → 1: 3 first (most votes), then 1 over 4 (tied at 2, lower id).
  const got = await vote([[3, 1], [1, 3], [4, 3], [5, 4]], 6, 4);
  assert.deepEqual(got, [[3, 1], [3, 1], [3, 1], [3, 1]]);
});

test('a tie at the first place is ordered by id, whatever order the inputs chose them in', async () => {
  assert.deepEqual(await vote([[1, 0], [1, 0], [0, 1]], 4, 3), [[0, 1], [0, 1], [0, 1]]);
  // Every id chosen once: the top_k lowest ids win.
  assert.deepEqual(await vote([[5, 3], [4, 2]], 6, 2), [[2, 3], [2, 3]]);
});

test('several devices: each group of consecutive inputs votes on its own, with its own ties', async () => {
  const ids = [
    [2, 0], [2, 4], [4, 2], // device 0: 2 → 3, 4 → 2, 0 → 1
    [1, 5], [5, 1], [3, 0], // device 1: 1 → 2, 5 → 2 (tie: 1 first), 3 and 0 → 1
    [0, 3], [3, 0], [5, 3], // device 2: 3 → 3, 0 → 2, 5 → 1
  ];
  const got = await vote(ids, 6, 3);
  assert.deepEqual(got, [[2, 4], [2, 4], [2, 4], [1, 5], [1, 5], [1, 5], [3, 0], [3, 0], [3, 0]]);
  // One vote over the whole batch instead: 3 → 4, 0 → 4, 2 → 3, ... (tie at the top: 0 first).
  assert.deepEqual((await vote(ids, 6, 9))[0], [0, 3]);
});

test('a group of one input: its own ids, in id order (each counted once)', async () => {
  assert.deepEqual(await vote([[4, 1], [0, 2]], 5, 1), [[1, 4], [0, 2]]);
});

test('a batch that is not a whole number of groups is refused', () => {
  assert.throws(() => majorityVote(g.input('idx', [5, 2], 'int32'), 6, 2, 2), /batch 5 is not a multiple of the vote group 2/);
});
