/**
 * LocalLexer: PostgreSQL tokens read forward from any offset, for the
 * extents of identifiers, calls and casts in the query model.
 */
import type { SqlToken } from './parser';

function isIdentLike(t: SqlToken | undefined): boolean {
  return !!t && /^[A-Za-z_"\u0080-\uffff]/.test(t.text);
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_REST = /[A-Za-z0-9_$\u0080-\uffff]*/y;
const OPERATOR = /[+\-*/<>=~!@#%^&|`?]+/y;
const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const DOLLAR_TAG = /\$([A-Za-z_][A-Za-z_0-9]*)?\$/y;

/**
 * A small lexer that reads PostgreSQL tokens forward from any offset, on
 * demand. Extents of identifiers, calls and casts need only the few tokens
 * after a node's location; scanning the whole statement with the parser's
 * scanner (a WebAssembly round trip) cost more than the parse itself.
 * Strings, quoted identifiers, dollar quotes and comments are single units,
 * so their contents never count as parentheses.
 */
export class LocalLexer {
  private readonly memo = new Map<number, SqlToken | null>();
  constructor(readonly sql: string) {}

  private skipTrivia(p: number): number {
    const s = this.sql;
    for (;;) {
      while (p < s.length && /\s/.test(s[p])) p++;
      if (s.startsWith('--', p)) {
        const nl = s.indexOf('\n', p);
        p = nl < 0 ? s.length : nl + 1;
      } else if (s.startsWith('/*', p)) {
        let depth = 1;
        p += 2;
        while (p < s.length && depth > 0) {
          if (s.startsWith('/*', p)) {
            depth++;
            p += 2;
          } else if (s.startsWith('*/', p)) {
            depth--;
            p += 2;
          } else p++;
        }
      } else return p;
    }
  }

  private quoted(p: number, q: string, backslash: boolean): number {
    const s = this.sql;
    let i = p + 1;
    while (i < s.length) {
      if (backslash && s[i] === '\\') i += 2;
      else if (s[i] === q) {
        if (s[i + 1] === q) i += 2;
        else return i + 1;
      } else i++;
    }
    return s.length;
  }

  private tokenEnd(p: number): number {
    const s = this.sql;
    const c = s[p];
    if (c === "'") return this.quoted(p, "'", false);
    if (c === '"') return this.quoted(p, '"', false);
    if (/[eEbBxXnN]/.test(c) && s[p + 1] === "'") return this.quoted(p + 1, "'", c === 'e' || c === 'E');
    if (c === '$') {
      if (/\d/.test(s[p + 1] ?? '')) {
        let i = p + 1;
        while (/\d/.test(s[i] ?? '')) i++;
        return i;
      }
      DOLLAR_TAG.lastIndex = p;
      const m = DOLLAR_TAG.exec(s);
      if (m) {
        const close = s.indexOf(m[0], p + m[0].length);
        return close < 0 ? s.length : close + m[0].length;
      }
      return p + 1;
    }
    if (IDENT_START.test(c)) {
      IDENT_REST.lastIndex = p + 1;
      IDENT_REST.exec(s);
      return IDENT_REST.lastIndex;
    }
    if (/\d/.test(c) || (c === '.' && /\d/.test(s[p + 1] ?? ''))) {
      NUMBER.lastIndex = p;
      return NUMBER.exec(s) ? NUMBER.lastIndex : p + 1;
    }
    if (c === ':' && s[p + 1] === ':') return p + 2;
    if (c === '*') return p + 1;
    OPERATOR.lastIndex = p;
    if (OPERATOR.exec(s)) {
      // `*` and a following operator run are separate when the star ends a chain (`t.*,`); operators never include `*` first here.
      return OPERATOR.lastIndex;
    }
    return p + 1;
  }

  /** The first token at or after `pos`. */
  next(pos: number): SqlToken | undefined {
    const hit = this.memo.get(pos);
    if (hit !== undefined) return hit ?? undefined;
    const start = this.skipTrivia(pos);
    let tok: SqlToken | null = null;
    if (start < this.sql.length) {
      const end = this.tokenEnd(start);
      tok = { start, end, text: this.sql.slice(start, end), name: '' };
    }
    this.memo.set(pos, tok);
    return tok ?? undefined;
  }

  /** The token starting exactly at `offset`. */
  at(offset: number): SqlToken | undefined {
    if (offset < 0) return undefined;
    const t = this.next(offset);
    return t && t.start === offset ? t : undefined;
  }

  /** The last token of an identifier chain `a.b.c` / `t.*` starting with `t`. */
  chainEnd(t: SqlToken): SqlToken {
    let cur = t;
    for (;;) {
      const dot = this.next(cur.end);
      if (dot?.text !== '.') return cur;
      const n = this.next(dot.end);
      if (!n || !(isIdentLike(n) || n.text === '*')) return cur;
      cur = n;
      if (n.text === '*') return cur;
    }
  }

  /** The `)` matching the `(` token `open` (or the last token when unbalanced). */
  matchParen(open: SqlToken): SqlToken {
    let depth = 0;
    let last = open;
    for (let t: SqlToken | undefined = open; t; t = this.next(t.end)) {
      last = t;
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) return t;
    }
    return last;
  }
}
