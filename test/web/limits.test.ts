// The bound an export's config is checked against before anything is built (src/web/limits.ts): for
// every method and its presets' prompt settings, it is at least the floats the method really
// allocates, and not far above them where the method builds its pool, so no run slips past it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onMethod } from '../../src/config/keys.ts';
import { numTotalClasses, parseL2PConfig, type L2PConfig } from '../../src/config/l2p.ts';
import { getPreset, presetNames } from '../../src/config/presets.ts';
import { methodOf } from '../../src/methods/index.ts';
import { decodeVariant } from '../../src/vit/variants.ts';
import { checkExportSize, MAX_METHOD_FLOATS, methodFloatsBound } from '../../src/web/limits.ts';

/** A preset on the page's backbone size, with the method's own prompt settings, and what it allocates. */
function measured(name: string, method?: string) {
  const preset = getPreset(name);
  const c = parseL2PConfig({ ...(method ? onMethod(preset, method as L2PConfig['method']) : preset), model_name: 'ViT-nano_4' });
  const vit = { config: decodeVariant('ViT-nano_4'), numPatches: 49, params: new Map() };
  const model = methodOf(c).create(c, vit, numTotalClasses(c));
  const floats = [...model.params.values()].reduce((n, p) => n + p.data.length, 0);
  return { c, floats, bound: methodFloatsBound(c) };
}

test('the bound is at least what every method allocates, and within 3× of it where the pool is built', () => {
  const cases: [string, string?][] = [
    ...presetNames().filter((n) => n.endsWith('_smoke') || n.startsWith('split_mnist')).map((n): [string] => [n]),
    ['split_mnist_l2p', 'shared_prompt'],
    ['split_mnist_l2p', 'head_only'],
    ['split_mnist_l2p', 'joint'],
  ];
  for (const [name, method] of cases) {
    const { c, floats, bound } = measured(name, method);
    assert.ok(floats > 0 && bound >= floats, `${name} (${c.method}): bound ${bound} < allocated ${floats}`);
    // shared_prompt and head_only leave the pool unbuilt; the bound counts it all the same.
    if (c.method !== 'shared_prompt' && c.method !== 'head_only') assert.ok(bound <= 3 * floats, `${name} (${c.method}): bound ${bound} far above ${floats}`);
    checkExportSize(c);
  }
});

test('a config past the bound is refused naming its sizes, before anything is built', () => {
  const base = getPreset('split_mnist_l2p');
  const huge = parseL2PConfig({ ...base, prompt_pool_param: { ...base.prompt_pool_param, pool_size: 100_000 } });
  // 128 × (10 classes + 1 + 2 × 100000 × (10 + 1)): the pool, its keys and the head, by hand.
  assert.equal(methodFloatsBound(huge), 128 * (10 + 1 + 2 * 100_000 * 11));
  assert.ok(methodFloatsBound(huge) > MAX_METHOD_FLOATS);
  assert.throws(() => checkExportSize(huge), /about 2\.82e\+8 parameter values \(prompt_pool_param\.pool_size 100000, length 10, 10 classes\); an export holds at most 4194304/);
});
