// The tokenizer of the config-file reader: Python's tokens (names, numbers, strings, operators,
// NEWLINE / INDENT / DEDENT), for the subset that ml_collections config files use. Nothing is run.
import { PyConfigError, type Where } from './errors.ts';

export type TokenKind = 'name' | 'int' | 'float' | 'string' | 'op' | 'newline' | 'indent' | 'dedent' | 'eof';

export interface Token extends Where {
  kind: TokenKind;
  /** The source text of the token ('' for newline, indent, dedent and eof). */
  text: string;
  /** The decoded value of a string or number literal. */
  value?: string | number;
}

// Longest first, so that '**' is read before '*' and '//' before '/'.
const OPS = [
  '**=', '//=', '>>=', '<<=', '...', '->', ':=', '==', '!=', '<=', '>=', '**', '//', '<<', '>>', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@=',
  '(', ')', '[', ']', '{', '}', ',', ':', '.', ';', '=', '+', '-', '*', '/', '%', '<', '>', '&', '|', '^', '~', '@',
];

const PAIRS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

const NAME_START = /[\p{L}_]/u;
const NAME_REST = /[\p{L}\p{N}_]/u;

/** The tokens of `src`; a PyConfigError at the first character that is not Python. */
export function tokenize(src: string, file: string): Token[] {
  const out: Token[] = [];
  const indents = [0];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const open: Token[] = []; // open brackets: newlines inside them join lines
  let atLineStart = true;
  const where = (at: number) => ({ line, col: at - lineStart + 1 });
  const fail = (at: number, what: string): never => {
    throw new PyConfigError(file, where(at), what);
  };
  const newline = () => {
    line++;
    lineStart = i;
  };
  while (i < src.length) {
    if (atLineStart && open.length === 0) {
      let width = 0;
      let j = i;
      for (; j < src.length && (src[j] === ' ' || src[j] === '\t' || src[j] === '\f'); j++) width = src[j] === '\t' ? (Math.floor(width / 8) + 1) * 8 : src[j] === ' ' ? width + 1 : 0;
      const c = src[j];
      if (c === undefined || c === '\n' || c === '\r' || c === '#') {
        i = j; // a blank or comment-only line leaves the indentation as it is
      } else {
        i = j;
        if (width > indents[indents.length - 1]) {
          indents.push(width);
          out.push({ kind: 'indent', text: '', ...where(i) });
        }
        while (width < indents[indents.length - 1]) {
          indents.pop();
          out.push({ kind: 'dedent', text: '', ...where(i) });
        }
        if (width !== indents[indents.length - 1]) fail(i, 'unindent does not match any outer indentation level');
      }
      atLineStart = false;
      continue;
    }
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\f') {
      i++;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n' && src[i] !== '\r') i++;
    } else if (c === '\n' || c === '\r') {
      const at = i;
      i += c === '\r' && src[i + 1] === '\n' ? 2 : 1;
      const prev = out[out.length - 1];
      if (open.length === 0 && prev && prev.kind !== 'newline' && prev.kind !== 'indent' && prev.kind !== 'dedent') out.push({ kind: 'newline', text: '', ...where(at) });
      newline();
      atLineStart = true;
    } else if (c === '\\') {
      const n = src[i + 1] === '\r' && src[i + 2] === '\n' ? 3 : src[i + 1] === '\n' || src[i + 1] === '\r' ? 2 : 0;
      if (n === 0) fail(i, "a '\\' outside a string must end its line");
      i += n;
      newline();
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const start = i;
      i = readNumber(src, i, out, where(i), file);
      if (i < src.length && NAME_START.test(src[i])) fail(start, `invalid number '${src.slice(start, i + 1)}'`);
    } else if (NAME_START.test(c)) {
      const start = i;
      while (i < src.length && NAME_REST.test(src[i])) i++;
      const word = src.slice(start, i);
      if ((src[i] === '"' || src[i] === "'") && /^[rRuUbBfF]{1,2}$/.test(word)) {
        i = readString(src, start, i, out, where(start), file, (n) => {
          line += n.lines;
          lineStart = n.lineStart;
        });
      } else {
        out.push({ kind: 'name', text: word, ...where(start) });
      }
    } else if (c === '"' || c === "'") {
      const start = i;
      i = readString(src, start, i, out, where(start), file, (n) => {
        line += n.lines;
        lineStart = n.lineStart;
      });
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (op === undefined) fail(i, `unexpected character ${JSON.stringify(c)}`);
      const tok: Token = { kind: 'op', text: op!, ...where(i) };
      if (op === '(' || op === '[' || op === '{') open.push(tok);
      if (op === ')' || op === ']' || op === '}') {
        const o = open.pop();
        if (o === undefined || PAIRS[o.text] !== op) fail(i, `unmatched '${op}'`);
      }
      out.push(tok);
      i += op!.length;
    }
  }
  if (open.length > 0) throw new PyConfigError(file, open[open.length - 1], `'${open[open.length - 1].text}' is never closed`);
  const prev = out[out.length - 1];
  if (prev && prev.kind !== 'newline' && prev.kind !== 'dedent') out.push({ kind: 'newline', text: '', ...where(i) });
  for (let k = indents.length; k > 1; k--) out.push({ kind: 'dedent', text: '', ...where(i) });
  out.push({ kind: 'eof', text: '', ...where(i) });
  return out;
}

