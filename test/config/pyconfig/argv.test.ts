// The --my_config flag family taken out of a command line as absl reads it: the file in either
// spelling, overrides with '=' or as the next argument (never for a bool key), the no- prefix, and
// the other arguments left in order for the command's own parser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { takeMyConfig } from '../../../src/cli/my-config.ts';

const FILE = 'examples/configs/domainnet_l2p.py';

test('no --my_config: every argument is left, and an override alone is refused', () => {
  assert.deepEqual(takeMyConfig(['--config', 'x', '--set', 'a=1']), { rest: ['--config', 'x', '--set', 'a=1'] });
  assert.throws(() => takeMyConfig(['--my_config.num_epochs=2']), /--my_config\.num_epochs needs --my_config FILE\.py before it/);
});

test('the file as --my_config FILE, --my_config=FILE, -my_config FILE and FILE:ARG; the last one wins', () => {
  for (const argv of [['--my_config', FILE], [`--my_config=${FILE}`], ['-my_config', FILE], ['--my_config', 'other.py', '--my_config', FILE]]) {
    const m = takeMyConfig([...argv, '--workdir', 'w']);
    assert.equal(m.file, FILE);
    assert.deepEqual(m.rest, ['--workdir', 'w']);
  }
  assert.equal(takeMyConfig([`--my_config=${FILE}:/data`]).config?.data_dir, '/data');
  assert.throws(() => takeMyConfig(['--my_config']), /--my_config needs a config file/);
});

test('an override takes the next argument unless its key is a bool; a bare bool flag is true', () => {
  const m = takeMyConfig(['--my_config', FILE, '--my_config.num_epochs', '3', '--my_config.prompt_histogram', '--workdir', 'w', '--nomy_config.reinit_optimizer']);
  assert.equal(m.config?.num_epochs, 3);
  assert.equal(m.config?.prompt_histogram, true);
  assert.equal(m.config?.reinit_optimizer, false);
  assert.deepEqual(m.rest, ['--workdir', 'w']);
});

test("arguments after '--' are left alone", () => {
  const m = takeMyConfig(['--my_config', FILE, '--', '--my_config.num_epochs=2']);
  assert.equal(m.config?.num_epochs, 5);
  assert.deepEqual(m.rest, ['--', '--my_config.num_epochs=2']);
  assert.deepEqual(takeMyConfig(['--', '--my_config.x=1']), { rest: ['--', '--my_config.x=1'] });
});
