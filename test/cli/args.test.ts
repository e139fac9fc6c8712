// One integer parser for every command's numeric flags: digits only, within bounds, or one error
// naming the flag; through the real CLI, `--workers abc` is refused instead of becoming NaN.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { intArg, numberArg, optionalInt } from '../../src/cli/args.ts';
import { UserError } from '../../src/errors.ts';

test('intArg takes decimal integers within bounds and refuses the rest, naming the flag', () => {
  assert.equal(intArg('8', '--batch'), 8);
  assert.equal(intArg('0', '--workers', { min: 0 }), 0);
  assert.equal(intArg('-3', '--x', { min: -5 }), -3);
  assert.equal(optionalInt(undefined, '--threads'), undefined);
  for (const bad of ['', ' 3', '3 ', '1e2', '0x10', '2.5', 'abc', 'NaN', 'Infinity', '+4', '9007199254740993']) {
    assert.throws(() => intArg(bad, '--workers', { min: 0 }), new UserError(`--workers must be an integer >= 0, got '${bad}'`), JSON.stringify(bad));
  }
  assert.throws(() => intArg('0', '--batch'), new UserError(`--batch must be a positive integer, got '0'`));
  assert.throws(() => intArg('9', '--k', { min: 1, max: 8 }), new UserError(`--k must be an integer from 1 to 8, got '9'`));
  assert.equal(numberArg('0.03', '--lr'), 0.03);
  assert.equal(numberArg('1e-4', '--lr'), 1e-4);
  for (const bad of ['', 'x', '-1', 'Infinity', '0x1']) assert.throws(() => numberArg(bad, '--lr'), UserError, bad);
});

test('every command parses its numeric flags with it', () => {
  const cases: [string[], string][] = [
    [['train', '--config', 'cifar100_l2p_smoke', '--workdir', 'x', '--workers', 'abc'], `--workers must be an integer >= 0, got 'abc'`],
    [['demo', '--workers=-1'], `--workers must be an integer >= 0, got '-1'`],
    [['train', '--config', 'cifar100_l2p_smoke', '--workdir', 'x', '--threads', '2.5'], `--threads must be a positive integer, got '2.5'`],
    [['eval', '--workdir', 'x', '--threads', '0'], `--threads must be a positive integer, got '0'`],
    [['bench', '--batch', '1e2'], `--batch must be a positive integer, got '1e2'`],
    [['pretrain', '--out', 'x.npz', '--epochs', 'two'], `--epochs must be a positive integer, got 'two'`],
    [['data', 'preview', '--dataset', 'mnist', '--out', 'x.png', '--count', ' 4'], `--count must be a positive integer, got ' 4'`],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, ['bin/l2p.mjs', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, `l2p ${args[0]}: ${message}\n`, args.join(' '));
  }
});
