import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tags from '../../src/report/tags.ts';
import { flattenConfig } from '../../src/config/flatten.ts';
import { configMarkdown } from '../../src/report/hparams.ts';

test('tags are the names the official train_continual.py writes', () => {
  assert.deepEqual(
    [tags.TRAIN_ACCURACY, tags.LEARNING_RATE, tags.LOSS, tags.LOSS_STD, tags.L2_GRADS, tags.TASK_ID],
    ['train_accuracy', 'learning_rate', 'loss', 'loss_std', 'l2_grads', 'task_id'],
  );
  assert.deepEqual([tags.accuracyTag(3), tags.evalLossTag(3), tags.promptHistogramTag(3)], ['accuracy_3', 'eval_loss_3', 'histogram_3']);
  assert.deepEqual([tags.AVG_ACC, tags.FORGETTING, tags.BACKWARD, tags.LEARNING_ACC], ['avg_acc', 'forgetting', 'backward', 'learning_acc']);
});

test('the config table has one dotted row per leaf and escapes table syntax', () => {
  const config = { a: { b: { c: 1 }, list: [1, 2], empty: {} }, s: 'x|y\nz', n: null };
  assert.deepEqual(flattenConfig(config), [['a.b.c', 1], ['a.list', [1, 2]], ['a.empty', {}], ['s', 'x|y\nz'], ['n', null]]);
  assert.equal(
    configMarkdown(config),
    ['| key | value |', '| --- | --- |', '| a.b.c | 1 |', '| a.list | [1,2] |', '| a.empty | {} |', '| s | "x\\|y\\\\nz" |', '| n | null |'].join('\n'),
  );
});
