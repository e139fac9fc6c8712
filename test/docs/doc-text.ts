// What the docs tests read out of README.md and docs/*.md: every `npx l2p ...` or `l2p ...` command
// (code blocks and inline code; continuation lines joined; comments dropped) split into words as a
// shell would, with the usage notation's brackets, ellipses and alternatives (`a|b` in a command's
// place) resolved, and every repository path they name.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface Doc {
  file: string;
  text: string;
}

export function docs(): Doc[] {
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return files.map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
}

/** The code a document shows: each fenced block's lines (continuations joined) and each inline code span. */
function codeOf(text: string): { code: string; line: number }[] {
  const out: { code: string; line: number }[] = [];
  const lines = text.split('\n');
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*```/.test(lines[i])) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      let code = lines[i];
      const at = i;
      while (code.endsWith('\\') && i + 1 < lines.length) code = `${code.slice(0, -1)} ${lines[++i]}`;
      out.push({ code, line: at + 1 });
    } else {
      for (const m of lines[i].matchAll(/`([^`]+)`/g)) out.push({ code: m[1], line: i + 1 });
    }
  }
  return out;
}

/** Shell words of `s` up to an unquoted '#' comment; unquoted usage brackets '[' ']' are dropped. */
export function words(s: string): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "'" || ch === '"') {
      const end = s.indexOf(ch, i + 1);
      cur = (cur ?? '') + s.slice(i + 1, end < 0 ? s.length : end);
      i = end < 0 ? s.length : end;
    } else if (/\s/.test(ch)) {
      if (cur !== null) out.push(cur);
      cur = null;
    } else if ((ch === '#' || ch === '>') && cur === null) {
      break; // a comment, or the output's redirection
    } else if (ch === '[' || ch === ']') {
      // usage notation: an optional part
    } else if (ch === '\\' && s[i + 1] === '|') {
      cur = `${cur ?? ''}|`; // a table cell's escaped '|'
      i++;
    } else if (ch === ';' || (ch === '|' && s[i + 1] === ' ')) {
      break; // the next shell command (a '|' between words, not in 'cpu|webgpu')
    } else {
      cur = (cur ?? '') + ch;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

export interface DocCommand {
  where: string;
  /** The words after `npx l2p`, usage ellipses removed. */
  argv: string[];
}

export function docCommands(list: Doc[] = docs()): DocCommand[] {
  const out: DocCommand[] = [];
  for (const { file, text } of list) {
    for (const { code, line } of codeOf(text)) {
      // `npx l2p` anywhere; a bare `l2p` where a shell command starts (not '--method l2p').
      for (const m of code.matchAll(/(?:^\s*|[;&(]\s*|\$\s+|npx\s+)l2p(?=\s|$)/g)) {
        // '|' alone is the usage's "or" between two flags (`--config X \| --my_config FILE.py`).
        const argv = words(code.slice(m.index + m[0].length)).filter((w) => w !== '...' && w !== '…' && w !== '|');
        // Output shown in the docs ('l2p train: ...' errors) and placeholders ('l2p <command>') are no commands.
        if (argv.length === 0 || argv[0].endsWith(':') || argv[0].startsWith('<')) continue;
        // `data describe|preview`, `sweep status|resubmit|report`: one command each.
        const alt = argv.findIndex((w, i) => i < 2 && !w.startsWith('-') && w.includes('|'));
        const each = alt < 0 ? [argv] : argv[alt].split('|').map((w) => [...argv.slice(0, alt), w, ...argv.slice(alt + 1)]);
        for (const a of each) out.push({ where: `${file}:${line}`, argv: a });
      }
    }
  }
  return out;
}

export interface DocPath {
  where: string;
  path: string;
}

/** Paths under src/, test/, bench/, scripts/ and docs/ named in the text (a '<name>' or '*' ends the checked part). */
export function docPaths(list: Doc[] = docs()): DocPath[] {
  const out: DocPath[] = [];
  for (const { file, text } of list) {
    text.split('\n').forEach((l, i) => {
      for (const m of l.matchAll(/(?:^|[\s`(\["'])(?:\.\/)?((?:src|test|bench|scripts|docs)\/[A-Za-z0-9_./<>*{},-]*)/g)) {
        const path = m[1].split(/[<*{]/)[0].replace(/[.,:]+$/, '');
        out.push({ where: `${file}:${i + 1}`, path });
      }
    });
  }
  return out;
}