function readNumber(src: string, i: number, out: Token[], at: Where, file: string): number {
  const rest = src.slice(i);
  const radix = /^0([xX][0-9a-fA-F](_?[0-9a-fA-F])*|[oO][0-7](_?[0-7])*|[bB][01](_?[01])*)/.exec(rest);
  const float = /^(([0-9](_?[0-9])*)?\.[0-9](_?[0-9])*|[0-9](_?[0-9])*\.?)([eE][-+]?[0-9](_?[0-9])*)?/.exec(rest)!;
  const m = radix ?? float;
  const text = m[0];
  const digits = text.replace(/_/g, '');
  if (/^[jJ]/.test(rest.slice(text.length))) throw new PyConfigError(file, at, 'a complex number is not supported');
  if (radix) {
    const value = Number.parseInt(digits.slice(2), { x: 16, o: 8, b: 2 }[digits[1].toLowerCase()]);
    out.push({ kind: 'int', text, value: safeInt(value, text, at, file), ...at });
  } else if (/[.eE]/.test(digits)) {
    out.push({ kind: 'float', text, value: Number(digits), ...at });
  } else {
    if (/^0+[1-9]/.test(digits)) throw new PyConfigError(file, at, `leading zeros in a decimal integer ('${text}') are not Python`);
    out.push({ kind: 'int', text, value: safeInt(Number(digits), text, at, file), ...at });
  }
  return i + text.length;
}

function safeInt(v: number, text: string, at: Where, file: string): number {
  if (!Number.isSafeInteger(v)) throw new PyConfigError(file, at, `the integer ${text} is too large (beyond 2^53)`);
  return v;
}

const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Reads a string literal whose prefix starts at `start` and quote at `q`; returns the index after it. */
function readString(src: string, start: number, q: number, out: Token[], at: Where, file: string, moved: (n: { lines: number; lineStart: number }) => void): number {
  const prefix = src.slice(start, q).toLowerCase();
  if (prefix.includes('f')) throw new PyConfigError(file, at, 'an f-string is not supported');
  if (prefix.includes('b')) throw new PyConfigError(file, at, 'a bytes literal is not supported');
  const raw = prefix.includes('r');
  const quote = src.startsWith(src[q].repeat(3), q) ? src[q].repeat(3) : src[q];
  let i = q + quote.length;
  let value = '';
  let lines = 0;
  let lineStart = -1;
  for (;;) {
    if (i >= src.length) throw new PyConfigError(file, at, 'a string that is never closed');
    if (src.startsWith(quote, i)) break;
    const c = src[i];
    if (c === '\n' || c === '\r') {
      if (quote.length === 1) throw new PyConfigError(file, at, 'a string that is never closed on its line');
      const n = c === '\r' && src[i + 1] === '\n' ? 2 : 1;
      value += '\n';
      i += n;
      lines++;
      lineStart = i;
    } else if (c === '\\') {
      const e = src[i + 1] ?? '';
      if (raw) {
        value += c + e;
        i += 2;
        if (e === '\n') (lines++, (lineStart = i));
        continue;
      }
      i += 2;
      if (e === '\n' || e === '\r') {
        if (e === '\r' && src[i] === '\n') i++;
        lines++;
        lineStart = i;
      } else if (ESCAPES[e] !== undefined) value += ESCAPES[e];
      else if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(src.slice(i - 1))![0];
        value += String.fromCharCode(Number.parseInt(m, 8));
        i += m.length - 1;
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const n = { x: 2, u: 4, U: 8 }[e];
        const hex = src.slice(i, i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new PyConfigError(file, at, `a string with a bad '\\${e}' escape`);
        const code = Number.parseInt(hex, 16);
        if (code > 0x10ffff) throw new PyConfigError(file, at, `a string with a bad '\\${e}' escape`);
        value += String.fromCodePoint(code);
        i += n;
      } else if (e === 'N') throw new PyConfigError(file, at, "a '\\N{...}' escape is not supported");
      else value += c + e;
    } else {
      value += c;
      i++;
    }
  }
  out.push({ kind: 'string', text: src.slice(start, i + quote.length), value, ...at });
  if (lines > 0) moved({ lines, lineStart });
  return i + quote.length;
}
