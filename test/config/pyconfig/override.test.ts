// `--my_config.key=VALUE` as ml_collections' config_flags (lock_config=True) parses it: by the type
// of the field the file defines, with absl's bool/int/float parsers and a Python literal for lists
// and tuples; keys the file lacks, None fields and wrongly typed values are refused in one line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/errors.ts';
import { evaluateConfig } from '../../../src/config/pyconfig/evaluate.ts';
import { applyPyOverrides, type Override } from '../../../src/config/pyconfig/override.ts';
import { FieldRef, toPlain, typeOf, type PyValue } from '../../../src/config/pyconfig/values.ts';

const SRC = `import ml_collections
def get_config():
  c = ml_collections.ConfigDict()
  c.b = False
  c.i = 3
  c.f = 0.5
  c.s = "x"
  c.l = ["a"]
  c.t = (1, 2)
  c.n = None
  c.r = ml_collections.FieldReference(None, field_type=str)
  c.rf = ml_collections.FieldReference(1.0, field_type=float)
  c.g = ml_collections.ConfigDict()
  c.g.k = 10
  c.shared = c.r
  ref = ml_collections.FieldReference(5)
  c.p = ref
  c.q = ref
  return c
`;

function apply(...overrides: Override[]) {
  const root = evaluateConfig(SRC, 'c.py');
  applyPyOverrides(root, overrides, 'c.py');
  return root;
}
const get = (o: Override, key = o.key.split('.')[0]) => {
  const root = apply(o);
  let f = root.fields.get(key)!;
  for (const part of o.key.split('.').slice(1)) f = (f as unknown as { fields: Map<string, PyValue> }).fields.get(part)!;
  const v = f instanceof FieldRef ? f.value : f;
  return [toPlain(v), typeOf(v)];
};

test('bool: true/t/1 and false/f/0 in any case, bare flag and the no- prefix', () => {
  for (const raw of ['true', 'True', 'T', '1']) assert.deepEqual(get({ key: 'b', raw }), [true, 'bool'], raw);
  for (const raw of ['false', 'FALSE', 'f', '0']) assert.deepEqual(get({ key: 'b', raw }), [false, 'bool'], raw);
  assert.deepEqual(get({ key: 'b' }), [true, 'bool']);
  assert.deepEqual(get({ key: 'b', no: true }), [false, 'bool']);
  assert.throws(() => apply({ key: 'b', raw: 'yes' }), /^UserError: --my_config\.b=yes: 'b' is a bool in c\.py, and 'yes' is not a bool$/);
});

test("int: absl's IntegerParser (decimal, 0x, 0o, underscores); a float text is refused", () => {
  assert.deepEqual(get({ key: 'i', raw: '20' }), [20, 'int']);
  assert.deepEqual(get({ key: 'i', raw: '-7' }), [-7, 'int']);
  assert.deepEqual(get({ key: 'i', raw: '0x10' }), [16, 'int']);
  assert.deepEqual(get({ key: 'i', raw: '0o17' }), [15, 'int']);
  assert.deepEqual(get({ key: 'i', raw: '1_000' }), [1000, 'int']);
  assert.deepEqual(get({ key: 'i', raw: '007' }), [7, 'int']);
  for (const raw of ['2.5', '1e3', 'ten', '', '0b11', '-0x10']) assert.throws(() => apply({ key: 'i', raw }), /'i' is an int in c\.py, and '.*' is not an int/, raw);
});

test('float: any float() text, an int text made a float', () => {
  assert.deepEqual(get({ key: 'f', raw: '3' }), [3, 'float']);
  assert.deepEqual(get({ key: 'f', raw: '1e-3' }), [0.001, 'float']);
  assert.deepEqual(get({ key: 'f', raw: '.5' }), [0.5, 'float']);
  assert.deepEqual(get({ key: 'f', raw: '-2.' }), [-2, 'float']);
  assert.throws(() => apply({ key: 'f', raw: 'half' }), /'f' is a float in c\.py, and 'half' is not a float/);
});

test('str: the text as it is, even when it looks like a number or a list', () => {
  assert.deepEqual(get({ key: 's', raw: '2024' }), ['2024', 'str']);
  assert.deepEqual(get({ key: 's', raw: '[1]' }), ['[1]', 'str']);
  assert.deepEqual(get({ key: 's', raw: '' }), ['', 'str']);
});

