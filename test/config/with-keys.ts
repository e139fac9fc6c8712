// A config with some keys set by their dotted names, for the tests that vary one key at a time.
import type { ConfigKey } from '../../src/config/keys.ts';
import type { L2PConfig } from '../../src/config/l2p.ts';

/** A copy of `c` with each dotted key of `patch` set, groups on the way created where unset. */
export function withKeys(c: L2PConfig, patch: Partial<Record<ConfigKey, unknown>>): L2PConfig {
  const out = structuredClone(c) as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    const parts = key.split('.');
    let obj = out;
    for (const p of parts.slice(0, -1)) obj = (obj[p] ??= {}) as Record<string, unknown>;
    obj[parts[parts.length - 1]] = value;
  }
  return out as L2PConfig;
}
