// The parser of the config-file subset: recursive descent over lex.ts's tokens, Python's grammar
// and precedence for what the subset has, and `file:line:column: <construct> is not supported` for
// the rest of Python.
import type { BinaryOp, Expr, Stmt, Target } from './ast.ts';
import { PyConfigError, type Where } from './errors.ts';
import { tokenize, type Token } from './lex.ts';

const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally',
  'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/** Names of what Python constructs outside the subset are, for the error message. */
const CONSTRUCT: Record<string, string> = {
  if: "an 'if' statement", elif: "an 'elif' clause", else: "an 'else' clause", for: "a 'for' loop", while: "a 'while' loop", with: "a 'with' statement",
  class: 'a class definition', try: "a 'try' statement", except: "an 'except' clause", finally: "a 'finally' clause", lambda: 'a lambda',
  global: "a 'global' statement", nonlocal: "a 'nonlocal' statement", del: "a 'del' statement", assert: "an 'assert' statement",
  raise: "a 'raise' statement", async: "'async'", await: "'await'", yield: "'yield'", break: "'break'", continue: "'continue'",
  and: "the boolean operator 'and'", or: "the boolean operator 'or'", not: "the boolean operator 'not'", in: "the operator 'in'", is: "the operator 'is'",
};

const COMPARE = new Set(['==', '!=', '<', '>', '<=', '>=']);

/** Parses a whole config file. */
export function parseModule(src: string, file: string): Stmt[] {
  const p = new Parser(tokenize(src, file), file);
  const body: Stmt[] = [];
  while (!p.at('eof')) body.push(p.statement(body.length === 0));
  return body;
}

/** Parses `src` as one expression, for the literal values of `--my_config.key=VALUE`. */
export function parseExpression(src: string, file: string): Expr {
  const p = new Parser(tokenize(src, file), file);
  const e = p.expr();
  if (p.at('newline')) p.next();
  if (!p.at('eof')) p.fail(p.peek(), `unexpected ${p.describe(p.peek())} after the expression`);
  return e;
}

