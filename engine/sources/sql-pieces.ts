/**
 * SQL text built from TypeScript: runs of literal text that keep their file
 * offsets, and parameters standing for expressions. Shared by the extractor
 * (ts-sql.ts) and the adapters that rewrite a library's own placeholders.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { HoleKind } from './types';
import { quoteIdent } from '../sql/ident';

/**
 * A run of SQL text with its origin, or a parameter standing for an expression. `hole` marks a piece
 * standing for an interpolation that was not resolved to constant text (see HoleKind).
 */
export type Piece =
  | { kind: 'text'; text: string; fileStart: number; fileLength?: number; hole?: HoleKind; expr?: string }
  | { kind: 'param'; fileStart: number; fileLength: number; expr: string; hole?: HoleKind };

export type ParamPiece = Extract<Piece, { kind: 'param' }> & {
  /** A number the placeholder already has (Knex `?` → its binding index). */
  fixed?: number;
  /** Rendered `($n)`: a list expanded at run time (`values ${rows}`, `in ${sql(ids)}`). */
  wrap?: boolean;
};

export function piecesText(pieces: Piece[]): string {
  return pieces.map((p) => (p.kind === 'text' ? p.text : '$0')).join('');
}

export function textTail(pieces: Piece[], n: number): string {
  let t = '';
  for (let i = pieces.length - 1; i >= 0 && t.length < n; i--) {
    const p = pieces[i];
    t = (p.kind === 'text' ? p.text : '$0') + t;
  }
  return t;
}

export function textHead(pieces: Piece[], n: number): string {
  let t = '';
  for (const p of pieces) {
    if (t.length >= n) break;
    t += p.kind === 'text' ? p.text : '$0';
  }
  return t;
}

export function objProp(o: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of o.properties) {
    if (ts.isPropertyAssignment(p)) {
      const n = p.name;
      if ((ts.isIdentifier(n) || ts.isStringLiteral(n)) && n.text === name) return p.initializer;
    } else if (ts.isShorthandPropertyAssignment(p) && p.name.text === name) return p.name;
  }
  return undefined;
}

/** A constant identifier spliced in as a quoted identifier; the whole maps onto the constant's text. */
export function quoteIdentPiece(pieces: Piece[]): Piece {
  const raw = pieces.map((p) => (p.kind === 'text' ? p.text : '')).join('');
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const fileStart = first ? first.fileStart : 0;
  const fileEnd = last ? last.fileStart + (last.kind === 'text' ? (last.fileLength ?? last.text.length) : last.fileLength) : fileStart;
  const text = quoteIdent(raw);
  if (text === raw && pieces.length === 1 && first.kind === 'text') return first;
  return { kind: 'text', text, fileStart, fileLength: fileEnd - fileStart };
}

/**
 * A constant spliced in as a (possibly dotted, possibly aliased) identifier: `t.title` → `t.title`,
 * `Orders.Total` → `"Orders"."Total"`, `users as u` → `users as u`. Each part maps onto its characters in
 * the constant when the constant is one plain run of text; otherwise the whole snaps to the constant.
 */
export function identPieces(pieces: Piece[], dotted: boolean): Piece[] {
  const p0 = pieces[0];
  if (pieces.length !== 1 || p0.kind !== 'text' || p0.fileLength !== undefined) return [quoteIdentPiece(pieces)];
  const raw = p0.text;
  const out: Piece[] = [];
  const re = dotted ? /(\s+as\s+|\.)/gi : /$^/g;
  let last = 0;
  const part = (from: number, to: number): void => {
    const t = raw.slice(from, to);
    const q = quoteIdent(t);
    out.push(q === t ? { kind: 'text', text: t, fileStart: p0.fileStart + from } : { kind: 'text', text: q, fileStart: p0.fileStart + from, fileLength: t.length });
  };
  for (const m of raw.matchAll(re)) {
    const i = m.index ?? 0;
    part(last, i);
    out.push({ kind: 'text', text: m[0], fileStart: p0.fileStart + i });
    last = i + m[0].length;
  }
  part(last, raw.length);
  return out;
}

