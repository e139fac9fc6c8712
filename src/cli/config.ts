// `l2p config`: the configuration a run would use, resolved from a preset or an official-style
// config file with its overrides, printed as JSON (or as an official-style .py file) and nothing
// else: no workdir is touched.
import { parseArgs } from 'node:util';
import { flattenConfig } from '../config/flatten.ts';
import { presetNames } from '../config/presets.ts';
import { OUR_KEYS } from '../config/pyconfig/official.ts';
import { writePyConfig } from '../config/pyconfig/write.ts';
import { UserError } from '../errors.ts';
import { givenConfig, takeMyConfig } from './my-config.ts';

const HELP = `usage: l2p config (--config <preset | file.json> | --my_config FILE.py[:ARG] [--my_config.key=value ...])
                  [--set key=value ...] [--format json|py]

Prints the configuration that \`l2p train\` / \`l2p main\` would run with these flags, and exits.
  --config    a preset (${presetNames().join(', ')}) or a JSON config file
  --my_config an official-style ml_collections config file with --my_config.key=value overrides
  --set       override a config key, as for l2p train
  --format    json (default): the config as JSON on stdout, loadable by --config FILE.json; the keys
              that are ours (not in the official code) are named on stderr.
              py: an official-style config file on stdout, our keys marked "# (ours)", that
              --my_config reads back to the same configuration`;

export async function run(argv: string[]): Promise<number> {
  const my = takeMyConfig(argv);
  const { values } = parseArgs({
    args: my.rest,
    options: {
      config: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      format: { type: 'string', default: 'json' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.format !== 'json' && values.format !== 'py') throw new UserError(`--format must be json or py, got '${values.format}'`);
  if (values.config && my.config) throw new UserError('give --config or --my_config, not both');
  if (!values.config && !my.config) throw new UserError(`--config or --my_config is required\n\n${HELP}`);
  const config = givenConfig(values.config, my, values.set ?? [])!;
  if (values.format === 'py') {
    const title = my.file ?? values.config!;
    process.stdout.write(writePyConfig(config, title));
    return 0;
  }
  process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
  const ours = flattenConfig(config)
    .map(([k]) => k)
    .filter((k) => OUR_KEYS.some((o) => k === o || k.startsWith(`${o}.`)));
  const named = [...new Set(ours.map((k) => OUR_KEYS.find((o) => k === o || k.startsWith(`${o}.`))!))];
  console.error(`(ours) keys, not in the official code: ${named.join(', ')}`);
  return 0;
}
