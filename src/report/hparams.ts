// The run's config as text for TensorBoard's text plugin: one table row per leaf, keyed by its
// dotted path (`prompt_pool.pool_size`), so a run's settings sit beside its curves.
import { flattenConfig } from '../config/flatten.ts';

/** A pipe would end a markdown table cell and a newline its row; both are escaped. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A two-column markdown table, `key | value`, values written as JSON (strings quoted). */
export function configMarkdown(config: object): string {
  const rows = flattenConfig(config).map(([k, v]) => `| ${cell(k)} | ${cell(JSON.stringify(v) ?? String(v))} |`);
  return ['| key | value |', '| --- | --- |', ...rows].join('\n');
}