/**
 * Cooks the raw text of a string or template literal between `start` and `end`: escapes decoded, template
 * CRLF normalised to LF (as JavaScript does). Plain runs map one-to-one; each escape is its own piece.
 */
export function cook(text: string, start: number, end: number, template: boolean): Piece[] {
  const out: Piece[] = [];
  let runStart = start;
  const flush = (to: number): void => {
    if (to > runStart) out.push({ kind: 'text', text: text.slice(runStart, to), fileStart: runStart });
  };
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */ && i + 1 < end) {
      flush(i);
      const { value, len } = decodeEscape(text, i, end);
      if (value.length || len) out.push({ kind: 'text', text: value, fileStart: i, fileLength: len });
      i += len;
      runStart = i;
    } else if (template && c === 13 /* \r */) {
      flush(i);
      const len = text.charCodeAt(i + 1) === 10 && i + 1 < end ? 2 : 1;
      out.push({ kind: 'text', text: '\n', fileStart: i, fileLength: len });
      i += len;
      runStart = i;
    } else i++;
  }
  flush(end);
  return out;
}

function decodeEscape(text: string, i: number, end: number): { value: string; len: number } {
  const n = text[i + 1];
  switch (n) {
    case 'n':
      return { value: '\n', len: 2 };
    case 't':
      return { value: '\t', len: 2 };
    case 'r':
      return { value: '\r', len: 2 };
    case 'b':
      return { value: '\b', len: 2 };
    case 'f':
      return { value: '\f', len: 2 };
    case 'v':
      return { value: '\v', len: 2 };
    case '0':
      if (!/[0-9]/.test(text[i + 2] ?? '')) return { value: '\0', len: 2 };
      break;
    case '\r':
      return { value: '', len: text[i + 2] === '\n' ? 3 : 2 };
    case '\n':
    case '\u2028':
    case '\u2029':
      return { value: '', len: 2 };
    case 'x': {
      const h = text.slice(i + 2, i + 4);
      if (/^[0-9a-fA-F]{2}$/.test(h)) return { value: String.fromCharCode(parseInt(h, 16)), len: 4 };
      break;
    }
    case 'u': {
      if (text[i + 2] === '{') {
        const close = text.indexOf('}', i + 3);
        if (close > 0 && close < end) {
          const h = text.slice(i + 3, close);
          if (/^[0-9a-fA-F]{1,6}$/.test(h)) {
            const cp = parseInt(h, 16);
            if (cp <= 0x10ffff) return { value: String.fromCodePoint(cp), len: close + 1 - i };
          }
        }
        break;
      }
      const h = text.slice(i + 2, i + 6);
      if (/^[0-9a-fA-F]{4}$/.test(h)) return { value: String.fromCharCode(parseInt(h, 16)), len: 6 };
      break;
    }
  }
  // `\'`, `\"`, `` \` ``, `\\`, `\$` and any other character: the character itself (a surrogate pair whole).
  const cp = text.codePointAt(i + 1) ?? 0;
  const ch = String.fromCodePoint(cp);
  return { value: ch, len: 1 + ch.length };
}

export type Replacement =
  /** Text in the placeholder's place; `hole` when it stands for something unread (a Knex `??` binding we cannot resolve). */
  | { len: number; text: string; eatPrev?: boolean; hole?: HoleKind; expr?: string }
  | { len: number; param: number; expr: string }
  /** Pieces taking the placeholder's place (a Knex `??` identifier mapped onto its binding's text). */
  | { len: number; pieces: Piece[] };

