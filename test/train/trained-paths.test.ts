// Which parameters the optimiser updates (official freeze_part semantics), rows joined, and the L2 coefficient.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatRows, l2Coefficient, trainedPaths } from '../../src/train/trained-paths.ts';

/** A method model's own parameters and its trained patterns (only `has` and `some` are read). */
const model = (own: string[], trains: string[]) => ({ params: new Map(own.map((k) => [k, {}])) as never, trains });

const backbone = ['embedding/kernel', 'cls', 'Transformer/encoderblock_0/MlpBlock_0/Dense_0/kernel', 'Transformer/encoder_norm/scale'];
const own = ['prompt_pool/prompt', 'prompt_pool/key', 'head/kernel', 'head/bias', 'pre_logits/kernel'];

test('a path containing any one freeze_part string is frozen; the rest of the backbone trains', () => {
  const m = model(own, ['prompt_pool/*', 'head/*', 'pre_logits/*']);
  assert.deepEqual(trainedPaths({ freeze_part: ['embedding'] }, m, backbone), ['cls', 'Transformer/encoderblock_0/MlpBlock_0/Dense_0/kernel', 'Transformer/encoder_norm/scale']);
  assert.deepEqual(trainedPaths({ freeze_part: ['encoder', 'embedding', 'cls'] }, m, backbone), []);
  assert.deepEqual(trainedPaths({ freeze_part: ['MlpBlock', 'cls'] }, m, backbone), ['embedding/kernel', 'Transformer/encoder_norm/scale']);
  assert.deepEqual(trainedPaths({ freeze_part: [] }, m, backbone), backbone);
});

test("the method's own parameters train where any one of its patterns matches them (and freeze_part does not)", () => {
  const m = model(own, ['prompt_pool/prompt', 'head/*']);
  assert.deepEqual(trainedPaths({ freeze_part: [] }, m, own), ['prompt_pool/prompt', 'head/kernel', 'head/bias']);
  assert.deepEqual(trainedPaths({ freeze_part: ['head'] }, m, own), ['prompt_pool/prompt']);
  assert.deepEqual(trainedPaths({ freeze_part: [] }, model(own, []), [...backbone, ...own]), backbone);
  // In the order given.
  assert.deepEqual(trainedPaths({ freeze_part: ['encoder'] }, m, ['head/bias', 'cls', 'prompt_pool/key', 'head/kernel']), ['head/bias', 'cls', 'head/kernel']);
});

test('concatRows lays the blocks end to end', () => {
  assert.deepEqual(Array.from(concatRows([Float32Array.of(1, 2), Float32Array.of(3), Float32Array.of(), Float32Array.of(4, 5, 6)])), [1, 2, 3, 4, 5, 6]);
  assert.equal(concatRows([]).length, 0);
});

test("the L2 coefficient: weight_decay for 'adam' and 'sgd', 0 for 'adamw' (official disable_l2_wd)", () => {
  assert.equal(l2Coefficient({ optim: 'adam', weight_decay: 0.25 }), 0.25);
  assert.equal(l2Coefficient({ optim: 'sgd', weight_decay: 0.25 }), 0.25);
  assert.equal(l2Coefficient({ optim: 'adamw', weight_decay: 0.25 }), 0);
});
