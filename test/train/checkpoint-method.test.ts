// What a closed-form method keeps in a checkpoint: its fitted parameters (no optimiser moments) and
// its large state arrays in the npz, float64 kept bit for bit; tables stay in state.json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NpzReader } from '../../src/io/npz.ts';
import { loadCheckpoint, saveCheckpoint, type LoopState } from '../../src/train/checkpoint.ts';
import { tempDir } from '../fixtures/data/write.ts';

const loop = (method: LoopState['method']): LoopState => ({
  task: 1, stepInTask: 0, globalStep: 0, pipeline: null, accMatrix: [[0]], promptUsage: [[]],
  window: { loss: [], correct: 0, count: 0, grad: 0, lr: 0 }, done: false, elapsed: 0, images: 0, method,
});

test('fitted parameters and float64 method arrays round-trip through the npz; tables through state.json', () => {
  const workdir = join(tempDir('ckpt-method'), 'run');
  const kernel = Float32Array.of(0.5, -1.25, 3, 1e-7);
  const params = new Map([['head/kernel', { shape: [2, 2], data: kernel.slice() }]]);
  const opt = { kind: 'sgd' as const, state: { step: 0, momentum: new Map<string, Float32Array>() } };
  // Values float32 cannot hold: a float64 array must come back unrounded.
  const gram = Float64Array.of(1 + 2 ** -40, Math.PI, -1e-300, 1e300);
  saveCheckpoint(workdir, params, [], opt, loop({ G: { shape: [2, 2], data: gram }, counts: [[1, 2]] }), 2, ['head/kernel'], 1);
  const dir = join(workdir, 'checkpoints');
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  assert.equal(state.npz, 'ckpt-00000000.t0001.npz');
  assert.deepEqual(state.loop.method, { counts: [[1, 2]] }, 'the array is not in state.json');
  const npz = NpzReader.open(join(dir, state.npz));
  try {
    assert.deepEqual(npz.keys().sort(), ['method/G', 'params/head/kernel']);
    assert.equal(npz.info('method/G').dtype, 'float64');
  } finally {
    npz.close();
  }
  const into = new Map([['head/kernel', { shape: [2, 2], data: new Float32Array(4) }]]);
  const back = loadCheckpoint<LoopState>(workdir, into, [], opt, undefined, ['head/kernel']);
  assert.deepEqual([...into.get('head/kernel')!.data], [...kernel]);
  const G = back.method!.G as { shape: number[]; data: Float64Array };
  assert.ok(G.data instanceof Float64Array);
  assert.deepEqual(G.shape, [2, 2]);
  assert.deepEqual([...G.data], [...gram]);
  assert.deepEqual(back.method!.counts, [[1, 2]]);
});
