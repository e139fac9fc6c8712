// An official-style config file as our config: read (never run), `--my_config.k=v` overrides with
// ml_collections' rules, the official tree mapped onto ours, and the same validation as a preset.
import { readFileSync } from 'node:fs';
import { fsReason, UserError } from '../../errors.ts';
import { parseL2PConfig, type L2PConfig } from '../l2p.ts';
import { evaluateConfig } from './evaluate.ts';
import { fromOfficial } from './official.ts';
import { applyPyOverrides, type Override } from './override.ts';
import { toPlain, type ConfigDict } from './values.ts';

/** `FILE.py` or `FILE.py:ARG` (ARG is passed to get_config), as config_flags splits it. */
export function splitSpec(spec: string): { file: string; arg?: string } {
  const colon = spec.indexOf(':');
  return colon < 0 ? { file: spec } : { file: spec.slice(0, colon), arg: spec.slice(colon + 1) };
}

/** The text of a config file, or one line saying why it is not a readable Python source file. */
export function readSource(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read config file '${file}': ${fsReason(e)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${file}: not a Python config file (its bytes are not UTF-8 text)`);
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const before = text.slice(0, nul).split('\n');
    throw new UserError(`${file}:${before.length}:${before[before.length - 1].length + 1}: not a Python config file (a NUL byte)`);
  }
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

/** The ConfigDict of `spec` (FILE.py or FILE.py:ARG) with the overrides applied. */
export function readPyConfig(spec: string, overrides: readonly Override[] = []): ConfigDict {
  const { file, arg } = splitSpec(spec);
  const root = evaluateConfig(readSource(file), file, arg);
  applyPyOverrides(root, overrides, file);
  return root;
}

/** Our validated config from an official-style ConfigDict read from `file`. */
export function configOf(root: ConfigDict, file: string): L2PConfig {
  const tree = toPlain(root) as Record<string, unknown>;
  try {
    return parseL2PConfig(fromOfficial(tree));
  } catch (e) {
    if (e instanceof UserError) e.message = `${file}: ${e.message}`;
    throw e;
  }
}

/** Reads `spec`, applies the overrides and validates: what `l2p main --my_config` runs. */
export function loadPyConfig(spec: string, overrides: readonly Override[] = []): L2PConfig {
  return configOf(readPyConfig(spec, overrides), splitSpec(spec).file);
}
