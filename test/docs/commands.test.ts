// Every `npx l2p ...` command in README.md and docs/*.md names a command that exists and only flags
// that command declares, with a value where the flag takes one. Each command is dry-run through the
// real entry point (src/cli/main.ts) with node:util's parseArgs wrapped: the wrapper parses the
// doc's arguments with the options the command declares, records the outcome, and stops the command
// before it does anything else.
import assert from 'node:assert/strict';
import { syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';
import util from 'node:util';
import { main } from '../../src/cli/main.ts';
import { resolveConfig } from '../../src/config/overrides.ts';
import { presetNames } from '../../src/config/presets.ts';
import { backboneInit } from '../../src/train/backbone-init.ts';
import { docCommands, words } from './doc-text.ts';

class Stop extends Error {}

/**
 * The arguments without the official main.py's --my_config flag family (`--my_config FILE.py`,
 * `--my_config.key=VALUE`, `--my_config.key VALUE`), which a command reads from its argv before
 * parseArgs sees the rest (their reader has its own tests): its file need not exist for this check.
 */
export function withoutMyConfig(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i];
    if (/^--?(no)?my_config(=|$)/.test(w)) {
      if (!w.includes('=')) i++;
    } else if (/^--?(no)?my_config\./.test(w)) {
      if (!w.includes('=') && i + 1 < argv.length && !argv[i + 1].startsWith('-')) i++;
    } else out.push(w);
  }
  return out;
}

/** The flags of a command line by name, the --my_config family as --my_config. */
export function flagsOf(argv: readonly string[]): string[] {
  return argv.filter((w) => w.startsWith('-') && w !== '-' && w !== '--').map((w) => w.split('=')[0].replace(/^--?(no)?my_config\..*$/, '--my_config'));
}

/** Prose names a flag in inline code (`l2p eval --workdir`): its value missing at the very end is no error. */
function flagNamedOnly(argv: string[], error: string): boolean {
  const m = /^Option '(--[\w-]+)(?: <value>)?' argument missing/.exec(error);
  return m !== null && argv.at(-1) === m[1];
}

type ParseConfig = Parameters<typeof util.parseArgs>[0];

/** The outcome of parsing `argv` as `l2p` would: which options were declared, and the parse error if any. */
async function dryRun(argv: string[]): Promise<{ parsed: boolean; error?: string; exit?: number; said: string }> {
  const real = util.parseArgs;
  let parsed = false;
  let error: string | undefined;
  let said = '';
  (util as { parseArgs: unknown }).parseArgs = (config: ParseConfig) => {
    parsed = true;
    try {
      real(config);
    } catch (e) {
      error = (e as Error).message;
    }
    throw new Stop();
  };
  syncBuiltinESMExports();
  const { log, error: err } = console;
  console.log = console.error = (...a: unknown[]) => void (said += `${a.join(' ')}\n`);
  try {
    const exit = await main(argv);
    return { parsed, error, exit, said };
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { parsed, error, said };
  } finally {
    (util as { parseArgs: unknown }).parseArgs = real;
    syncBuiltinESMExports();
    console.log = log;
    console.error = err;
  }
}

test('the documented commands are found: code blocks, inline code, continuation lines', () => {
  const all = docCommands();
  assert.ok(all.length >= 40, `${all.length} commands`);
  assert.deepEqual(words(`demo --set 'a=b c' [--json]   # a comment`), ['demo', '--set', 'a=b c', '--json']);
  assert.deepEqual(words('bench --device cpu|webgpu | tee x'), ['bench', '--device', 'cpu|webgpu']);
  const sweep = all.find((c) => c.argv[0] === 'sweep' && c.argv.includes('--grid') && c.argv.includes('--seeds') && c.where.startsWith('docs/sweep.md'));
  assert.ok(sweep?.argv.includes('--threads'), 'the continuation lines of a command are part of it');
  assert.ok(!all.some((c) => c.argv[0].endsWith(':')), 'error messages shown in the docs are not commands');
  const readme = all.filter((c) => c.where.startsWith('README.md')).map((c) => c.argv.join(' '));
  assert.ok(readme.includes('data describe --dataset NAME') && readme.includes('data preview --dataset NAME'), "README's 'describe\\|preview' is two commands");
  assert.deepEqual(words('config --config X > out.py'), ['config', '--config', 'X']);
});

test('the dry run itself tells an unknown flag, a flag without its value and an unknown command', async () => {
  assert.deepEqual(await dryRun(['train', '--config', 'x', '--workdir', 'y']).then((r) => [r.parsed, r.error]), [true, undefined]);
  assert.match((await dryRun(['train', '--confg', 'x'])).error!, /Unknown option '--confg'/);
  assert.match((await dryRun(['train', '--config'])).error!, /argument missing/);
  assert.deepEqual(withoutMyConfig(['main', '--my_config', 'a.py', '--workdir=w', '--my_config.x=1', '--my_config.y', '2', '--nomy_config.flag', '--exp_id', 'e']), ['main', '--workdir=w', '--exp_id', 'e']);
  assert.equal(flagNamedOnly(['train', '--config'], "Option '--config <value>' argument missing"), true);
  assert.equal(flagNamedOnly(['train', '--config', '--resume'], "Option '--config <value>' argument missing"), false);
  assert.match((await dryRun(['data', 'describe', '--dataste', 'x'])).error!, /Unknown option '--dataste'/);
  assert.deepEqual(flagsOf(['main', '--my_config', 'a.py', '--workdir=w', '--nomy_config.flag', '-h', 'x']), ['--my_config', '--workdir', '--my_config', '-h']);
  const unknown = await dryRun(['trian']);
  assert.deepEqual([unknown.parsed, unknown.exit], [false, 1]);
});

test('every npx l2p command in the docs parses as its command declares', async () => {
  const problems: string[] = [];
  for (const { where, argv } of docCommands()) {
    const r = await dryRun(withoutMyConfig(argv));
    if (!r.parsed) {
      // A command that reads its argv itself (l2p main, as python main.py does): its --help lists its flags.
      const help = await dryRun([argv[0], '--help']);
      const unknown = help.exit === 0 ? flagsOf(argv).filter((f) => !new RegExp(`(^|[\\s\\[(|])${f}(?![\\w-])`).test(help.said)) : ['(no --help)'];
      if (unknown.length) problems.push(`${where}: 'l2p ${argv.join(' ')}': ${unknown.join(', ')} not among the command's options (${r.said.trim().split('\n')[0]})`);
    } else if (r.error && !flagNamedOnly(argv, r.error)) problems.push(`${where}: 'l2p ${argv.join(' ')}': ${r.error}`);
  }
  assert.deepEqual(problems, []);
});

test('every documented run of a preset names its backbone where the preset needs one', () => {
  const problems: string[] = [];
  for (const { where, argv } of docCommands()) {
    if (!['train', 'sweep', 'doctor'].includes(argv[0])) continue;
    const value = (flag: string) => argv.flatMap((w, i) => (w === flag && i + 1 < argv.length ? [argv[i + 1]] : []));
    const [preset] = value('--config');
    if (!presetNames().includes(preset)) continue;
    try {
      backboneInit(resolveConfig(preset, value('--set')));
    } catch (e) {
      problems.push(`${where}: 'l2p ${argv.join(' ')}': ${(e as Error).message.split(':')[0]}`);
    }
  }
  assert.deepEqual(problems, []);
});
