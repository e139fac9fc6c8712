// The .npy header literal parser on its own: every form it accepts, worked out by hand from Python's
// grammar, and every refusal by its exact reason and character position.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PyLiteralError, parsePyLiteral, type PyValue } from '../../src/io/py-literal.ts';

const int = (value: number): PyValue => ({ kind: 'int', value });
const str = (value: string): PyValue => ({ kind: 'str', value });

test('py literal: scalars, with any whitespace around them', () => {
  assert.deepEqual(parsePyLiteral(' \t\n\r0 \t\n\r'), int(0));
  assert.deepEqual(parsePyLiteral('9'), int(9));
  assert.deepEqual(parsePyLiteral('-5'), int(-5));
  assert.deepEqual(parsePyLiteral('3L'), int(3));
  assert.deepEqual(parsePyLiteral('9007199254740991'), int(Number.MAX_SAFE_INTEGER));
  assert.deepEqual(parsePyLiteral('True'), { kind: 'bool', value: true });
  assert.deepEqual(parsePyLiteral('False'), { kind: 'bool', value: false });
  assert.deepEqual(parsePyLiteral('None'), { kind: 'none' });
  assert.deepEqual(parsePyLiteral(`"it's"`), str("it's"));
  assert.deepEqual(parsePyLiteral(`'<f4'`), str('<f4'));
  assert.deepEqual(parsePyLiteral(`''`), str(''));
});

test('py literal: (3) is an int, (3,) a tuple, [3] a list; trailing commas are allowed', () => {
  assert.deepEqual(parsePyLiteral('(3)'), int(3));
  assert.deepEqual(parsePyLiteral('(3,)'), { kind: 'tuple', items: [int(3)] });
  assert.deepEqual(parsePyLiteral('(3L, 4L)'), { kind: 'tuple', items: [int(3), int(4)] });
  assert.deepEqual(parsePyLiteral('[3]'), { kind: 'list', items: [int(3)] });
  assert.deepEqual(parsePyLiteral('[ ]'), { kind: 'list', items: [] });
  assert.deepEqual(parsePyLiteral('[None, False, True,]'), { kind: 'list', items: [{ kind: 'none' }, { kind: 'bool', value: false }, { kind: 'bool', value: true }] });
  assert.deepEqual(parsePyLiteral("[('a', '<f4'), ('b', '<i8', (2,))]"), {
    kind: 'list',
    items: [
      { kind: 'tuple', items: [str('a'), str('<f4')] },
      { kind: 'tuple', items: [str('b'), str('<i8'), { kind: 'tuple', items: [int(2)] }] },
    ],
  });
  assert.deepEqual(parsePyLiteral("{ 'a' : 1 , 'b':()}"), { kind: 'dict', entries: new Map([['a', int(1)], ['b', { kind: 'tuple', items: [] }]]) });
  assert.deepEqual(parsePyLiteral("{'a': 1, }"), { kind: 'dict', entries: new Map([['a', int(1)]]) });
  assert.deepEqual(parsePyLiteral('{}'), { kind: 'dict', entries: new Map() });
});

test('py literal: nesting up to 32 levels is read, 33 is refused', () => {
  let nested: PyValue = int(7);
  for (let i = 0; i < 32; i++) nested = { kind: 'list', items: [nested] };
  assert.deepEqual(parsePyLiteral('['.repeat(32) + '7' + ']'.repeat(32)), nested);
  fails('['.repeat(33) + '7' + ']'.repeat(33), 'literal nested too deeply at character 33');
  // The 33rd dict sits at depth 32; its first key is at depth 33, after 32 '{"a": ' and one '{'.
  fails('{"a": '.repeat(33) + '1' + '}'.repeat(33), 'literal nested too deeply at character 193');
});

function fails(text: string, message: string): void {
  assert.throws(() => parsePyLiteral(text), (e: unknown) => e instanceof PyLiteralError && e.name === 'PyLiteralError' && e.message === message, JSON.stringify(text));
}

test('py literal: every refusal names its reason and the character', () => {
  fails('', 'unexpected end of header at character 0');
  fails('(1,', 'unexpected end of header at character 3');
  fails("{'a': 1} x", 'unexpected text after the literal at character 9');
  fails('1.5', 'unexpected text after the literal at character 1');
  fails('Truex', 'unexpected text after the literal at character 4');
  fails('[None x]', "expected ',' or ']' at character 6");
  fails('(1 2)', "expected ',' or ')' at character 3");
  fails("{'a': 1 'b': 2}", "expected ',' or '}' at character 8");
  fails("{'a' 1}", "expected ':' at character 5");
  fails('{1: 2}', 'dict key is not a string at character 2');
  fails("{'a': 1, 'a': 2}", "duplicate key 'a' at character 12");
  fails("'a\\'b'", 'unsupported escape in string at character 1');
  fails("'a\nb'", 'unsupported escape in string at character 1');
  fails("x'open", 'unexpected character "x" at character 0');
  fails("'open", 'unterminated string at character 1');
  fails('"open\'', 'unterminated string at character 1');
  fails('9007199254740992', 'integer too large at character 0');
  fails('1'.repeat(50), 'integer too large at character 0');
  fails('-', 'malformed integer at character 0');
  fails('- 1', 'malformed integer at character 0');
  fails('Tru', 'unexpected character "T" at character 0');
  fails('none', 'unexpected character "n" at character 0');
  fails('[1, @]', 'unexpected character "@" at character 4');
});
