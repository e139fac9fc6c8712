// The --my_config flag family of the official main.py, for `l2p main`, `l2p train` and `l2p config`:
// `--my_config FILE.py`, `--my_config=FILE.py[:ARG]`, then `--my_config.a.b=VALUE`,
// `--my_config.a.b VALUE` and, for a bool key, `--my_config.flag` / `--nomy_config.flag`, as absl
// and ml_collections' config_flags read them. Arguments that are not of this family are returned.
import { UserError } from '../errors.ts';
import type { L2PConfig } from '../config/l2p.ts';
import { applyOverrides, resolveConfig } from '../config/overrides.ts';
import { configOf, readSource, splitSpec } from '../config/pyconfig/load.ts';
import { evaluateConfig } from '../config/pyconfig/evaluate.ts';
import { applyPyOverrides, type Override } from '../config/pyconfig/override.ts';
import { ConfigDict, FieldRef, typeOf, type PyType } from '../config/pyconfig/values.ts';

const SPEC = /^--?my_config(=|$)/;
const OVERRIDE = /^--?(no)?my_config\.([^=]*)(?:=([\s\S]*))?$/;

export interface MyConfig {
  /** The validated config, or undefined when argv has no --my_config. */
  config?: L2PConfig;
  /** The file (without :ARG). */
  file?: string;
  /** The raw ConfigDict after overrides, for `l2p config`. */
  root?: ConfigDict;
  /** The arguments that are not --my_config flags, in order. */
  rest: string[];
}

/** Takes the --my_config flags out of `argv`, reads the file and applies the overrides. */
export function takeMyConfig(argv: readonly string[]): MyConfig {
  let specAt = -1;
  let spec: string | undefined;
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    if (!SPEC.test(argv[i])) continue;
    const eq = argv[i].indexOf('=');
    // absl: a flag given twice takes its last value.
    spec = eq >= 0 ? argv[i].slice(eq + 1) : argv[i + 1];
    if (spec === undefined) throw new UserError('--my_config needs a config file: --my_config FILE.py');
    specAt = i;
    if (eq < 0) i++;
  }
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const firstOverride = argv.slice(0, end).findIndex((a) => OVERRIDE.test(a));
  if (spec === undefined) {
    if (firstOverride >= 0) throw new UserError(`${argv[firstOverride].split('=')[0]} needs --my_config FILE.py before it`);
    return { rest: [...argv] };
  }
  const { file, arg } = splitSpec(spec);
  const root = evaluateConfig(readSource(file), file, arg);
  const overrides: Override[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (SPEC.test(a)) {
      if (!a.includes('=')) i++;
      continue;
    }
    const m = OVERRIDE.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    if (i < specAt) throw new UserError(`${a.split('=')[0]} is given before --my_config; give the config file first`);
    const o: Override = { key: m[2], no: m[1] !== undefined, raw: m[3] };
    // `--my_config.key VALUE`: the next argument is the value unless the key is a bool.
    if (o.raw === undefined && !o.no && typeAt(root, o.key) !== 'bool' && i + 1 < argv.length) o.raw = argv[++i];
    overrides.push(o);
  }
  applyPyOverrides(root, overrides, file);
  return { config: configOf(root, file), file, root, rest };
}

function typeAt(root: ConfigDict, key: string): PyType | undefined {
  let node: ConfigDict = root;
  const parts = key.split('.');
  for (const [i, part] of parts.entries()) {
    const f = node.fields.get(part);
    if (f === undefined) return undefined;
    const v = f instanceof FieldRef ? f.value : f;
    if (i === parts.length - 1) return f instanceof FieldRef ? f.type : typeOf(v);
    if (!(v instanceof ConfigDict)) return undefined;
    node = v;
  }
  return undefined;
}

/**
 * The config a command was given: `--my_config FILE.py` (read by takeMyConfig) or `--config PRESET |
 * FILE.json`, with `--set` applied on top; undefined when neither is given. Both at once is refused.
 */
export function givenConfig(config: string | undefined, my: MyConfig, sets: readonly string[]): L2PConfig | undefined {
  if (config && my.config) throw new UserError('give --config or --my_config, not both');
  if (my.config) return applyOverrides(my.config, sets);
  return config === undefined ? undefined : resolveConfig(config, sets);
}