/** A placeholder's replacement `r` at `fileStart` onto `out`; `atPieceStart`: the placeholder opens its text piece. */
function pushReplacement(out: Piece[], r: Replacement, fileStart: number, atPieceStart: boolean): void {
  if ('pieces' in r) {
    out.push(...r.pieces);
  } else if ('param' in r) {
    const pp: ParamPiece = { kind: 'param', fileStart, fileLength: r.len, expr: r.expr, fixed: r.param };
    out.push(pp);
  } else {
    let fileLength = r.len;
    // The replacement swallows the escape piece before it (Knex `\\?`).
    const last = out[out.length - 1];
    if (r.eatPrev && atPieceStart && last && last.kind === 'text' && last.text === '\\') {
      out.pop();
      fileLength += fileStart - last.fileStart;
      fileStart = last.fileStart;
    }
    out.push(r.hole ? { kind: 'text', text: r.text, fileStart, fileLength, hole: r.hole, expr: r.expr } : { kind: 'text', text: r.text, fileStart, fileLength });
  }
}

/**
 * Rewrites placeholders in the text pieces, outside SQL strings, quoted identifiers, comments and
 * dollar quotes. `at(src, i)` sees the text of the current piece.
 */
export function rewritePlaceholders(pieces: Piece[], at: (src: string, i: number, prev: string) => Replacement | undefined): Piece[] {
  const out: Piece[] = [];
  let state: 'code' | 'squote' | 'dquote' | 'line' | 'block' | 'dollar' = 'code';
  let dollarTag = '';
  // The last character of SQL text seen, across pieces (an escape piece's cooked text counts).
  let prev = '';
  for (const p of pieces) {
    if (p.kind !== 'text' || p.fileLength !== undefined) {
      // Escapes and parameters are atomic; an escaped character still moves the lexer state.
      if (p.kind === 'text') {
        state = advance(state, p.text);
        prev = p.text.slice(-1);
      } else prev = '$';
      out.push(p);
      continue;
    }
    const src = p.text;
    let runStart = 0;
    let i = 0;
    const prevAt = (k: number): string => (k > 0 ? src[k - 1] : prev);
    while (i < src.length) {
      const c = src[i];
      if (state === 'code') {
        if (c === "'") state = 'squote';
        else if (c === '"') state = 'dquote';
        else if (c === '-' && src[i + 1] === '-') state = 'line';
        else if (c === '/' && src[i + 1] === '*') state = 'block';
        else if (c === '$') {
          const m = /^\$([A-Za-z_]\w*)?\$/.exec(src.slice(i));
          if (m) {
            state = 'dollar';
            dollarTag = m[0];
            i += m[0].length;
            continue;
          }
        }
        if (state === 'code') {
          const r = at(src, i, prevAt(i));
          if (r) {
            if (i > runStart) out.push({ kind: 'text', text: src.slice(runStart, i), fileStart: p.fileStart + runStart });
            pushReplacement(out, r, p.fileStart + i, i === 0);
            i += r.len;
            runStart = i;
            continue;
          }
        }
      } else if (state === 'squote' && c === "'") state = 'code';
      else if (state === 'dquote' && c === '"') state = 'code';
      else if (state === 'line' && c === '\n') state = 'code';
      else if (state === 'block' && c === '*' && src[i + 1] === '/') {
        state = 'code';
        i += 2;
        continue;
      } else if (state === 'dollar' && src.startsWith(dollarTag, i)) {
        state = 'code';
        i += dollarTag.length;
        continue;
      }
      i++;
    }
    if (runStart < src.length) out.push({ kind: 'text', text: src.slice(runStart), fileStart: p.fileStart + runStart });
    prev = src.slice(-1);
  }
  return out;
}

export function advance(state: 'code' | 'squote' | 'dquote' | 'line' | 'block' | 'dollar', t: string): typeof state {
  for (const c of t) {
    if (state === 'code' && c === "'") state = 'squote';
    else if (state === 'squote' && c === "'") state = 'code';
    else if (state === 'code' && c === '"') state = 'dquote';
    else if (state === 'dquote' && c === '"') state = 'code';
    else if (state === 'line' && c === '\n') state = 'code';
  }
  return state;
}