/** Python's parser stops at about 200 nested parentheses; so do we, long before the stack would. */
const MAX_DEPTH = 200;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly toks: Token[],
    private readonly file: string,
  ) {}

  peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }
  next(): Token {
    return this.toks[Math.min(this.i++, this.toks.length - 1)];
  }
  at(kind: Token['kind'], text?: string): boolean {
    const t = this.peek();
    return t.kind === kind && (text === undefined || t.text === text);
  }
  op(text: string): boolean {
    return this.at('op', text);
  }
  fail(at: Where, what: string): never {
    throw new PyConfigError(this.file, at, what);
  }
  describe(t: Token): string {
    return t.kind === 'eof' ? 'end of file' : t.kind === 'newline' ? 'end of line' : t.kind === 'indent' ? 'indentation' : t.kind === 'dedent' ? 'dedent' : `'${t.text}'`;
  }
  expect(kind: Token['kind'], text?: string): Token {
    if (!this.at(kind, text)) this.fail(this.peek(), `expected ${text !== undefined ? `'${text}'` : kind === 'name' ? 'a name' : kind === 'newline' ? 'end of line' : kind}, got ${this.describe(this.peek())}`);
    return this.next();
  }
  unsupported(t: Token, what?: string): never {
    return this.fail(t, `${what ?? CONSTRUCT[t.text] ?? `'${t.text}'`} is not supported`);
  }

  statement(first: boolean): Stmt {
    const t = this.peek();
    if (t.kind === 'indent') this.fail(t, 'unexpected indentation');
    if (t.kind === 'name' && KEYWORDS.has(t.text) && !['True', 'False', 'None', 'import', 'from', 'def', 'return', 'pass'].includes(t.text)) this.unsupported(t);
    let s: Stmt;
    if (t.kind === 'name' && t.text === 'import') s = this.importStmt();
    else if (t.kind === 'name' && t.text === 'from') s = this.fromStmt();
    else if (t.kind === 'name' && t.text === 'def') return this.defStmt();
    else if (t.kind === 'name' && t.text === 'return') {
      this.next();
      s = this.at('newline') ? { kind: 'return', ...where(t) } : { kind: 'return', value: this.expr(), ...where(t) };
    } else if (t.kind === 'name' && t.text === 'pass') {
      this.next();
      s = { kind: 'pass', ...where(t) };
    } else s = this.exprStmt(first);
    this.endOfStatement();
    return s;
  }

  private endOfStatement(): void {
    if (this.op(';')) this.unsupported(this.peek(), "several statements on one line (';')");
    if (this.op('=')) this.unsupported(this.peek(), 'a chained assignment');
    if (this.at('op') && this.peek().text.endsWith('=') && this.peek().text.length > 1 && !COMPARE.has(this.peek().text)) this.unsupported(this.peek(), `the augmented assignment '${this.peek().text}'`);
    this.expect('newline');
  }

  private exprStmt(first: boolean): Stmt {
    const start = this.peek();
    const e = this.expr();
    if (this.op(',')) this.unsupported(this.peek(), 'a tuple without parentheses (or assigning several targets at once)');
    if (this.op('=')) {
      this.next();
      if (e.kind !== 'name' && e.kind !== 'attr') this.unsupported(start, e.kind === 'tuple' ? 'assignment to several names at once' : `assignment to ${NAMES[e.kind]}`);
      if (e.kind === 'name' && KEYWORDS.has(e.id)) this.fail(start, `cannot assign to ${e.id}`);
      return { kind: 'assign', target: e as Target, value: this.expr(), ...where(start) };
    }
    if (this.op(':')) this.unsupported(this.peek(), 'an annotated assignment');
    if (this.at('op') && this.peek().text.endsWith('=') && this.peek().text.length > 1 && !COMPARE.has(this.peek().text)) this.unsupported(this.peek(), `the augmented assignment '${this.peek().text}'`);
    if (first && e.kind === 'const' && typeof e.value === 'string') return { kind: 'docstring', ...where(start) };
    return this.fail(start, `${NAMES[e.kind]} as a statement is not supported (only assignments, imports, 'def get_config' and 'return')`);
  }

  private dotted(): string {
    const parts = [this.expect('name').text];
    while (this.op('.')) {
      this.next();
      parts.push(this.expect('name').text);
    }
    return parts.join('.');
  }

  private importStmt(): Stmt {
    const t = this.next();
    const module = this.dotted();
    // `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
    let bound = { as: module.split('.')[0], module: module.split('.')[0] };
    if (this.at('name', 'as')) {
      this.next();
      bound = { as: this.expect('name').text, module };
    }
    if (this.op(',')) this.unsupported(this.peek(), 'importing several modules in one statement');
    return { kind: 'import', ...bound, full: module, ...where(t) };
  }

  private fromStmt(): Stmt {
    const t = this.next();
    if (this.op('.')) this.unsupported(this.peek(), 'a relative import');
    const module = this.dotted();
    this.expect('name', 'import');
    const paren = this.op('(');
    if (paren) this.next();
    if (this.op('*')) this.unsupported(this.peek(), "'import *'");
    const names: { name: string; as: string }[] = [];
    do {
      if (names.length > 0) this.next();
      if (paren && this.op(')')) break;
      const name = this.expect('name').text;
      let as = name;
      if (this.at('name', 'as')) {
        this.next();
        as = this.expect('name').text;
      }
      names.push({ name, as });
    } while (this.op(','));
    if (paren) this.expect('op', ')');
    return { kind: 'from', module, names, ...where(t) };
  }

  private defStmt(): Stmt {
    const t = this.next();
    const name = this.expect('name').text;
    this.expect('op', '(');
    const params: { name: string; default?: Expr }[] = [];
    while (!this.op(')')) {
      if (this.op('*') || this.op('**') || this.op('/')) this.unsupported(this.peek(), `a '${this.peek().text}' parameter`);
      const p = this.expect('name').text;
      if (this.op(':')) this.unsupported(this.peek(), 'a parameter annotation');
      let def: Expr | undefined;
      if (this.op('=')) {
        this.next();
        def = this.expr();
      }
      params.push({ name: p, default: def });
      if (!this.op(')')) this.expect('op', ',');
    }
    this.next();
    if (this.op('->')) {
      this.next();
      this.expr(); // a return annotation says nothing the reader needs
    }
    this.expect('op', ':');
    const body: Stmt[] = [];
    if (this.at('newline')) {
      this.next();
      this.expect('indent');
      while (!this.at('dedent') && !this.at('eof')) body.push(this.statement(body.length === 0));
      if (this.at('dedent')) this.next();
    } else {
      body.push(this.statement(true));
    }
    return { kind: 'def', name, params, body, ...where(t) };
  }

  /** Runs `fn` one level deeper, refusing what Python's own parser refuses as too deep. */
  private nested<T>(fn: () => T): T {
    if (++this.depth > MAX_DEPTH) this.fail(this.peek(), `an expression nested more than ${MAX_DEPTH} levels deep`);
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  expr(): Expr {
    return this.nested(() => this.exprAt());
  }

  private exprAt(): Expr {
    const e = this.arith();
    const t = this.peek();
    if (t.kind === 'name' && t.text === 'if') this.unsupported(t, 'a conditional expression');
    if (t.kind === 'name' && t.text === 'for') this.unsupported(t, 'a comprehension');
    if (t.kind === 'name' && CONSTRUCT[t.text] !== undefined) this.unsupported(t);
    if (t.kind === 'op' && COMPARE.has(t.text)) this.unsupported(t, `the comparison '${t.text}'`);
    if (t.kind === 'op' && ['&', '|', '^', '<<', '>>', '@'].includes(t.text)) this.unsupported(t, `the operator '${t.text}'`);
    if (t.kind === 'op' && t.text === ':=') this.unsupported(t, "the assignment expression ':='");
    return e;
  }

  private arith(): Expr {
    let left = this.term();
    while (this.op('+') || this.op('-')) {
      const t = this.next();
      left = { kind: 'binary', op: t.text as BinaryOp, left, right: this.term(), ...where(t) };
    }
    return left;
  }

  private term(): Expr {
    let left = this.factor();
    while (this.op('*') || this.op('/') || this.op('//') || this.op('%')) {
      const t = this.next();
      left = { kind: 'binary', op: t.text as BinaryOp, left, right: this.factor(), ...where(t) };
    }
    return left;
  }

  private factor(): Expr {
    const t = this.peek();
    if (this.op('-') || this.op('+')) {
      this.next();
      return { kind: 'unary', op: t.text as '-' | '+', operand: this.nested(() => this.factor()), ...where(t) };
    }
    if (this.op('~')) this.unsupported(t, "the operator '~'");
    const base = this.primary();
    if (this.op('**')) {
      const op = this.next();
      return { kind: 'binary', op: '**', left: base, right: this.nested(() => this.factor()), ...where(op) };
    }
    return base;
  }

  private primary(): Expr {
    let e = this.atom();
    for (;;) {
      const t = this.peek();
      if (this.op('.')) {
        this.next();
        e = { kind: 'attr', obj: e, name: this.expect('name').text, ...where(e) };
      } else if (this.op('(')) {
        this.next();
        e = this.call(e, t);
      } else if (this.op('[')) {
        this.unsupported(t, "a subscript ('[...]')");
      } else return e;
    }
  }

  private call(fn: Expr, t: Token): Expr {
    const args: Expr[] = [];
    const kwargs: { name: string; value: Expr }[] = [];
    while (!this.op(')')) {
      if (this.op('*') || this.op('**')) this.unsupported(this.peek(), `argument unpacking ('${this.peek().text}')`);
      if (this.at('name') && this.peek(1).kind === 'op' && this.peek(1).text === '=') {
        const name = this.next().text;
        this.next();
        kwargs.push({ name, value: this.expr() });
      } else {
        if (kwargs.length > 0) this.fail(this.peek(), 'a positional argument after a keyword argument');
        args.push(this.expr());
      }
      if (!this.op(')')) this.expect('op', ',');
    }
    this.next();
    return { kind: 'call', fn, args, kwargs, ...where(fn) };
  }

  private atom(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'int':
        return { kind: 'const', value: t.value as number, ...where(t) };
      case 'float':
        return { kind: 'const', value: t.value as number, float: true, ...where(t) };
      case 'string': {
        let s = t.value as string;
        while (this.at('string')) s += this.next().value as string;
        return { kind: 'const', value: s, ...where(t) };
      }
      case 'name':
        if (t.text === 'True' || t.text === 'False') return { kind: 'const', value: t.text === 'True', ...where(t) };
        if (t.text === 'None') return { kind: 'const', value: null, ...where(t) };
        if (KEYWORDS.has(t.text)) this.unsupported(t);
        return { kind: 'name', id: t.text, ...where(t) };
      case 'op':
        if (t.text === '(') return this.parenthesised(t);
        if (t.text === '[') return { kind: 'list', items: this.items(']', t), ...where(t) };
        if (t.text === '{') return this.dict(t);
        if (t.text === '...') this.unsupported(t, 'Ellipsis');
        if (t.text === '*') this.unsupported(t, "unpacking ('*')");
        return this.fail(t, `unexpected '${t.text}'`);
      default:
        return this.fail(t, `expected an expression, got ${this.describe(t)}`);
    }
  }

  private parenthesised(t: Token): Expr {
    if (this.op(')')) {
      this.next();
      return { kind: 'tuple', items: [], ...where(t) };
    }
    const first = this.expr();
    if (this.op(')')) {
      this.next();
      return first;
    }
    this.expect('op', ',');
    const rest = this.op(')') ? (this.next(), []) : this.items(')', t);
    return { kind: 'tuple', items: [first, ...rest], ...where(t) };
  }

  /** Comma-separated expressions up to `close` (already past the opening bracket). */
  private items(close: string, open: Token): Expr[] {
    const items: Expr[] = [];
    while (!this.op(close)) {
      items.push(this.expr());
      if (this.at('name', 'for')) this.unsupported(this.peek(), 'a comprehension');
      if (!this.op(close)) this.expect('op', ',');
    }
    if (this.at('eof')) this.fail(open, `'${open.text}' is never closed`);
    this.next();
    return items;
  }

  private dict(t: Token): Expr {
    const entries: { key: Expr; value: Expr }[] = [];
    while (!this.op('}')) {
      if (this.op('**')) this.unsupported(this.peek(), "dict unpacking ('**')");
      const key = this.expr();
      if (this.op(',') || this.op('}')) this.unsupported(t, 'a set');
      if (this.at('name', 'for')) this.unsupported(this.peek(), 'a comprehension');
      this.expect('op', ':');
      entries.push({ key, value: this.expr() });
      if (this.at('name', 'for')) this.unsupported(this.peek(), 'a comprehension');
      if (!this.op('}')) this.expect('op', ',');
    }
    this.next();
    return { kind: 'dict', entries, ...where(t) };
  }
}

const NAMES: Record<Expr['kind'], string> = {
  const: 'a constant', name: 'a name', attr: 'an attribute', call: 'a call', list: 'a list', tuple: 'a tuple', dict: 'a dict', unary: 'an arithmetic expression', binary: 'an arithmetic expression',
};

function where(t: Where): Where {
  return { line: t.line, col: t.col };
}
