/**
 * Pure helpers of the DDL reader (sql-ddl.ts): PostgreSQL type names, identifier truncation and default object
 * names, text ranges of list elements, canonical predicate text, CHECK lists and one-word defaults.
 */
import type { PgNode } from '../sql/parser';
import { exprKey, nameList, walk } from '../sql/expr';
import type { Range } from '../types';
import type { IndexKey } from './types';

/** PostgreSQL's own type aliases that the grammar leaves as written (`serial`, `int4` ...). */
const TYPE_ALIASES: Record<string, string> = {
  serial: 'int4',
  serial4: 'int4',
  bigserial: 'int8',
  serial8: 'int8',
  smallserial: 'int2',
  serial2: 'int2',
  integer: 'int4',
  int: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  boolean: 'bool',
  real: 'float4',
  float: 'float8',
  'double precision': 'float8',
  decimal: 'numeric',
  'character varying': 'varchar',
  character: 'bpchar',
  char: 'bpchar',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
};

/** Normalised type name: pg_catalog/public dropped, aliases resolved, typmods dropped, arrays as `t[]`. */
export function normalizeType(typeName: PgNode): string {
  const names = nameList(typeName?.names).filter((n) => n !== 'pg_catalog');
  if (names.length > 1 && names[0] === 'public') names.shift();
  let t = names.join('.');
  t = TYPE_ALIASES[t] ?? t;
  const dims = Array.isArray(typeName?.arrayBounds) ? typeName.arrayBounds.length : 0;
  return t + '[]'.repeat(dims);
}

/** Whether a column type is created NOT NULL by itself (serial types). */
export function typeImpliesNotNull(typeName: PgNode): boolean {
  const names = nameList(typeName?.names);
  return /^(small|big)?serial[248]?$/.test(names[names.length - 1] ?? '');
}

/** Range of an identifier (quoted or not) starting at `loc` in `text`. */
export function identRange(text: string, loc: number): Range {
  if (loc < 0 || loc >= text.length) return { start: Math.max(0, loc), end: Math.max(0, loc) };
  if (text[loc] === '"') {
    let i = loc + 1;
    while (i < text.length) {
      if (text[i] === '"') {
        if (text[i + 1] === '"') i += 2;
        else return { start: loc, end: i + 1 };
      } else i++;
    }
    return { start: loc, end: text.length };
  }
  const m = /[\p{L}_][\p{L}\p{N}_$]*/uy;
  m.lastIndex = loc;
  const r = m.exec(text);
  return { start: loc, end: loc + (r ? r[0].length : 0) };
}

/**
 * End of the list element that starts at `loc`: the next `,` or unmatched `)`
 * at depth 0, skipping strings, quoted identifiers and comments.
 */
export function elementEnd(text: string, loc: number, limit: number): number {
  let depth = 0;
  let i = loc;
  while (i < limit) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const q = c;
      i++;
      while (i < limit && !(text[i] === q && text[i + 1] !== q)) i += text[i] === q ? 2 : 1;
      i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      while (i < limit && text[i] !== '\n') i++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
    i++;
  }
  while (i > loc && /\s/.test(text[i - 1])) i--;
  return i;
}

