// The config-file reader against Python itself: the same source evaluated by /usr/bin/python3 (with
// a stand-in for ml_collections' two constructors) and by our reader gives the same values and the
// same types; and ConfigDict's own rules (dict → ConfigDict, shared FieldReferences, type safety).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { UserError } from '../../../src/errors.ts';
import { evaluateConfig } from '../../../src/config/pyconfig/evaluate.ts';
import { ConfigDict, FieldRef, toPlain, typeOf, type PyValue } from '../../../src/config/pyconfig/values.ts';

const read = (src: string, arg?: string) => evaluateConfig(src, 'c.py', arg);
const plain = (src: string, arg?: string) => toPlain(read(src, arg)) as Record<string, unknown>;

/** Values and Python type names of every top-level field, as our reader sees them. */
function typed(cd: ConfigDict): Record<string, [unknown, string]> {
  const out: Record<string, [unknown, string]> = {};
  for (const [k, f] of cd.fields) {
    const v = (f instanceof FieldRef ? f.value : f) as PyValue;
    out[k] = [toPlain(v), v instanceof ConfigDict ? 'ConfigDict' : typeOf(v)];
  }
  return out;
}

// A stand-in for ml_collections in which a ConfigDict records attributes in order; enough to run the
// files below under real Python and read back every field's value and type name.
const PY_PRELUDE = `
import json, sys, types
class ConfigDict:
    def __init__(self, d=None):
        object.__setattr__(self, '_f', {})
        for k, v in (d or {}).items(): setattr(self, k, v)
    def __setattr__(self, k, v):
        if isinstance(v, dict): v = ConfigDict(v)
        self._f[k] = v
    def __getattr__(self, k): return self._f[k]
class FieldReference:
    def __init__(self, default, field_type=None): self.v = default
ml_collections = types.SimpleNamespace(ConfigDict=ConfigDict, FieldReference=FieldReference)
sys.modules['ml_collections'] = ml_collections
def plain(v):
    if isinstance(v, FieldReference): return plain(v.v)
    if isinstance(v, ConfigDict): return {k: plain(x) for k, x in v._f.items()}
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    return v
`;

