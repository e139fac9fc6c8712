// `l2p main`, `l2p config` and `l2p train --my_config` through the real command line: the config
// printed, the official command line's flags, and bad input refused in one line with nothing written.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { getPreset } from '../../../src/config/presets.ts';
import { pyJoin } from '../../../src/cli/main-py.ts';
import { tempDir } from '../../fixtures/data/write.ts';
import { assertRefusal, assertUnchanged, l2p, snapshot } from '../../robust/cli.ts';

const DOMAINNET = 'examples/configs/domainnet_l2p.py';

test('l2p config --config PRESET prints the preset as JSON and names our own keys on stderr', async () => {
  const r = await l2p(['config', '--config', 'core50_l2p']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), getPreset('core50_l2p'));
  assert.match(r.stderr, /^\(ours\) keys, not in the official code: method, data_dir, .*eval_augment.*continual\.scenario/m);
});

test('l2p config --my_config FILE.py with overrides prints what main would run; the .py output reads back', async () => {
  const dir = tempDir('pyconfig-cli');
  const before = snapshot([dir]);
  const r = await l2p(['config', `--my_config=${DOMAINNET}`, '--my_config.init_checkpoint=./ViT-B_16.npz', '--my_config.num_epochs', '2', '--nomy_config.prompt_histogram']);
  assert.equal(r.status, 0, r.stderr);
  const want = { ...getPreset('domainnet_l2p'), init_checkpoint: './ViT-B_16.npz', num_epochs: 2, prompt_histogram: false };
  assert.deepEqual(JSON.parse(r.stdout), want);
  assertUnchanged(before, snapshot([dir]), 'the temp dir');

  const py = await l2p(['config', '--config', 'domainnet_l2p', '--format', 'py']);
  assert.equal(py.status, 0, py.stderr);
  const file = join(dir, 'domainnet_l2p.py');
  writeFileSync(file, py.stdout);
  const back = await l2p(['config', '--my_config', file]);
  assert.equal(back.status, 0, back.stderr);
  assert.deepEqual(JSON.parse(back.stdout), getPreset('domainnet_l2p'));
});

test("--exp_id joins the workdir as Python's os.path.join does", () => {
  assert.equal(pyJoin('./domainnet_l2p/', 'run1'), './domainnet_l2p/run1');
  assert.equal(pyJoin('./l2p', 'run1'), './l2p/run1');
  assert.equal(pyJoin('./l2p', '/abs/run'), '/abs/run');
});

/** [name, the file's text (or bytes), extra arguments, the message]. */
const BAD: [string, string | Buffer, string[], RegExp][] = [
  ['not Python: binary', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00]), [], /: not a Python config file \(its bytes are not UTF-8 text\)$/],
  ['not Python: JSON', '{"model_name": "ViT-B_16"}\n', [], /c\.py:1:1: a dict as a statement is not supported/],
  ['syntax error', 'import ml_collections\ndef get_config()\n  pass\n', [], /c\.py:2:17: expected ':', got end of line$/],
  ['an unclosed bracket', 'import ml_collections\ndef get_config(:\n  pass\n', [], /c\.py:2:15: '\(' is never closed$/],
  ['unsupported construct', 'import ml_collections\ndef get_config():\n  config = ml_collections.ConfigDict()\n  if True:\n    config.a = 1\n  return config\n', [], /c\.py:4:3: an 'if' statement is not supported$/],
  ['no get_config', 'import ml_collections\nCONFIG = 1\n', [], /c\.py: defines no get_config\(\) function/],
  ['override of an undefined key', '', ['--my_config.prompt_pool_param.pool_sz=5'], /--my_config\.prompt_pool_param\.pool_sz: .*c\.py defines no key 'prompt_pool_param\.pool_sz' \(did you mean 'prompt_pool_param\.pool_size'\?\)/],
  ['wrong-typed value', '', ['--my_config.num_epochs=2.5'], /--my_config\.num_epochs=2\.5: 'num_epochs' is an int in .*c\.py, and '2\.5' is not an int$/],
  ['wrong-typed bool', '', ['--my_config.prompt_pool=maybe'], /'prompt_pool' is a bool in .*c\.py, and 'maybe' is not a bool$/],
  ['a value the schema refuses', '', ['--my_config.optim=adamm'], /c\.py: config key 'optim' must be one of 'adam', 'adamw', 'sgd', got "adamm" \(did you mean 'adam'\?\)$/],
  ['override before the file', '', ['--my_config.num_epochs=2', '--my_config', 'FILE'], /--my_config\.num_epochs is given before --my_config/],
];

// Every case through `l2p main`; `l2p train --my_config` shares the reading, so two cases suffice there.
const CASES = [...BAD.map((c) => ['main', ...c] as const), ...BAD.filter(([n]) => n === 'syntax error' || n === 'wrong-typed value').map((c) => ['train', ...c] as const)];

describe('bad input', { concurrency: 2 }, () => {
  for (const [command, name, body, extra, message] of CASES) {
    test(`l2p ${command} refuses ${name} in one line and writes nothing`, async () => {
      const dir = tempDir('pyconfig-bad');
      const file = join(dir, 'c.py');
      writeFileSync(file, body === '' ? await (await import('node:fs/promises')).readFile(DOMAINNET) : body);
      const workdir = join(dir, 'run');
      const before = snapshot([dir]);
      const args = extra.includes('FILE') ? extra.map((a) => (a === 'FILE' ? file : a)) : ['--my_config', file, ...extra];
      const r = await l2p([command, ...args, '--workdir', workdir]);
      assert.deepEqual(assertRefusal(r, command, message), [], 'nothing printed before the error');
      assertUnchanged(before, snapshot([dir]), 'the directory');
      assert.ok(!existsSync(workdir));
    });
  }
});

test('l2p main: a missing file, an unknown flag and a stray argument are refused in one line', async () => {
  assertRefusal(await l2p(['main', '--my_config', 'no/such.py', '--workdir', 'w']), 'main', /^l2p main: cannot read config file 'no\/such\.py': it does not exist$/);
  assertRefusal(await l2p(['main', '--my_config', DOMAINNET, '--workdir', 'w', '--learning_rate=1']), 'main', /unknown flag '--learning_rate=1'/);
  assertRefusal(await l2p(['main', '--my_config', DOMAINNET, '--workdir', 'w', 'extra']), 'main', /unexpected argument 'extra'/);
  assertRefusal(await l2p(['main', '--my_config', DOMAINNET]), 'main', /--workdir is required/);
  assertRefusal(await l2p(['train', '--my_config', DOMAINNET, '--config', 'cifar100_l2p', '--workdir', 'w']), 'train', /give --config or --my_config, not both/);
});

test('l2p --help lists main and config', async () => {
  const r = await l2p(['--help']);
  assert.match(r.stdout, /^ {2}main {9}the official `python main\.py` command line/m);
  assert.match(r.stdout, /^ {2}config {7}print the configuration a run would use/m);
});
