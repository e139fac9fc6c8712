// What the reader refuses: every construct outside the subset stops with one line naming
// file:line:column and the construct; nothing of the file is run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/errors.ts';
import { evaluateConfig } from '../../../src/config/pyconfig/evaluate.ts';

const HEAD = 'import ml_collections\ndef get_config():\n  config = ml_collections.ConfigDict()\n';

/** [a line of get_config's body (line 4, after two spaces), the column, the message]. */
const BODY: [string, number, RegExp][] = [
  ['if True: config.a = 1', 3, /an 'if' statement is not supported/],
  ['for i in [1]: config.a = i', 3, /a 'for' loop is not supported/],
  ['while False: pass', 3, /a 'while' loop is not supported/],
  ['with x: pass', 3, /a 'with' statement is not supported/],
  ['import os', 3, /importing 'os' is not supported \(only ml_collections\)/],
  ['from os import path', 3, /importing from 'os' is not supported/],
  ['config.a = open("f")', 14, /name 'open' is not defined/],
  ['config.a = __import__("os")', 14, /name '__import__' is not defined/],
  ['config.a = eval("1")', 14, /name 'eval' is not defined/],
  ['config.a = lambda: 1', 14, /a lambda is not supported/],
  ['config.a = [i for i in (1, 2)]', 17, /a comprehension is not supported/],
  ['config.a = 1 if True else 2', 16, /a conditional expression is not supported/],
  ['config.a = 1 == 1', 16, /the comparison '==' is not supported/],
  ['config.a = not True', 14, /the boolean operator 'not' is not supported/],
  ['config.a = True and False', 19, /the boolean operator 'and' is not supported/],
  ['config.a = [1, 2][0]', 20, /a subscript \('\[\.\.\.\]'\) is not supported/],
  ['config.a = {1, 2}', 14, /a set is not supported/],
  ['config.a = f"x{1}"', 14, /an f-string is not supported/],
  ['config.a = b"x"', 14, /a bytes literal is not supported/],
  ['config.a = 1j', 14, /a complex number is not supported/],
  ['config.a = 1 << 2', 16, /the operator '<<' is not supported/],
  ['config.a = ~1', 14, /the operator '~' is not supported/],
  ['config.a = "x" * 3', 14, /the operator '\*' on a str is not supported/],
  ['config.a = ...', 14, /Ellipsis is not supported/],
  ['config.a += 1', 12, /the augmented assignment '\+=' is not supported/],
  ['config.a: int = 1', 11, /an annotated assignment is not supported/],
  ['config.a = config.b = 1', 23, /a chained assignment is not supported/],
  ['a, b = 1, 2', 4, /a tuple without parentheses/],
  ['config["a"] = 1', 9, /a subscript/],
  ['config.lock()', 3, /a call as a statement is not supported/],
  ['config.a = config.get_ref("b")', 14, /calling the ConfigDict method '\.get_ref\(\)' is not supported/],
  ['config.a = 1; config.b = 2', 15, /several statements on one line/],
  ['print("hi")', 3, /a call as a statement is not supported/],
  ['config.a = config.missing', 14, /config has no key 'missing'/],
  ['config.a = undefined_name', 14, /name 'undefined_name' is not defined/],
  ['config.a = ml_collections.FrozenConfigDict()', 14, /ml_collections\.FrozenConfigDict is not supported/],
  ['config.a = ml_collections.FieldReference(None)', 14, /FieldReference\(None\) needs a field_type/],
  ['config.a = ml_collections.FieldReference("x", field_type=int)', 44, /FieldReference's default "x" is not an int/],
  ['config.a = ml_collections.ConfigDict(type_safe=False)', 14, /ConfigDict\(type_safe=\.\.\.\) is not supported/],
  ['config.a = 1 / 0', 16, /division by zero/],
  ['config.a = 10 ** 400.0', 17, /a float result out of range/],
  ['config.a = 2 ** 60', 16, /an integer result beyond 2\^53 is not supported/],
  ['def helper(): pass', 3, /a nested function is not supported/],
  ['global x', 3, /a 'global' statement is not supported/],
  ['del config.a', 3, /a 'del' statement is not supported/],
  ['assert True', 3, /an 'assert' statement is not supported/],
  ['raise ValueError()', 3, /a 'raise' statement is not supported/],
  ['try: pass', 3, /a 'try' statement is not supported/],
  ['class A: pass', 3, /a class definition is not supported/],
  ['config.a = "never closed', 14, /a string that is never closed on its line/],
  ['config.a = (1, 2', 14, /'\(' is never closed/],
  ['config.a = (1, 2]', 19, /unmatched '\]'/],
  ['config.a = 1)', 15, /unmatched '\)'/],
  ['config.a = $', 14, /unexpected character "\$"/],
  ['config.a = 012', 14, /leading zeros in a decimal integer/],
  ['config.a = "\\N{DASH}"', 14, /'\\N\{\.\.\.\}' escape is not supported/],
  ['config.a = x := 1', 16, /the assignment expression ':=' is not supported/],
  ['config.a = *[1]', 14, /unpacking \('\*'\) is not supported/],
  ['config.a = dict(a=1)', 14, /calling dict\(\) is not supported/],
  ['config.a = 1 +', 17, /expected an expression, got end of line/],
  [`config.a = ${'('.repeat(300)}1${')'.repeat(300)}`, 214, /an expression nested more than 200 levels deep/],
  [`config.a = ${'-'.repeat(5000)}1`, 214, /an expression nested more than 200 levels deep/],
  [`config.a = 2${' ** 2'.repeat(5000)}`, 1014, /an expression nested more than 200 levels deep/],
  [`config.a = 1${' + 1'.repeat(3000)}`, 10012, /an expression more than 500 operations deep/],
  ['config.a = config', 3, /config\.a: a ConfigDict inside itself is not supported/],
  ['config.a = [1, {"b": config}]', 3, /a ConfigDict inside itself is not supported/],
  ['config.a = ml_collections.constructor', 14, /ml_collections\.constructor is not supported/],
  ['import constructor', 3, /importing 'constructor' is not supported/],
  ['from ml_collections import __proto__', 3, /importing '__proto__' from 'ml_collections' is not supported/],
];

for (const [line, col, message] of BODY) {
  test(`refused: ${line.length > 60 ? `${line.slice(0, 57)}...` : line}`, () => {
    assert.throws(() => evaluateConfig(`${HEAD}  ${line}\n  return config\n`, 'my.py'), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, message);
      assert.ok(e.message.startsWith(`my.py:4:${col}: `), e.message);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  });
}

/** Whole files: [source, line:col or '' for a file-level message, the message]. */
const FILES: [string, string, RegExp][] = [
  ['{"model_name": "ViT-B_16"}\n', '1:1', /a dict as a statement is not supported/],
  ['model_name: ViT-B_16\n', '1:11', /an annotated assignment is not supported/],
  ['import ml_collections\n', '', /defines no get_config\(\) function/],
  ['import ml_collections\nget_config = 1\n', '', /defines no get_config\(\) function/],
  ['import ml_collections\ndef get_config():\n  config = ml_collections.ConfigDict()\n', '2:1', /get_config\(\) returns None \(it has no 'return config'\)/],
  ['import ml_collections\ndef get_config():\n  return 1\n', '3:3', /get_config\(\) must return a ConfigDict, not an int/],
  ['def get_config():\n  return ml_collections.ConfigDict()\n', '2:10', /name 'ml_collections' is not defined/],
  ['import ml_collections\ndef get_config():\nreturn 1\n', '3:1', /expected indent, got 'return'/],
  ['import ml_collections\ndef get_config():\n    c = 1\n  return c\n', '4:3', /unindent does not match any outer indentation level/],
  ['import ml_collections\n  x = 1\n', '2:3', /unexpected indentation/],
  ['import ml_collections\ndef other():\n  pass\n', '2:1', /a function other than get_config \('def other'\) is not supported/],
  ['return 1\n', '1:1', /'return' outside a function/],
  ['import ml_collections, os\n', '1:22', /importing several modules in one statement is not supported/],
  ['from . import x\n', '1:6', /a relative import is not supported/],
  ['import ml_collections.other\n', '1:1', /importing 'ml_collections\.other' is not supported/],
  ['from ml_collections import *\n', '1:28', /'import \*' is not supported/],
  ['import ml_collections\ndef get_config(*a):\n  pass\n', '2:16', /a '\*' parameter is not supported/],
  ['x = """never\nclosed\n', '1:5', /a string that is never closed/],
  ['x = 1 \\ 2\n', '1:7', /a '\\' outside a string must end its line/],
];

for (const [src, at, message] of FILES) {
  test(`refused file: ${JSON.stringify(src.split('\n')[0])}`, () => {
    assert.throws(() => evaluateConfig(src, 'my.py'), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, message);
      assert.ok(e.message.startsWith(at === '' ? 'my.py: ' : `my.py:${at}: `), e.message);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  });
}

test('what the subset has: docstrings, comments, imports in three spellings, a return annotation, continuation lines', () => {
  const src = [
    '#!/usr/bin/env python3',
    '"""Module docstring."""',
    'import ml_collections',
    'import ml_collections as mlc',
    'from ml_collections import config_dict',
    'from ml_collections.config_dict import (ConfigDict,',
    '    FieldReference as FR,)',
    '',
    'def get_config() -> ml_collections.ConfigDict:  # a comment',
    '  """Docstring."""',
    '  c = ConfigDict()',
    '  c.a = mlc.ConfigDict()',
    '  c.b = config_dict.FieldReference(1)',
    '  c.d = FR(None, field_type=str)',
    '  c.e = 1 + \\',
    '      2',
    '',
    '  # a comment at another indentation',
    '  pass',
    '  return c',
    '',
  ].join('\n');
  const cd = evaluateConfig(src, 'ok.py');
  assert.deepEqual([...cd.fields.keys()], ['a', 'b', 'd', 'e']);
});