function python(src: string, arg?: string): Record<string, [unknown, string]> {
  const call = arg === undefined ? 'get_config()' : `get_config(${JSON.stringify(arg)})`;
  const code = `${PY_PRELUDE}\nns = {}\nexec(compile(${JSON.stringify(src)}, 'c.py', 'exec'), ns)\nc = ns['get_config'] and eval(${JSON.stringify(call)}, ns)\nout = {}\nfor k, v in c._f.items():\n    x = v.v if isinstance(v, FieldReference) else v\n    out[k] = [plain(x), type(x).__name__]\nprint(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const ARITH = `
"""Arithmetic, literals and names."""
import ml_collections
K = 7

def get_config(arg):
  c = ml_collections.ConfigDict()
  c.a = -7 // 2
  c.b = -7 % 3
  c.c = 7 % -3
  c.d = 2 ** 10
  c.e = 2 ** -1
  c.f = 7 / 7
  c.g = -2 ** 2
  c.h = 1 + 2 * 3 - 4 / 8
  c.i = 3 * 1.5 + K
  c.j = 1e-3 * 2
  c.k = 0x1F + 0o17 + 0b101 + 1_000
  c.l = "a" "b" + 'c' + """d""" + r"\\n" + "\\t\\x41\\u00e9"
  c.m = [1, (2, [3]), {"x": None}]
  c.n = ()
  c.o = (1,)
  c.p = -(-K)
  c.q = 5.0 // 2
  c.r = True + 1
  c.s = arg + "!"
  c.t = [1] + [2, 3]
  c.u = (1, 2) + (3,)
  c.v = 10 - 2 - 3
  c.w = 2 ** 3 ** 2
  c.x = .5 + 1.
  c.y = 7.5 % 2
  c.z = -0.0
  return c
`;

test('literals, names and arithmetic have the values and types Python gives them', () => {
  assert.deepEqual(typed(read(ARITH, 'hi')), python(ARITH, 'hi'));
});

test('arithmetic over random expressions agrees with Python, value and type (fixed seed)', () => {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31), s / 2 ** 31);
  const atoms = ['3', '-2', '7', '0.5', '2.0', '1e1', '11', '-4', 'K'];
  const ops = ['+', '-', '*', '/', '//', '%'];
  const expr = (d: number): string => (d === 0 || rand() < 0.3 ? atoms[Math.floor(rand() * atoms.length)] : `(${expr(d - 1)} ${ops[Math.floor(rand() * ops.length)]} ${expr(d - 1)})`);
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) lines.push(`  c.f${i} = ${expr(3)}`);
  // Python raises ZeroDivisionError where we do; keep only expressions that divide by no zero.
  const kept: string[] = [];
  for (const l of lines) {
    try {
      read(`import ml_collections\nK = 3\ndef get_config():\n  c = ml_collections.ConfigDict()\n${l}\n  return c\n`);
      kept.push(l);
    } catch (e) {
      assert.ok(e instanceof UserError && /division by zero/.test(e.message), String(e));
    }
  }
  assert.ok(kept.length > 30, `${kept.length} expressions kept`);
  const ok = `import ml_collections\nK = 3\ndef get_config():\n  c = ml_collections.ConfigDict()\n${kept.join('\n')}\n  return c\n`;
  const ours = typed(read(ok));
  const theirs = python(ok);
  for (const k of Object.keys(theirs)) {
    const [pv, pt] = theirs[k];
    const [ov, ot] = ours[k];
    assert.equal(ot, pt, `${k}: type`);
    assert.ok(Math.abs((ov as number) - (pv as number)) <= 1e-12 * Math.max(1, Math.abs(pv as number)), `${k}: ${ov} vs ${pv}`);
  }
});

test('a dict stored in a ConfigDict becomes a ConfigDict, and so does ConfigDict({...})', () => {
  const cd = read(`import ml_collections\ndef get_config():\n  c = ml_collections.ConfigDict({"a": {"b": 1}})\n  c.d = {"e": [1, {"f": 2}]}\n  c.a.z = 3\n  c.d.g = 4\n  return c\n`);
  assert.ok(cd.fields.get('a') instanceof ConfigDict);
  assert.ok(cd.fields.get('d') instanceof ConfigDict);
  assert.deepEqual(toPlain(cd), { a: { b: 1, z: 3 }, d: { e: [1, { f: 2 }], g: 4 } });
});

test('a local ConfigDict is the same object once stored, as in Python', () => {
  const c = plain(`import ml_collections\ndef get_config():\n  c = ml_collections.ConfigDict()\n  p = ml_collections.ConfigDict()\n  c.p = p\n  p.x = 1\n  c.y = c.p.x + 1\n  return c\n`);
  assert.deepEqual(c, { p: { x: 1 }, y: 2 });
});

test('a FieldReference keeps its field_type and may be shared by two fields', () => {
  const cd = read(`import ml_collections\nfrom ml_collections import config_dict as cdm\ndef get_config():\n  c = ml_collections.ConfigDict()\n  r = cdm.FieldReference(2, field_type=float)\n  c.a = r\n  c.b = r\n  c.s = ml_collections.FieldReference(None, field_type=str)\n  return c\n`);
  const a = cd.fields.get('a') as FieldRef;
  assert.ok(a instanceof FieldRef && a === cd.fields.get('b'));
  assert.equal(a.type, 'float');
  assert.deepEqual(a.value, { t: 'float', v: 2 });
  assert.equal((cd.fields.get('s') as FieldRef).type, 'str');
});

test('get_config(arg): the FILE.py:ARG text, a default when absent, an error when required and absent', () => {
  const src = (p: string) => `import ml_collections\ndef get_config(${p}):\n  c = ml_collections.ConfigDict()\n  c.d = d\n  return c\n`;
  assert.deepEqual(plain(src('d'), 'x:y'), { d: 'x:y' });
  assert.deepEqual(plain(src('d="dflt"')), { d: 'dflt' });
  assert.throws(() => read(src('d')), /^UserError: c\.py:2:1: get_config\(\) needs its argument 'd'/);
  assert.throws(() => read(`import ml_collections\ndef get_config():\n  return ml_collections.ConfigDict()\n`, 'a'), /c\.py:2:1: get_config\(\) takes 0 arguments but 1 was given/);
});

test('reassigning a field follows ConfigDict type safety: int to float widens, str over int is refused', () => {
  const ok = read(`import ml_collections\ndef get_config():\n  c = ml_collections.ConfigDict()\n  c.x = 1.5\n  c.x = 2\n  c.n = None\n  c.n = "s"\n  c.l = [1]\n  c.l = (2,)\n  return c\n`);
  assert.deepEqual(typed(ok), { x: [2, 'float'], n: ['s', 'str'], l: [[2], 'list'] });
  assert.throws(() => read(`import ml_collections\ndef get_config():\n  c = ml_collections.ConfigDict()\n  c.x = 1\n  c.x = "a"\n  return c\n`), /c\.py:5:3: c\.x holds an int; "a" cannot be assigned to it/);
});

test('a name bound to None is bound; a key named __proto__ is an ordinary key', () => {
  const c = plain(`import ml_collections\nN = None\ndef get_config():\n  c = ml_collections.ConfigDict()\n  x = None\n  c.a = x\n  c.b = N\n  c.__proto__ = {"k": 1}\n  return c\n`);
  assert.deepEqual(Object.keys(c), ['a', 'b', '__proto__']);
  assert.equal(c.a, null);
  assert.equal(Object.getPrototypeOf(c), Object.prototype);
});
