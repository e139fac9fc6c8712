// A config as dotted keys (`prompt_pool_param.pool_size`): how runs are compared, tabled and tagged.

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
