// A config as an official-style ml_collections file: `config.a.b = value` lines in get_config(),
// ints and floats written as the schema types them (so `--my_config.key=VALUE` parses as it should),
// a null as a FieldReference of the key's type (as the official files write init_checkpoint, so that
// `--my_config.init_checkpoint=FILE` can set it), and our
// own keys marked "(ours)". Reading the file back gives the same config.
import type { L2PConfig } from '../l2p.ts';
import { l2pConfigSchema } from '../l2p.ts';
import { shapeOf, type AnySchema, type Shape } from '../schema.ts';
import { OUR_KEYS } from './official.ts';

/** The Python source of `config`; `title` goes in the module docstring. */
export function writePyConfig(config: L2PConfig, title: string): string {
  const lines = [
    `"""${title}: an ml_collections config for \`l2p main --my_config\` (and python main.py). Keys marked (ours) are L2P.ts's own."""`,
    '',
    'import ml_collections',
    '',
    '',
    'def get_config():',
    '  """Returns the config."""',
    '  config = ml_collections.ConfigDict()',
  ];
  group(lines, 'config', '', config as unknown as Record<string, unknown>, shapeOf(l2pConfigSchema)!);
  lines.push('  return config', '');
  return lines.join('\n');
}

function group(lines: string[], target: string, path: string, obj: Record<string, unknown>, shape: Shape): void {
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    const full = path === '' ? key : `${path}.${key}`;
    const mark = (OUR_KEYS as readonly string[]).includes(full) ? '  # (ours)' : '';
    const schema = Object.hasOwn(shape, key) ? shape[key] : undefined;
    const inner = schema && shapeOf(schema);
    if (inner && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      lines.push(`  ${target}.${key} = ml_collections.ConfigDict()${mark}`);
      group(lines, `${target}.${key}`, full, value as Record<string, unknown>, inner);
    } else {
      lines.push(`  ${target}.${key} = ${valueText(value, schema)}${mark}`);
    }
  }
}

/** The leaf schema under optional/nullable, and whether null is allowed. */
function leafOf(schema: AnySchema | undefined): { leaf?: AnySchema; nullable: boolean } {
  let s = schema;
  let nullable = false;
  while (s && (s.kind === 'optional' || s.kind === 'nullable')) {
    if (s.kind === 'nullable') nullable = true;
    s = s.inner;
  }
  return { leaf: s, nullable };
}

const PY_TYPE: Partial<Record<AnySchema['kind'], string>> = { string: 'str', enum: 'str', int: 'int', number: 'float', bool: 'bool', list: 'list' };

function valueText(value: unknown, schema: AnySchema | undefined): string {
  const { leaf, nullable } = leafOf(schema);
  if (nullable && value === null) return `ml_collections.FieldReference(None, field_type=${PY_TYPE[leaf?.kind ?? 'string'] ?? 'str'})`;
  return literal(value, leaf);
}

/** A Python literal for `value`; `schema` says whether a number is a float. */
export function literal(value: unknown, schema: AnySchema | undefined): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return schema?.kind === 'number' && /^-?\d+$/.test(String(value)) ? `${value}.0` : String(value);
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, schema?.kind === 'list' ? schema.inner : undefined)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${literal(v, schema && shapeOf(schema)?.[k])}`);
  return `{${entries.join(', ')}}`;
}
