// A strict parser for the Python literals numpy writes in a .npy header, e.g.
// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. It accepts strings, integers,
// True/False/None, tuples, lists and dicts with string keys: enough to read any header numpy has
// written (structured dtypes use lists of tuples) and nothing that needs evaluating.

export type PyValue =
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'tuple' | 'list'; items: PyValue[] }
  | { kind: 'dict'; entries: Map<string, PyValue> };

/** Thrown with a short reason; the caller adds which file it came from. */
export class PyLiteralError extends Error {
  override name = 'PyLiteralError';
}

/** Deep enough for any numpy header; bounds recursion on hostile input. */
const MAX_DEPTH = 32;

/** Parses `text` as exactly one literal, surrounded by optional whitespace. */
export function parsePyLiteral(text: string): PyValue {
  const p = new Parser(text);
  const value = p.value(0);
  p.skipSpace();
  if (p.pos !== text.length) p.fail('unexpected text after the literal');
  return value;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw new PyLiteralError(`${reason} at character ${this.pos}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail('literal nested too deeply');
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of header');
    if (c === "'" || c === '"') return { kind: 'str', value: this.string() };
    if (c === '(') return this.sequence('tuple', ')', depth);
    if (c === '[') return this.sequence('list', ']', depth);
    if (c === '{') return this.dict(depth);
    if (c === '-' || (c >= '0' && c <= '9')) return this.int();
    for (const [word, value] of [['True', true], ['False', false]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { kind: 'bool', value };
      }
    }
    if (this.text.startsWith('None', this.pos)) {
      this.pos += 4;
      return { kind: 'none' };
    }
    this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  private string(): string {
    const quote = this.text[this.pos++];
    const end = this.text.indexOf(quote, this.pos);
    if (end < 0) this.fail('unterminated string');
    const s = this.text.slice(this.pos, end);
    // numpy never writes escapes; refusing them keeps the parser from guessing Python's rules.
    if (s.includes('\\') || s.includes('\n')) this.fail('unsupported escape in string');
    this.pos = end + 1;
    return s;
  }

  private int(): PyValue {
    const m = /^-?[0-9]+L?/.exec(this.text.slice(this.pos, this.pos + 40));
    if (m === null) this.fail('malformed integer');
    // Python 2 numpy wrote longs with an 'L' suffix, e.g. (3L, 4L).
    const value = Number(m[0].replace('L', ''));
    if (!Number.isSafeInteger(value)) this.fail('integer too large');
    this.pos += m[0].length;
    return { kind: 'int', value };
  }

  private sequence(kind: 'tuple' | 'list', close: string, depth: number): PyValue {
    this.pos++;
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) break;
      items.push(this.value(depth + 1));
      this.skipSpace();
      sawComma = this.text[this.pos] === ',';
      if (sawComma) this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.pos++;
    // `(3)` is a parenthesised int in Python, not a tuple; a one-element tuple needs its comma.
    if (kind === 'tuple' && items.length === 1 && !sawComma) return items[0];
    return { kind, items };
  }

  private dict(depth: number): PyValue {
    this.pos++;
    const entries = new Map<string, PyValue>();
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') break;
      const key = this.value(depth + 1);
      if (key.kind !== 'str') this.fail('dict key is not a string');
      if (entries.has(key.value)) this.fail(`duplicate key '${key.value}'`);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      entries.set(key.value, this.value(depth + 1));
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail("expected ',' or '}'");
    }
    this.pos++;
    return { kind: 'dict', entries };
  }
}