test('list: a Python or JSON literal; a tuple literal becomes a list; other text is refused', () => {
  assert.deepEqual(get({ key: 'l', raw: '["x", "y"]' }), [['x', 'y'], 'list']);
  assert.deepEqual(get({ key: 'l', raw: "('x',)" }), [['x'], 'list']);
  assert.deepEqual(get({ key: 'l', raw: '[]' }), [[], 'list']);
  assert.deepEqual(get({ key: 'l', raw: '[true, null]' }), [[true, null], 'list']);
  assert.throws(() => apply({ key: 'l', raw: 'encoder' }), /'l' is a list in c\.py, and 'encoder' is not a list/);
});

test('tuple: a literal, a single element, or repeated flags adding elements', () => {
  assert.deepEqual(get({ key: 't', raw: '(3, 4, 5)' }), [[3, 4, 5], 'tuple']);
  assert.deepEqual(get({ key: 't', raw: 'abc' }), [['abc'], 'tuple']);
  const root = apply({ key: 't', raw: '1' }, { key: 't', raw: '2' });
  assert.deepEqual(toPlain(root.fields.get('t')!), [1, 2]);
});

test('a FieldReference is parsed by its field_type and every field sharing it changes', () => {
  assert.deepEqual(get({ key: 'r', raw: './ViT-B_16.npz' }), ['./ViT-B_16.npz', 'str']);
  assert.deepEqual(get({ key: 'rf', raw: '2' }), [2, 'float']);
  const root = apply({ key: 'r', raw: 'ck.npz' }, { key: 'p', raw: '9' });
  const plain = toPlain(root) as Record<string, unknown>;
  assert.equal(plain.shared, null, 'c.shared = c.r copied the value, not the reference');
  assert.equal(plain.p, 9);
  assert.equal(plain.q, 9, 'c.p and c.q hold one FieldReference');
  assert.throws(() => apply({ key: 'p', raw: '1.5' }), /'p' is an int in c\.py/);
});

test('nested keys; a key the file does not define is refused with the nearest one, as lock_config', () => {
  assert.deepEqual(get({ key: 'g.k', raw: '20' }), [20, 'int']);
  assert.throws(() => apply({ key: 'g.kk', raw: '1' }), /^UserError: --my_config\.g\.kk: c\.py defines no key 'g\.kk' \(did you mean 'g\.k'\?\); a key the config file does not define cannot be set \(lock_config=True\)$/);
  assert.throws(() => apply({ key: 'zz', raw: '1' }), /c\.py defines no key 'zz'; a key/);
  assert.throws(() => apply({ key: 'i.x', raw: '1' }), /--my_config\.i\.x: 'i' in c\.py is an int, not a group of keys/);
});

test('a field holding a plain None cannot be overridden, as in ml_collections', () => {
  assert.throws(() => apply({ key: 'n', raw: 'x' }), /--my_config\.n: 'n' is None in c\.py, and ml_collections cannot override a None field/);
});

test('a value is required unless the key is a bool; the no- prefix only for bools', () => {
  assert.throws(() => apply({ key: 'i' }), /--my_config\.i needs a value \(--my_config\.i=VALUE\): the key holds an int/);
  assert.throws(() => apply({ key: 'i', no: true }), /--nomy_config\.i: the 'no' prefix is only for bool keys/);
});

test('a group given after one of its keys would undo it: refused, as config_flags does', () => {
  assert.throws(() => apply({ key: 'g.k', raw: '1' }, { key: 'g', raw: '{"k": 2}' }), /--my_config\.g is given after --my_config\.g\.k and would overwrite it/);
  const root = apply({ key: 'g', raw: '{"k": 2, "m": "x"}' }, { key: 'g.k', raw: '3' });
  assert.deepEqual(toPlain(root.fields.get('g')!), { k: 3, m: 'x' });
});

test('every refusal is a one-line UserError', () => {
  for (const o of [{ key: 'b', raw: 'x' }, { key: 'zz', raw: '1' }, { key: 'n', raw: '1' }, { key: 'l', raw: 'x' }]) {
    assert.throws(() => apply(o), (e: unknown) => e instanceof UserError && !e.message.includes('\n'));
  }
});