/** Skips whitespace and comments from `at`, so a problem points at the statement, not the comment above it. */
export function skipTrivia(text: string, at: number, limit = text.length): number {
  let i = at;
  for (;;) {
    while (i < limit && /\s/.test(text[i])) i++;
    if (text.startsWith('--', i)) {
      while (i < limit && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? limit : e + 2;
    } else return Math.min(i, limit);
  }
}

export function sameKeys(a: IndexKey[], b: IndexKey[]): boolean {
  return a.length === b.length && a.every((k, i) => k.column === b[i].column && k.expression === b[i].expression && k.opclass === b[i].opclass);
}

/** PostgreSQL keeps at most NAMEDATALEN-1 = 63 bytes of an identifier. */
const MAX_IDENT_BYTES = 63;
const utf8 = new TextEncoder();

export function byteLength(s: string): number {
  return utf8.encode(s).length;
}

/** Truncates an identifier as PostgreSQL does (at a character boundary, 63 bytes). */
export function truncateIdent(s: string | undefined): string {
  if (s === undefined) return '';
  if (s.length <= MAX_IDENT_BYTES / 4 || byteLength(s) <= MAX_IDENT_BYTES) return s;
  let out = '';
  for (const ch of s) {
    if (byteLength(out + ch) > MAX_IDENT_BYTES) break;
    out += ch;
  }
  return out;
}

/**
 * PostgreSQL's makeObjectName: `name1_name2_label`, shortening the longer of
 * name1/name2 one character at a time until it fits in 63 bytes.
 */
export function makeObjectName(name1: string, name2: string | undefined, label: string): string {
  const overhead = label.length + 1 + (name2 !== undefined ? 1 : 0);
  const avail = MAX_IDENT_BYTES - overhead;
  let n1 = name1.length;
  let n2 = name2?.length ?? 0;
  while (n1 + n2 > avail) {
    if (n1 > n2) n1--;
    else n2--;
  }
  return name2 !== undefined ? `${name1.slice(0, n1)}_${name2.slice(0, n2)}_${label}` : `${name1.slice(0, n1)}_${label}`;
}

export function columnRefs(node: PgNode, into: Set<string>): void {
  walk(node, (type, body) => {
    if (type === 'ColumnRef') {
      const f = nameList(body.fields);
      into.add(f[f.length - 1]);
    }
  });
}

/** Renames column references in an expression AST in place. */
export function renameRefs(node: PgNode, from: string, to: string): void {
  walk(node, (type, body) => {
    if (type === 'ColumnRef' && Array.isArray(body.fields) && body.fields.length > 0) {
      const last = body.fields[body.fields.length - 1];
      if (last?.String?.sval === from) last.String.sval = to;
    }
  });
}

const BOOL_OPS: Record<string, string> = { AND_EXPR: 'and', OR_EXPR: 'or', NOT_EXPR: 'not' };

/**
 * Canonical text of a predicate (partial-index WHERE): `exprKey` for leaves,
 * plus AND/OR/NOT, IS [NOT] NULL, IS [NOT] TRUE/FALSE, IN lists, which
 * `exprKey` does not spell out. Column qualifiers are dropped, as in exprKey.
 */
export function predicateText(node: PgNode): string {
  if (!node || typeof node !== 'object') return '?';
  if (node.BoolExpr) {
    const b = node.BoolExpr;
    const op = BOOL_OPS[b.boolop] ?? 'and';
    const args: string[] = (b.args ?? []).map(predicateText);
    return op === 'not' ? `(not ${args[0]})` : `(${args.join(` ${op} `)})`;
  }
  if (node.NullTest) {
    const n = node.NullTest;
    return `(${predicateText(n.arg)} ${n.nulltesttype === 'IS_NOT_NULL' ? 'is not null' : 'is null'})`;
  }
  if (node.BooleanTest) {
    const b = node.BooleanTest;
    const t = String(b.booltesttype ?? '').replace(/^IS_/, 'is ').replace(/_/g, ' ').toLowerCase();
    return `(${predicateText(b.arg)} ${t})`;
  }
  if (node.A_Expr) {
    const a = node.A_Expr;
    const op = nameList(a.name).join('');
    const l = a.lexpr ? predicateText(a.lexpr) : '';
    if (a.kind === 'AEXPR_IN') return `(${l} ${op === '<>' ? 'not in' : 'in'} ${predicateText(a.rexpr)})`;
    const r = a.rexpr ? predicateText(a.rexpr) : '';
    return `(${l} ${op} ${r})`;
  }
  if (node.List) return `(${(node.List.items ?? []).map(predicateText).join(', ')})`;
  if (node.TypeCast) {
    const c = node.TypeCast;
    return `${predicateText(c.arg)}::${normalizeType(c.typeName)}`;
  }
  return exprKey(node);
}

/**
 * A column default that is one short word (`DEFAULT 'member'`, `'pending'::text`, a Postgres enum label cast): the
 * value rows take unless told otherwise, the mark of a role, status or kind column. Empty strings, text with spaces or
 * punctuation, numbers and expressions are not words.
 */
export function defaultWord(node: PgNode): string | undefined {
  let n = node;
  for (let i = 0; n?.TypeCast && i < 5; i++) n = n.TypeCast.arg;
  const v = n?.A_Const?.sval?.sval;
  return typeof v === 'string' && /^[A-Za-z][A-Za-z_-]{0,31}$/.test(v) ? v : undefined;
}

export function checkValues(node: PgNode, depth: number): { column?: string; values: string[] } | undefined {
  if (!node || depth > 20) return undefined;
  let n = node;
  while (n?.TypeCast) n = n.TypeCast.arg;
  if (n.BoolExpr?.boolop === 'OR_EXPR') {
    let column: string | undefined;
    const values: string[] = [];
    for (const a of n.BoolExpr.args ?? []) {
      const part = checkValues(a, depth + 1);
      if (!part || (column !== undefined && part.column !== column)) return undefined;
      column = part.column;
      values.push(...part.values);
    }
    return { column, values };
  }
  const a = n.A_Expr;
  if (!a) return undefined;
  const op = nameList(a.name).join('');
  if (op !== '=' || !['AEXPR_OP', 'AEXPR_IN', 'AEXPR_OP_ANY'].includes(a.kind)) return undefined;
  let l = a.lexpr;
  while (l?.TypeCast) l = l.TypeCast.arg;
  if (!l?.ColumnRef) return undefined;
  const f = nameList(l.ColumnRef.fields);
  let r = a.rexpr;
  while (r?.TypeCast) r = r.TypeCast.arg;
  const items: PgNode[] = Array.isArray(r) ? r : r?.List ? r.List.items : r?.A_ArrayExpr ? r.A_ArrayExpr.elements : [r];
  const values: string[] = [];
  for (let it of items ?? []) {
    while (it?.TypeCast) it = it.TypeCast.arg;
    const k = it?.A_Const;
    if (!k || k.isnull) return undefined;
    const v = k.sval?.sval ?? (k.ival !== undefined ? String(k.ival.ival ?? 0) : k.fval?.fval);
    if (v === undefined) return undefined;
    values.push(String(v));
  }
  return { column: f[f.length - 1], values };
}

/** `CREATE TYPE x AS ENUM (…)`, `ALTER TYPE x ADD VALUE …`: enum labels by type name as columns spell it. */
export function enumTypeName(names: PgNode[] | undefined): string {
  const n = nameList(names).filter((x) => x !== 'pg_catalog');
  if (n.length > 1 && n[0] === 'public') n.shift();
  return n.join('.');
}

export function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
