// The run's config as text for TensorBoard's text plugin: one table row per leaf, keyed by its
// dotted path (`prompt_pool.pool_size`), so a run's settings sit beside its curves.

/** Leaves of a nested plain object, depth first in key order; arrays and non-plain values are leaves. */
export function flattenConfig(config: object, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(config)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const plain = value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
    if (plain && Object.keys(value).length > 0) out.push(...flattenConfig(value, path));
    else out.push([path, value]);
  }
  return out;
}

/** A pipe would end a markdown table cell and a newline its row; both are escaped. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A two-column markdown table, `key | value`, values written as JSON (strings quoted). */
export function configMarkdown(config: object): string {
  const rows = flattenConfig(config).map(([k, v]) => `| ${cell(k)} | ${cell(JSON.stringify(v) ?? String(v))} |`);
  return ['| key | value |', '| --- | --- |', ...rows].join('\n');
}
