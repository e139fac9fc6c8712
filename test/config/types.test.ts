// Type-level tests: `npx tsc --noEmit -p .` fails if a `@ts-expect-error` line below stops being an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { L2PConfig } from '../../src/config/l2p.ts';
import { int, list, object, optional, string, type Infer } from '../../src/config/schema.ts';
import { cifar100_l2p } from '../../configs/cifar100_l2p.ts';

const s = object({ n: int(), names: list(string()), maybe: optional(string()) });
type T = Infer<typeof s>;

test('types inferred from schemas reject wrong assignments', () => {
  const ok: T = { n: 1, names: [] };
  // @ts-expect-error n must be a number
  const wrongType: T = { n: 'one', names: [] };
  // @ts-expect-error names is required
  const missing: T = { n: 1 };
  // @ts-expect-error unknown keys are rejected in object literals
  const extra: T = { n: 1, names: [], other: 2 };

  const c: L2PConfig = structuredClone(cifar100_l2p);
  // @ts-expect-error pool_size is a number
  c.prompt_pool_param.pool_size = '10';
  // @ts-expect-error optim is one of the enum values
  c.optim = 'adagrad';
  // @ts-expect-error the config's init_checkpoint is string | null, not undefined
  c.init_checkpoint = undefined;
  const maybe: string | undefined = ok.maybe;
  assert.ok([wrongType, missing, extra, maybe].length === 4);
});
