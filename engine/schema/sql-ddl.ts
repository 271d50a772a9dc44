/**
 * Applies PostgreSQL DDL (parsed by libpg-query through `engine/sql/parser`)
 * to a schema model: CREATE/ALTER/DROP of tables, columns, constraints and
 * indexes. Everything else (DML, functions, grants, extensions) is read and
 * ignored. A statement that does not parse, or that names an object the
 * model does not know, becomes a SchemaProblem; nothing here throws for bad
 * input.
 *
 * Keys: tables are keyed `schema.name` with both parts as PostgreSQL stores
 * them (the parser already folded unquoted identifiers to lower case, quoted
 * ones keep their case: `"User"` is `public.User`). Unqualified names resolve
 * through the file's `search_path` (`SET search_path`), default `public`.
 */
import { parseSql, scanSql, splitStatements, type ParsedStatement, type PgNode } from '../sql/parser';
import { exprKey, nameList, walk } from '../sql/expr';
import { LineIndex } from '../text';
import type { Range } from '../types';
import type { ColumnInfo, DefinedAt, ForeignKeyInfo, IndexInfo, IndexKey, SchemaModel, TableInfo } from './types';

/** What schema discovery keeps about an index beyond IndexInfo, to follow renames and drops. */
interface IndexDetail {
  /** Per key: the expression AST for expression keys. */
  exprs: (PgNode | undefined)[];
  where?: PgNode;
  /** Created by a PRIMARY KEY/UNIQUE/EXCLUDE constraint (DROP CONSTRAINT removes it, DROP INDEX may not). */
  constraint?: boolean;
}

const details = new WeakMap<IndexInfo, IndexDetail>();

/** The AST of a partial index's WHERE, when schema discovery read it from SQL (read-only). */
export function indexPredicateAst(index: IndexInfo): PgNode | undefined {
  return details.get(index)?.where;
}

/** Partitions created with PARTITION OF, by parent: an index created on the parent later is created on each. */
const partitionsOf = new WeakMap<TableInfo, TableInfo[]>();

export function tableKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

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
function typeImpliesNotNull(typeName: PgNode): boolean {
  const names = nameList(typeName?.names);
  return /^(small|big)?serial[248]?$/.test(names[names.length - 1] ?? '');
}

/** Range of an identifier (quoted or not) starting at `loc` in `text`. */
function identRange(text: string, loc: number): Range {
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
function elementEnd(text: string, loc: number, limit: number): number {
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
function skipTrivia(text: string, at: number, limit = text.length): number {
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

function sameKeys(a: IndexKey[], b: IndexKey[]): boolean {
  return a.length === b.length && a.every((k, i) => k.column === b[i].column && k.expression === b[i].expression && k.opclass === b[i].opclass);
}

interface FileState {
  model: SchemaModel;
  file: string;
  text: string;
  lines: LineIndex;
  searchPath: string[];
  /** The statement being applied. */
  stmt: { start: number; end: number };
  /** Inside a DO block: its guard may have skipped a statement, so references to unknown objects are not problems. */
  quiet?: boolean;
  /**
   * SQL embedded in another file (a string in a TypeScript migration) or written for a TypeScript
   * declaration: `at` maps offsets of `text` to the file's, and `lines` indexes the file's text.
   */
  embed?: SqlEmbedding;
}

/** Where SQL that is not a file of its own comes from (see FileState.embed). */
export interface SqlEmbedding {
  /** File offset of an offset in the SQL text; a constant range for SQL written from a declaration. */
  at(offset: number): number;
  /** The span every definition of this SQL is placed at, instead of `at` (SQL written for a TypeScript call). */
  place?: Range;
  lines: LineIndex;
}

/** Where a definition of the statement being applied lives, in the file's offsets. */
function placed(st: FileState, range: Range): DefinedAt {
  const e = st.embed;
  if (!e) return { file: st.file, range };
  if (e.place) return { file: st.file, range: { ...e.place } };
  return { file: st.file, range: { start: e.at(range.start), end: e.at(range.end) } };
}

/** Unknown names already reported, per model: the first reference is news, the next ones noise. */
const reportedUnknown = new WeakMap<SchemaModel, Set<string>>();

function problem(st: FileState, offset: number, message: string, unknownName?: string): void {
  if (st.quiet) return;
  if (unknownName !== undefined) {
    let seen = reportedUnknown.get(st.model);
    if (!seen) reportedUnknown.set(st.model, (seen = new Set()));
    if (seen.has(unknownName)) return;
    seen.add(unknownName);
    message += ' (later references to it are not reported)';
  }
  const where = placed(st, { start: st.stmt.start, end: st.stmt.end });
  const at = st.embed ? (st.embed.place ? st.embed.place.start : st.embed.at(offset)) : offset;
  const line = (st.embed?.lines ?? st.lines).position(at).line + 1;
  st.model.problems.push({ file: st.file, line, range: where.range, message });
}

function creationSchema(st: FileState, rv: PgNode): string {
  return rv?.schemaname ?? st.searchPath[0] ?? 'public';
}

/** Finds a table by RangeVar: qualified exactly, else through the search path, else any schema. */
function resolveTable(st: FileState, rv: PgNode): TableInfo | undefined {
  const name: string = rv?.relname;
  if (!name) return undefined;
  if (rv.schemaname) return st.model.tables.get(tableKey(rv.schemaname, name)) ?? unqualifiedAlias(st, rv.schemaname, name);
  for (const s of st.searchPath) {
    const t = st.model.tables.get(tableKey(s, name));
    if (t) return t;
  }
  for (const t of st.model.tables.values()) if (t.name === name) return t;
  return undefined;
}

/**
 * `s.t` when no table lives in schema `s` at all: the table `t` the other migrations create without a
 * schema, when there is exactly one. Migrations that run with `search_path` set to their schema
 * (Knex's `searchPath`, a `SET search_path` in the tool's config) create unqualified tables there and
 * name a few qualified; the model, which cannot see that setting, keeps the unqualified ones in
 * `public`.
 */
function unqualifiedAlias(st: FileState, schema: string, name: string): TableInfo | undefined {
  let hit: TableInfo | undefined;
  for (const t of st.model.tables.values()) {
    if (t.schema === schema) return undefined;
    if (t.name === name) {
      if (hit) return undefined;
      hit = t;
    }
  }
  return hit;
}

function findIndex(st: FileState, names: string[]): { table: TableInfo; index: IndexInfo } | undefined {
  const name = names[names.length - 1];
  const schema = names.length > 1 ? names[names.length - 2] : undefined;
  const schemas = schema ? [schema] : st.searchPath;
  for (const s of schemas) {
    for (const t of st.model.tables.values()) {
      if (t.schema !== s) continue;
      const index = t.indexes.find((i) => i.name === name);
      if (index) return { table: t, index };
    }
  }
  if (!schema) {
    for (const t of st.model.tables.values()) {
      const index = t.indexes.find((i) => i.name === name);
      if (index) return { table: t, index };
    }
  }
  return undefined;
}

/** PostgreSQL keeps at most NAMEDATALEN-1 = 63 bytes of an identifier. */
const MAX_IDENT_BYTES = 63;
const utf8 = new TextEncoder();

function byteLength(s: string): number {
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
function makeObjectName(name1: string, name2: string | undefined, label: string): string {
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

/** PostgreSQL's default name for an index or constraint, made unique in the schema (`t_a_idx1`). */
function chooseIndexName(model: SchemaModel, table: TableInfo, columns: string[], suffix: string): string {
  const name2 = suffix === 'pkey' ? undefined : columns.join('_') || 'expr';
  // Candidates are checked one by one against the schema's indexes (no set of every name per call:
  // that made a dump of 10,000 CREATE TABLEs quadratic in allocations, 44 s).
  const taken = (name: string): boolean => {
    for (const t of model.tables.values()) if (t.schema === table.schema) for (const i of t.indexes) if (i.name === name) return true;
    return false;
  };
  const base = makeObjectName(table.name, name2, suffix);
  if (!taken(base)) return base;
  for (let n = 1; ; n++) {
    const candidate = makeObjectName(table.name, name2, `${suffix}${n}`);
    if (!taken(candidate)) return candidate;
  }
}

function addIndex(table: TableInfo, index: IndexInfo, detail: IndexDetail): void {
  details.set(index, detail);
  const existing = table.indexes.findIndex((i) => i.name === index.name);
  if (existing >= 0) table.indexes[existing] = index;
  else table.indexes.push(index);
}

/** Columns an index depends on: its keys, expressions, INCLUDE list and predicate. */
function indexColumns(index: IndexInfo): Set<string> {
  const cols = new Set<string>();
  const d = details.get(index);
  index.keys.forEach((k, i) => {
    if (k.column) cols.add(k.column);
    const e = d?.exprs[i];
    if (e) columnRefs(e, cols);
  });
  for (const c of index.include) cols.add(c);
  if (d?.where) columnRefs(d.where, cols);
  return cols;
}

function columnRefs(node: PgNode, into: Set<string>): void {
  walk(node, (type, body) => {
    if (type === 'ColumnRef') {
      const f = nameList(body.fields);
      into.add(f[f.length - 1]);
    }
  });
}

/** Renames column references in an expression AST in place. */
function renameRefs(node: PgNode, from: string, to: string): void {
  walk(node, (type, body) => {
    if (type === 'ColumnRef' && Array.isArray(body.fields) && body.fields.length > 0) {
      const last = body.fields[body.fields.length - 1];
      if (last?.String?.sval === from) last.String.sval = to;
    }
  });
}

function renameColumnInIndexes(table: TableInfo, from: string, to: string): void {
  for (const index of table.indexes) {
    const d = details.get(index);
    index.keys = index.keys.map((k, i) => {
      if (k.column === from) return { ...k, column: to };
      const e = d?.exprs[i];
      if (e) {
        renameRefs(e, from, to);
        return { ...k, expression: exprKey(e) };
      }
      return k;
    });
    index.include = index.include.map((c) => (c === from ? to : c));
    if (d?.where) {
      renameRefs(d.where, from, to);
      index.predicate = predicateText(d.where);
    }
  }
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

function buildIndexFromElems(
  st: FileState,
  table: TableInfo,
  elems: PgNode[],
): { keys: IndexKey[]; exprs: (PgNode | undefined)[]; names: string[] } {
  const keys: IndexKey[] = [];
  const exprs: (PgNode | undefined)[] = [];
  const names: string[] = [];
  for (const e of elems) {
    const el = e.IndexElem;
    if (!el) continue;
    const opclass = nameList(el.opclass).pop();
    const before = keys.length;
    if (el.name) {
      keys.push({ column: el.name });
      exprs.push(undefined);
      names.push(el.name);
      if (!table.columns.has(el.name) && table.columns.size > 0) problem(st, st.stmt.start, `index on ${table.name} names unknown column ${el.name}`);
    } else if (el.expr) {
      // A parenthesised plain column `(col)` is still a column key.
      if (el.expr.ColumnRef) {
        const f = nameList(el.expr.ColumnRef.fields);
        keys.push({ column: f[f.length - 1] });
        exprs.push(undefined);
        names.push(f[f.length - 1]);
      } else {
        keys.push({ expression: exprKey(el.expr) });
        // A copy: renames rewrite it in place, and the parsed statement may be cached.
        exprs.push(structuredClone(el.expr));
        // PostgreSQL names expression indexes after the function (`t_lower_idx`) or `expr`.
        const fn = el.expr.FuncCall ? nameList(el.expr.FuncCall.funcname).pop() : undefined;
        names.push(fn ?? 'expr');
      }
    }
    if (opclass && keys.length > before) keys[keys.length - 1].opclass = opclass;
  }
  return { keys, exprs, names };
}

function constraintIndex(st: FileState, table: TableInfo, c: PgNode, columnName: string | undefined, range: Range): void {
  const kind = c.contype === 'CONSTR_PRIMARY' ? 'primary' : c.contype === 'CONSTR_UNIQUE' ? 'unique' : c.contype === 'CONSTR_EXCLUSION' ? 'index' : undefined;
  if (!kind) return;
  if (c.indexname) {
    // ADD CONSTRAINT … UNIQUE/PRIMARY KEY USING INDEX: the index becomes the constraint and takes its name.
    const found = findIndex(st, [table.schema, truncateIdent(c.indexname)]);
    if (!found) {
      problem(st, c.location ?? st.stmt.start, `constraint uses unknown index ${c.indexname}`);
      return;
    }
    found.index.kind = kind;
    if (c.conname) found.index.name = truncateIdent(c.conname);
    const d = details.get(found.index);
    if (d) d.constraint = true;
    else details.set(found.index, { exprs: found.index.keys.map(() => undefined), constraint: true });
    if (kind === 'primary') for (const k of found.index.keys) if (k.column) setNotNull(table, k.column);
    return;
  }
  let keys: IndexKey[];
  let exprs: (PgNode | undefined)[] = [];
  let names: string[];
  if (kind === 'index') {
    const elems = (c.exclusions ?? []).map((x: PgNode) => x.List?.items?.[0]).filter(Boolean);
    ({ keys, exprs, names } = buildIndexFromElems(st, table, elems));
  } else {
    names = c.keys ? nameList(c.keys) : columnName ? [columnName] : [];
    keys = names.map((n) => ({ column: n }));
    exprs = names.map(() => undefined);
  }
  if (keys.length === 0) return;
  // An unnamed constraint that already exists (a dump followed by the migration that made it) is not made twice.
  if (!c.conname && table.indexes.some((i) => i.kind === kind && sameKeys(i.keys, keys) && !i.predicate)) return;
  const suffix = kind === 'primary' ? 'pkey' : kind === 'unique' ? 'key' : 'excl';
  const name: string = c.conname ? truncateIdent(c.conname) : chooseIndexName(st.model, table, names, suffix);
  const include = nameList(c.including);
  if (kind === 'primary') for (const n of names) setNotNull(table, n);
  const index: IndexInfo = { name, kind, keys, include, method: c.access_method ?? 'btree', definedAt: placed(st, range) };
  // EXCLUDE … WHERE (…) makes a partial index.
  if (c.where_clause) index.predicate = predicateText(c.where_clause);
  addIndex(table, index, { exprs, where: c.where_clause ? structuredClone(c.where_clause) : undefined, constraint: true });
}

/**
 * A column default that is one short word (`DEFAULT 'member'`, `'pending'::text`, a Postgres enum label cast): the
 * value rows take unless told otherwise, the mark of a role, status or kind column. Empty strings, text with spaces or
 * punctuation, numbers and expressions are not words.
 */
function defaultWord(node: PgNode): string | undefined {
  let n = node;
  for (let i = 0; n?.TypeCast && i < 5; i++) n = n.TypeCast.arg;
  const v = n?.A_Const?.sval?.sval;
  return typeof v === 'string' && /^[A-Za-z][A-Za-z_-]{0,31}$/.test(v) ? v : undefined;
}

/**
 * `CHECK (col IN ('a', 'b'))`, `CHECK (col = ANY (ARRAY['a', 'b']))` (pg_dump's spelling) and
 * `CHECK (col = 'a' OR col = 'b')`: the column holds one of a few values (a low-selectivity column).
 */
function checkConstraint(table: TableInfo, c: PgNode, columnName: string | undefined): void {
  const found = checkValues(c.raw_expr, 0);
  if (!found || found.values.length === 0) return;
  const column = found.column ?? columnName;
  const col = column ? table.columns.get(column) : undefined;
  if (col) col.allowedValues = [...new Set(found.values)];
}

function checkValues(node: PgNode, depth: number): { column?: string; values: string[] } | undefined {
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
function enumTypeName(names: PgNode[] | undefined): string {
  const n = nameList(names).filter((x) => x !== 'pg_catalog');
  if (n.length > 1 && n[0] === 'public') n.shift();
  return n.join('.');
}

function createEnum(st: FileState, s: PgNode): void {
  const name = enumTypeName(s.typeName);
  if (!name) return;
  (st.model.enums ??= new Map()).set(name, nameList(s.vals));
}

function alterEnum(st: FileState, s: PgNode): void {
  const name = enumTypeName(s.typeName);
  const labels = st.model.enums?.get(name);
  if (!labels) return;
  if (s.newVal && !s.oldVal && !labels.includes(s.newVal)) labels.push(s.newVal);
  else if (s.oldVal && s.newVal) labels.splice(labels.indexOf(s.oldVal), 1, s.newVal);
}

function setNotNull(table: TableInfo, column: string): void {
  const col = table.columns.get(column);
  if (col) col.notNull = true;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Records a FOREIGN KEY / REFERENCES constraint. Run after the table's
 * primary key is known (a self-reference `REFERENCES t` without columns names
 * the key defined in the same statement). The referenced table is resolved
 * through the search path; when it is not known yet (a dump may create it
 * later), the name is kept as written and `refColumns` may stay empty.
 */
function addForeignKey(st: FileState, table: TableInfo, c: PgNode, columnName: string | undefined, range: Range): void {
  if (c.contype !== 'CONSTR_FOREIGN') return;
  const columns = c.fk_attrs ? nameList(c.fk_attrs) : columnName ? [columnName] : [];
  const rv = c.pktable;
  if (columns.length === 0 || !rv?.relname) return;
  const ref = resolveTable(st, rv);
  const refSchema = ref?.schema ?? creationSchema(st, rv);
  const refTable = ref?.name ?? rv.relname;
  let refColumns = c.pk_attrs ? nameList(c.pk_attrs) : [];
  if (refColumns.length === 0 && ref) refColumns = ref.indexes.find((i) => i.kind === 'primary')?.keys.map((k) => k.column ?? '') ?? [];
  if (refColumns.some((x) => !x)) refColumns = [];
  const fks = (table.foreignKeys ??= []);
  // The same key twice (a dump followed by the migration that made it) is kept once.
  if (fks.some((f) => sameList(f.columns, columns) && f.refSchema === refSchema && f.refTable === refTable && sameList(f.refColumns, refColumns))) return;
  const name = c.conname ? truncateIdent(c.conname) : chooseConstraintName(table, columns, 'fkey');
  const fk: ForeignKeyInfo = { name, columns, refTable, refSchema, refColumns, definedAt: placed(st, range) };
  const same = fks.findIndex((f) => f.name === name);
  if (same >= 0) fks[same] = fk;
  else fks.push(fk);
}

/** PostgreSQL's default name for a non-index constraint: `<table>_<cols>_<label>`, numbered on collision within the table. */
function chooseConstraintName(table: TableInfo, columns: string[], label: string): string {
  const taken = new Set([...(table.foreignKeys ?? []).map((f) => f.name), ...table.indexes.map((i) => i.name)]);
  const base = makeObjectName(table.name, columns.join('_'), label);
  if (!taken.has(base)) return base;
  for (let n = 1; ; n++) {
    const candidate = makeObjectName(table.name, columns.join('_'), `${label}${n}`);
    if (!taken.has(candidate)) return candidate;
  }
}

/** Foreign keys of every table that reference `target`. */
function* referencesTo(model: SchemaModel, target: { schema: string; name: string }): Generator<{ table: TableInfo; fk: ForeignKeyInfo }> {
  for (const t of model.tables.values()) for (const fk of t.foreignKeys ?? []) if (fk.refSchema === target.schema && fk.refTable === target.name) yield { table: t, fk };
}

/** Drops the foreign keys that `keep` rejects, from every table. */
function dropForeignKeys(model: SchemaModel, drop: (table: TableInfo, fk: ForeignKeyInfo) => boolean): void {
  for (const t of model.tables.values()) if (t.foreignKeys?.length) t.foreignKeys = t.foreignKeys.filter((fk) => !drop(t, fk));
}

function addColumn(st: FileState, table: TableInfo, def: PgNode, deferred: (() => void)[], late: (() => void)[]): void {
  const name: string = def.colname;
  if (!name) return;
  const loc: number = def.location ?? st.stmt.start;
  const col: ColumnInfo = {
    name,
    type: normalizeType(def.typeName),
    notNull: typeImpliesNotNull(def.typeName),
    definedAt: placed(st, identRange(st.text, loc)),
  };
  table.columns.set(name, col);
  for (const cw of def.constraints ?? []) {
    const c = cw.Constraint;
    if (!c) continue;
    if (c.contype === 'CONSTR_FOREIGN') {
      const cloc: number = c.location ?? loc;
      const range = { start: cloc, end: elementEnd(st.text, cloc, st.stmt.end) };
      late.push(() => addForeignKey(st, table, c, name, range));
      continue;
    }
    if (c.contype === 'CONSTR_CHECK') checkConstraint(table, c, name);
    if (c.contype === 'CONSTR_DEFAULT') col.defaultWord = defaultWord(c.raw_expr);
    if (c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_IDENTITY') col.notNull = true;
    else if (c.contype === 'CONSTR_NULL') col.notNull = false;
    if (c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_UNIQUE') {
      const cloc: number = c.location ?? loc;
      const range = { start: cloc, end: elementEnd(st.text, cloc, st.stmt.end) };
      // Column constraints are named after table constraints in PostgreSQL; order them after columns.
      deferred.push(() => constraintIndex(st, table, c, name, range));
    }
  }
}

function newTable(schema: string, name: string, definedAt: DefinedAt): TableInfo {
  return { name, schema, columns: new Map(), indexes: [], definedAt, origin: 'sql' };
}

function copyColumnsFrom(target: TableInfo, source: TableInfo): void {
  for (const [n, c] of source.columns) if (!target.columns.has(n)) target.columns.set(n, { ...c });
}

/** Tables of model declarations placed in the model before the migrations (see seedTable). */
const seededTables = new WeakSet<TableInfo>();

/**
 * Puts a declared table (a Drizzle table, an entity) into the model before the migrations are
 * applied, so that a migration that only adds an index to it (the table itself made by a schema push)
 * finds it; a migration that creates the table replaces it.
 */
export function seedTable(model: SchemaModel, t: TableInfo): void {
  seededTables.add(t);
  model.tables.set(tableKey(t.schema, t.name), t);
}

function createTable(st: FileState, s: PgNode): void {
  const rv = s.relation;
  // A temporary table lives for one session (a migration's scratch table): not the schema.
  if (rv?.relpersistence === 't') return;
  const schema = creationSchema(st, rv);
  const key = tableKey(schema, rv.relname);
  let existing = st.model.tables.get(key);
  // A table a declaration put there before the migrations ran: the migration that creates it is the truth.
  if (existing && seededTables.has(existing)) {
    st.model.tables.delete(key);
    existing = undefined;
  }
  if (existing && s.if_not_exists) return;
  // Without IF NOT EXISTS PostgreSQL would fail; a dump followed by older
  // migrations does this, so merge: keep what is known and add what is new.
  const table = existing ?? newTable(schema, rv.relname, placed(st, { start: st.stmt.start, end: st.stmt.end }));
  if (!existing) st.model.tables.set(key, table);
  if (s.partspec) table.partitioned = true;
  for (const parentRv of s.inhRelations ?? []) {
    const parent = resolveTable(st, parentRv.RangeVar);
    if (!parent) {
      problem(st, parentRv.RangeVar?.location ?? st.stmt.start, `table ${rv.relname} inherits from unknown table ${parentRv.RangeVar?.relname}`);
      continue;
    }
    copyColumnsFrom(table, parent);
    // Indexes of a partitioned table are created on each partition (PARTITION OF), not on INHERITS children.
    if (s.partbound) {
      const list = partitionsOf.get(parent) ?? [];
      list.push(table);
      partitionsOf.set(parent, list);
      for (const i of parent.indexes) {
        const cols = i.keys.map((k) => k.column ?? 'expr');
        table.indexes.push(cloneIndex(i, chooseIndexName(st.model, table, cols, i.kind === 'primary' ? 'pkey' : i.kind === 'unique' ? 'key' : 'idx')));
      }
      // Foreign keys of a partitioned table hold on each partition too.
      for (const fk of parent.foreignKeys ?? []) (table.foreignKeys ??= []).push({ ...fk, columns: [...fk.columns], refColumns: [...fk.refColumns] });
    }
  }
  const deferred: (() => void)[] = [];
  // Foreign keys after the keys: a self-reference without columns names this table's primary key.
  const late: (() => void)[] = [];
  for (const el of s.tableElts ?? []) {
    if (el.ColumnDef) addColumn(st, table, el.ColumnDef, deferred, late);
    else if (el.Constraint) {
      const c = el.Constraint;
      const loc: number = c.location ?? st.stmt.start;
      const range = { start: loc, end: elementEnd(st.text, loc, st.stmt.end) };
      if (c.contype === 'CONSTR_FOREIGN') late.push(() => addForeignKey(st, table, c, undefined, range));
      else if (c.contype === 'CONSTR_CHECK') deferred.push(() => checkConstraint(table, c, undefined));
      else deferred.push(() => constraintIndex(st, table, c, undefined, range));
    } else if (el.TableLikeClause) {
      const like = el.TableLikeClause;
      const src = resolveTable(st, like.relation);
      if (!src) {
        problem(st, like.relation?.location ?? st.stmt.start, `LIKE names unknown table ${like.relation?.relname}`);
        continue;
      }
      copyColumnsFrom(table, src);
      // CREATE_TABLE_LIKE_INDEXES is bit 6 of the options (PostgreSQL 16+ numbering; INCLUDING ALL sets every bit).
      if ((Number(like.options ?? 0) & (1 << 6)) !== 0) {
        for (const i of src.indexes) {
          const cols = i.keys.map((k) => k.column ?? 'expr');
          const suffix = i.kind === 'primary' ? 'pkey' : i.kind === 'unique' ? 'key' : 'idx';
          table.indexes.push(cloneIndex(i, chooseIndexName(st.model, table, cols, suffix)));
        }
      }
    }
  }
  for (const d of deferred) d();
  for (const d of late) d();
}

function cloneIndex(i: IndexInfo, name: string): IndexInfo {
  const copy: IndexInfo = { ...i, name, keys: i.keys.map((k) => ({ ...k })), include: [...i.include] };
  const d = details.get(i);
  if (d) details.set(copy, { ...d, exprs: d.exprs.map((e) => (e ? structuredClone(e) : e)), where: d.where ? structuredClone(d.where) : undefined });
  return copy;
}

function createIndex(st: FileState, s: PgNode): void {
  const table = resolveTable(st, s.relation);
  if (!table) {
    problem(st, s.relation?.location ?? st.stmt.start, `index ${s.idxname ?? ''} on unknown table ${s.relation?.relname}`.replace('  ', ' '), `table ${s.relation?.relname}`);
    return;
  }
  if (s.idxname && s.if_not_exists && findIndex(st, [table.schema, truncateIdent(s.idxname)])) return;
  const { keys, exprs, names } = buildIndexFromElems(st, table, s.indexParams ?? []);
  const kind = s.primary ? 'primary' : s.unique ? 'unique' : 'index';
  const predicate = s.whereClause ? predicateText(s.whereClause) : undefined;
  const method = s.accessMethod ?? 'btree';
  // Same for an unnamed index identical to one that exists.
  if (!s.idxname && table.indexes.some((i) => i.kind === kind && i.method === method && i.predicate === predicate && sameKeys(i.keys, keys))) return;
  // CREATE [UNIQUE] INDEX without a name: PostgreSQL's ChooseIndexName gives `<table>_<columns>_idx`.
  const name: string = s.idxname ? truncateIdent(s.idxname) : chooseIndexName(st.model, table, names, kind === 'primary' ? 'pkey' : 'idx');
  const index: IndexInfo = {
    name,
    kind,
    keys,
    include: (s.indexIncludingParams ?? []).map((p: PgNode) => p.IndexElem?.name).filter((n: unknown): n is string => typeof n === 'string'),
    method,
    definedAt: placed(st, { start: st.stmt.start, end: st.stmt.end }),
  };
  if (predicate !== undefined) index.predicate = predicate;
  addIndex(table, index, { exprs, where: s.whereClause ? structuredClone(s.whereClause) : undefined });
  // CREATE INDEX on a partitioned table creates it on every partition too, unless ON ONLY.
  // (libpg-query omits `inh` when false: ON ONLY.)
  if (s.relation?.inh === true) {
    for (const part of partitionsOf.get(table) ?? []) {
      if (!st.model.tables.has(tableKey(part.schema, part.name))) continue;
      const cols = keys.map((k) => k.column ?? 'expr');
      part.indexes.push(cloneIndex(index, chooseIndexName(st.model, part, cols, kind === 'primary' ? 'pkey' : kind === 'unique' ? 'key' : 'idx')));
    }
  }
}

/**
 * Relations that are not tables (sequences, views, foreign tables), by `schema.name` and name:
 * pg_dump writes `ALTER TABLE s OWNER TO …` for sequences and views too, which is no problem.
 */
const otherRelations = new WeakMap<SchemaModel, Set<string>>();

function noteOtherRelation(st: FileState, rv: PgNode): void {
  if (!rv?.relname) return;
  let set = otherRelations.get(st.model);
  if (!set) otherRelations.set(st.model, (set = new Set()));
  set.add(tableKey(creationSchema(st, rv), rv.relname));
  set.add(rv.relname);
}

function isOtherRelation(st: FileState, rv: PgNode): boolean {
  const set = otherRelations.get(st.model);
  return !!set && (rv?.schemaname ? set.has(tableKey(rv.schemaname, rv.relname)) : set.has(rv?.relname));
}

/** ALTER TABLE commands that say nothing about columns or indexes (ownership, privileges, storage, triggers). */
const NO_SHAPE = new Set([
  'AT_ChangeOwner',
  'AT_SetStatistics',
  'AT_SetOptions',
  'AT_ResetOptions',
  'AT_SetRelOptions',
  'AT_ResetRelOptions',
  'AT_ReplaceRelOptions',
  'AT_SetStorage',
  'AT_ClusterOn',
  'AT_DropCluster',
  'AT_EnableRowSecurity',
  'AT_DisableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_NoForceRowSecurity',
  'AT_EnableTrig',
  'AT_DisableTrig',
  'AT_EnableTrigAll',
  'AT_DisableTrigAll',
  'AT_EnableTrigUser',
  'AT_DisableTrigUser',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaTrig',
  'AT_ReplicaIdentity',
  'AT_SetLogged',
  'AT_SetUnLogged',
  'AT_SetTableSpace',
  'AT_GenericOptions',
]);

function alterTable(st: FileState, s: PgNode): void {
  if (s.objtype && s.objtype !== 'OBJECT_TABLE') return;
  const table = resolveTable(st, s.relation);
  if (!table) {
    const harmless = (s.cmds ?? []).every((c: PgNode) => NO_SHAPE.has(c.AlterTableCmd?.subtype));
    if (!s.missing_ok && !harmless && !isOtherRelation(st, s.relation)) {
      problem(st, s.relation?.location ?? st.stmt.start, `ALTER TABLE on unknown table ${s.relation?.relname}`, `table ${s.relation?.relname}`);
    }
    return;
  }
  const deferred: (() => void)[] = [];
  const late: (() => void)[] = [];
  for (const cw of s.cmds ?? []) {
    const c = cw.AlterTableCmd;
    if (!c) continue;
    switch (c.subtype) {
      case 'AT_AddColumn': {
        const def = c.def?.ColumnDef;
        if (def && c.missing_ok && table.columns.has(def.colname)) break;
        if (def) addColumn(st, table, def, deferred, late);
        break;
      }
      case 'AT_DropColumn': {
        if (!table.columns.has(c.name)) {
          if (!c.missing_ok) problem(st, st.stmt.start, `DROP COLUMN of unknown column ${table.name}.${c.name}`);
          break;
        }
        table.columns.delete(c.name);
        // PostgreSQL drops every index that uses the column (keys, expressions, INCLUDE, predicate),
        // its foreign keys, and (CASCADE) the foreign keys of other tables that reference it.
        table.indexes = table.indexes.filter((i) => !indexColumns(i).has(c.name));
        dropForeignKeys(
          st.model,
          (t, fk) => (t === table && fk.columns.includes(c.name)) || (fk.refSchema === table.schema && fk.refTable === table.name && fk.refColumns.includes(c.name)),
        );
        break;
      }
      case 'AT_AlterColumnType': {
        const col = table.columns.get(c.name);
        if (!col) {
          problem(st, st.stmt.start, `ALTER COLUMN of unknown column ${table.name}.${c.name}`);
          break;
        }
        if (c.def?.ColumnDef?.typeName) col.type = normalizeType(c.def.ColumnDef.typeName);
        break;
      }
      case 'AT_SetNotNull':
        setNotNull(table, c.name);
        break;
      case 'AT_ColumnDefault': {
        // `ALTER COLUMN x SET DEFAULT 'member'` / `DROP DEFAULT` (no expression).
        const col = table.columns.get(c.name);
        if (col) col.defaultWord = c.def ? defaultWord(c.def) : undefined;
        break;
      }
      case 'AT_DropNotNull': {
        const col = table.columns.get(c.name);
        if (col) col.notNull = false;
        break;
      }
      case 'AT_AddConstraint': {
        const con = c.def?.Constraint;
        if (!con) break;
        const loc: number = con.location ?? st.stmt.start;
        const range = { start: loc, end: elementEnd(st.text, loc, st.stmt.end) };
        if (con.contype === 'CONSTR_FOREIGN') late.push(() => addForeignKey(st, table, con, undefined, range));
        else if (con.contype === 'CONSTR_CHECK') deferred.push(() => checkConstraint(table, con, undefined));
        else deferred.push(() => constraintIndex(st, table, con, undefined, range));
        break;
      }
      case 'AT_DropConstraint': {
        const name = truncateIdent(c.name);
        table.indexes = table.indexes.filter((i) => i.name !== name || !details.get(i)?.constraint);
        if (table.foreignKeys) table.foreignKeys = table.foreignKeys.filter((fk) => fk.name !== name);
        break;
      }
      default:
        break;
    }
  }
  for (const d of deferred) d();
  for (const d of late) d();
}

function renameStmt(st: FileState, s: PgNode): void {
  switch (s.renameType) {
    case 'OBJECT_TABLE': {
      const table = resolveTable(st, s.relation);
      if (!table) {
        if (!s.missing_ok) problem(st, s.relation?.location ?? st.stmt.start, `RENAME of unknown table ${s.relation?.relname}`, `table ${s.relation?.relname}`);
        return;
      }
      st.model.tables.delete(tableKey(table.schema, table.name));
      for (const { fk } of [...referencesTo(st.model, table)]) fk.refTable = s.newname;
      table.name = s.newname;
      st.model.tables.set(tableKey(table.schema, table.name), table);
      return;
    }
    case 'OBJECT_COLUMN': {
      if (s.relationType && s.relationType !== 'OBJECT_TABLE') return;
      const table = resolveTable(st, s.relation);
      const col = table?.columns.get(s.subname);
      if (!table || !col) {
        if (!s.missing_ok) problem(st, s.relation?.location ?? st.stmt.start, `RENAME of unknown column ${s.relation?.relname}.${s.subname}`, table ? undefined : `table ${s.relation?.relname}`);
        return;
      }
      // Keep column order: rebuild the map with the new key in place.
      col.name = s.newname;
      table.columns = new Map([...table.columns].map(([k, v]) => (k === s.subname ? [s.newname, v] : [k, v])));
      renameColumnInIndexes(table, s.subname, s.newname);
      for (const fk of table.foreignKeys ?? []) fk.columns = fk.columns.map((x) => (x === s.subname ? s.newname : x));
      for (const { fk } of referencesTo(st.model, table)) fk.refColumns = fk.refColumns.map((x) => (x === s.subname ? s.newname : x));
      return;
    }
    case 'OBJECT_INDEX': {
      const rv = s.relation;
      const found = findIndex(st, rv?.schemaname ? [rv.schemaname, truncateIdent(rv.relname)] : [truncateIdent(rv?.relname)]);
      if (!found) {
        if (!s.missing_ok) problem(st, rv?.location ?? st.stmt.start, `ALTER INDEX of unknown index ${rv?.relname}`);
        return;
      }
      found.index.name = truncateIdent(s.newname);
      return;
    }
    case 'OBJECT_TABCONSTRAINT': {
      const table = resolveTable(st, s.relation);
      const index = table?.indexes.find((i) => i.name === truncateIdent(s.subname));
      if (index) index.name = truncateIdent(s.newname);
      const fk = table?.foreignKeys?.find((f) => f.name === truncateIdent(s.subname));
      if (fk) fk.name = truncateIdent(s.newname);
      return;
    }
    case 'OBJECT_TYPE': {
      // ALTER TYPE … RENAME TO …: columns of that type (Prisma's enum migrations create "X_new" and rename it to "X").
      const names = nameList(s.object?.List?.items);
      const from = names[names.length - 1];
      if (!from) return;
      for (const t of st.model.tables.values()) {
        for (const c of t.columns.values()) {
          const m = /^(.*?)((?:\[\])*)$/.exec(c.type)!;
          if (m[1] === from || m[1] === names.join('.')) c.type = s.newname + m[2];
        }
      }
      return;
    }
    default:
      return;
  }
}

function setSchema(st: FileState, s: PgNode): void {
  if (s.objectType !== 'OBJECT_TABLE') return;
  const table = resolveTable(st, s.relation);
  if (!table) {
    if (!s.missing_ok) problem(st, s.relation?.location ?? st.stmt.start, `SET SCHEMA of unknown table ${s.relation?.relname}`, `table ${s.relation?.relname}`);
    return;
  }
  st.model.tables.delete(tableKey(table.schema, table.name));
  for (const { fk } of [...referencesTo(st.model, table)]) fk.refSchema = s.newschema;
  table.schema = s.newschema;
  st.model.tables.set(tableKey(table.schema, table.name), table);
}

function dropStmt(st: FileState, s: PgNode): void {
  const isTable = s.removeType === 'OBJECT_TABLE';
  const isIndex = s.removeType === 'OBJECT_INDEX';
  const isMatview = s.removeType === 'OBJECT_MATVIEW';
  if (s.removeType === 'OBJECT_SCHEMA') {
    // DROP SCHEMA … CASCADE takes its tables along (without CASCADE it fails unless empty).
    const schemas = new Set((s.objects ?? []).map((o: PgNode) => o.String?.sval).filter(Boolean));
    for (const [k, t] of [...st.model.tables]) if (schemas.has(t.schema)) st.model.tables.delete(k);
    dropForeignKeys(st.model, (_t, fk) => schemas.has(fk.refSchema));
    return;
  }
  if (!isTable && !isIndex && !isMatview) return;
  for (const o of s.objects ?? []) {
    const names = nameList(o.List?.items);
    if (names.length === 0) continue;
    if (isIndex) {
      const found = findIndex(st, names.map((n, i) => (i === names.length - 1 ? truncateIdent(n) : n)));
      if (found) found.table.indexes = found.table.indexes.filter((i) => i !== found.index);
      else if (!s.missing_ok) problem(st, st.stmt.start, `DROP INDEX of unknown index ${names.join('.')}`);
      continue;
    }
    const rv = names.length > 1 ? { schemaname: names[names.length - 2], relname: names[names.length - 1] } : { relname: names[0] };
    const table = resolveTable(st, rv);
    if (table) {
      st.model.tables.delete(tableKey(table.schema, table.name));
      // DROP TABLE … CASCADE drops the foreign keys that reference it (without CASCADE there can be none).
      dropForeignKeys(st.model, (_t, fk) => fk.refSchema === table.schema && fk.refTable === table.name);
    } else if (!s.missing_ok) problem(st, st.stmt.start, `DROP TABLE of unknown table ${names.join('.')}`, `table ${names[names.length - 1]}`);
  }
}

function setSearchPath(st: FileState, s: PgNode): void {
  if (s.name !== 'search_path') return;
  if (s.kind === 'VAR_RESET' || s.kind === 'VAR_SET_DEFAULT') {
    st.searchPath = ['public'];
    return;
  }
  const schemas = (s.args ?? [])
    .map((a: PgNode) => a.A_Const?.sval?.sval ?? (a.ColumnRef ? nameList(a.ColumnRef.fields).join('.') : undefined))
    .filter((x: string | undefined): x is string => !!x && x !== '$user' && x !== '"$user"');
  st.searchPath = schemas.length ? schemas : ['public'];
}

function createMatview(st: FileState, s: PgNode): void {
  // CREATE TABLE … AS and materialized views can carry indexes; keep them as tables without known columns.
  if (s.objtype !== 'OBJECT_MATVIEW' && s.objtype !== 'OBJECT_TABLE') return;
  const rv = s.into?.rel;
  if (!rv?.relname || rv.relpersistence === 't') return;
  const schema = creationSchema(st, rv);
  const key = tableKey(schema, rv.relname);
  if (st.model.tables.has(key)) return;
  st.model.tables.set(key, newTable(schema, rv.relname, placed(st, { start: st.stmt.start, end: st.stmt.end })));
}

/**
 * Parse results of schema files by path, for the text they were parsed from:
 * the server rebuilds the schema when one migration changes, and re-parsing
 * the other hundreds is most of the cost. Nothing downstream mutates a parsed
 * statement (index expressions are copied before renames rewrite them).
 */
const parseCache = new Map<string, { text: string; outcome: ReturnType<typeof parseSql> }>();
const PARSE_CACHE_MAX = 5000;

function cachedParse(file: string, text: string): ReturnType<typeof parseSql> {
  const hit = parseCache.get(file);
  if (hit && hit.text === text) return hit.outcome;
  const outcome = parseSql(text);
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
  parseCache.set(file, { text, outcome });
  return outcome;
}

/**
 * Applies one SQL file's DDL to the model. Returns false when the whole file was skipped (not PostgreSQL).
 * `original`: the file's own text when `text` was rewritten (psql variables substituted), with
 * `offsetOf` mapping offsets of `text` back to it.
 */
export function applySqlFile(model: SchemaModel, file: string, text: string, original?: { text: string; offsetOf(i: number): number }): boolean {
  const fileLines = new LineIndex(original?.text ?? text);
  const toFile = original ? (i: number) => original.offsetOf(i) : (i: number) => i;
  const outcome = cachedParse(file, text);
  const st: FileState = { model, file, text, lines: fileLines, searchPath: ['public'], stmt: { start: 0, end: 0 } };
  if (original) st.embed = { at: toFile, lines: fileLines };
  // A file of comments only ("Query cannot be empty") holds nothing to apply.
  if (outcome.statements.length === 0 && !scanSql(text).some((t) => !/COMMENT/.test(t.name) && t.text !== ';')) return true;
  // More statements fail than parse: another database's SQL. Applying the few
  // that happen to parse (a ClickHouse RENAME COLUMN) would corrupt the model.
  if (outcome.errors.length > 0 && (outcome.statements.length === 0 || (outcome.errors.length >= 2 && outcome.errors.length > outcome.statements.length))) {
    const e = outcome.errors[0];
    const count = outcome.errors.length;
    const line = fileLines.position(toFile(e.statementStart !== undefined ? skipTrivia(text, e.statementStart, e.statementEnd) : e.offset)).line + 1;
    model.problems.push({
      file,
      line,
      message:
        count > 1
          ? `${count} of ${count + outcome.statements.length} statements do not parse as PostgreSQL (first at line ${line}: ${e.message}); another database's SQL? File skipped`
          : `not readable as PostgreSQL: ${e.message}`,
    });
    return false;
  }
  for (const e of outcome.errors) {
    markUnreadIndexDdl(st, text, e.statementStart, e.statementEnd);
    const at = toFile(e.statementStart !== undefined ? skipTrivia(text, e.statementStart, e.statementEnd) : e.offset);
    model.problems.push({
      file,
      line: fileLines.position(at).line + 1,
      range: { start: at, end: toFile(e.statementEnd ?? at) },
      message: `statement skipped, not readable as PostgreSQL: ${e.message}`,
    });
  }
  for (const s of outcome.statements) applyStatement(st, s, true);
  return true;
}

/**
 * Applies SQL that is not a file of its own: a string passed to a TypeScript migration's raw-SQL call
 * (`queryRunner.query`, `knex.raw`, `pgm.sql`), or DDL written for a schema event (engine/schema/events.ts).
 * Definitions and problems land in `file` through `embed`. A statement that does not parse is one problem.
 */
export function applySqlText(model: SchemaModel, file: string, sql: string, embed: SqlEmbedding, searchPath: string[] = ['public']): void {
  const outcome = parseSql(sql);
  const st: FileState = { model, file, text: sql, lines: embed.lines, searchPath, stmt: { start: 0, end: sql.length }, embed };
  for (const e of outcome.errors) {
    st.stmt = { start: e.statementStart ?? 0, end: e.statementEnd ?? sql.length };
    markUnreadIndexDdl(st, sql, e.statementStart, e.statementEnd);
    problem(st, e.statementStart !== undefined ? skipTrivia(sql, e.statementStart, e.statementEnd) : e.offset, `statement skipped, not readable as PostgreSQL: ${e.message}`);
  }
  for (const s of outcome.statements) applyStatement(st, s, true);
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
/** `CREATE [UNIQUE] INDEX … ON [ONLY] t` or `ALTER TABLE [IF EXISTS] [ONLY] t` at the start of a statement; group 1 = t. */
const INDEX_DDL_TARGET = new RegExp(
  String.raw`^(?:CREATE\s+(?:UNIQUE\s+)?INDEX\b[^;]*?\bON\s+(?:ONLY\s+)?|ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?)(${IDENT}(?:\s*\.\s*${IDENT})?)`,
  'i',
);

/**
 * A statement the parser could not read may still name the table whose indexes it changes; that table's
 * index list is then incomplete, and unindexed-predicate must not judge it (an index the model cannot see
 * may serve the query: Kysely's `createIndex().on(t).expression(sql\`…\`)` trick for partial indexes).
 */
function markUnreadIndexDdl(st: FileState, text: string, start: number | undefined, end: number | undefined): void {
  // No statement start: the parser failed on the first statement (or the only one, for SQL from an event).
  const from = skipTrivia(text, start ?? 0, end);
  const m = INDEX_DDL_TARGET.exec(text.slice(from, Math.min(end ?? text.length, from + 4096)));
  if (!m) return;
  const parts = m[1].split(/\s*\.\s*(?=(?:"|[A-Za-z_]))/).map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase()));
  const rv = parts.length === 2 ? { schemaname: parts[0], relname: parts[1] } : { relname: parts[0] };
  const table = resolveTable(st, rv);
  if (table) table.unreadIndexDdl = true;
}

const DDL_TYPES = new Set(['CreateStmt', 'IndexStmt', 'AlterTableStmt', 'RenameStmt', 'AlterObjectSchemaStmt', 'DropStmt', 'CreateTableAsStmt']);

function applyStatement(st: FileState, s: ParsedStatement, topLevel: boolean): void {
  st.stmt = { start: s.start, end: s.end };
  const body = s.node[s.type];
  try {
    switch (s.type) {
      case 'CreateStmt':
        createTable(st, body);
        break;
      case 'IndexStmt':
        createIndex(st, body);
        break;
      case 'AlterTableStmt':
        alterTable(st, body);
        break;
      case 'RenameStmt':
        renameStmt(st, body);
        break;
      case 'AlterObjectSchemaStmt':
        setSchema(st, body);
        break;
      case 'DropStmt':
        dropStmt(st, body);
        break;
      case 'VariableSetStmt':
        if (topLevel) setSearchPath(st, body);
        break;
      case 'CreateTableAsStmt':
        createMatview(st, body);
        break;
      case 'CreateEnumStmt':
        createEnum(st, body);
        break;
      case 'AlterEnumStmt':
        alterEnum(st, body);
        break;
      case 'CreateSeqStmt':
        noteOtherRelation(st, body.sequence);
        break;
      case 'ViewStmt':
        noteOtherRelation(st, body.view);
        break;
      case 'CreateForeignTableStmt':
        noteOtherRelation(st, body.base?.relation);
        break;
      case 'DoStmt':
        if (topLevel) applyDoBlock(st, body);
        break;
      case 'InsertStmt': {
        // The migrations put rows written out here (a reference table's values, a single tenant's row). An
        // `INSERT … SELECT` copies rows from elsewhere, as many as there are: it says nothing of the table's size.
        const table = body.selectStmt?.SelectStmt?.valuesLists?.length ? resolveTable(st, body.relation) : undefined;
        if (table) table.seeded = true;
        break;
      }
      default:
        break;
    }
  } catch (err) {
    // An AST shape this code did not expect: report it, keep going.
    problem(st, s.start, `statement not applied (${s.type}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

function shiftLocations(node: PgNode, by: number): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) shiftLocations(n, by);
    return;
  }
  for (const k of Object.keys(node)) {
    const v = node[k];
    if (k === 'location' && typeof v === 'number') node[k] = v < 0 ? v : v + by;
    else if (v && typeof v === 'object') shiftLocations(v, by);
  }
}

/**
 * DDL inside `DO $$ … $$` blocks. Migrations guard DDL this way to be
 * idempotent (`IF NOT EXISTS (…) THEN CREATE INDEX …`, `EXECUTE 'ALTER INDEX
 * … RENAME …'`, Drizzle's `BEGIN ALTER TABLE … EXCEPTION WHEN
 * duplicate_object`). We apply the DDL statements found there as if the guard
 * passed: the guard almost always checks that the change is still needed.
 * Only constant `EXECUTE '…';` strings are read; concatenated dynamic SQL is
 * not. Fragments that are not SQL are ignored silently (it is PL/pgSQL).
 */
function applyDoBlock(st: FileState, s: PgNode): void {
  let code: string | undefined;
  let language = 'plpgsql';
  for (const a of s.args ?? []) {
    const d = a.DefElem;
    if (d?.defname === 'as') code = d.arg?.String?.sval;
    else if (d?.defname === 'language') language = String(d.arg?.String?.sval ?? '').toLowerCase();
  }
  if (!code || language !== 'plpgsql' || !/\b(create|alter|drop)\b/i.test(code)) return;
  const base = st.text.indexOf(code, st.stmt.start);
  if (base < 0) return;
  const outer = st.stmt;
  const snippets: { sql: string; at: number }[] = [];
  const exec = /\bEXECUTE\s+'((?:[^']|'')*)'\s*;/gi;
  let m: RegExpExecArray | null;
  while ((m = exec.exec(code))) snippets.push({ sql: m[1].replace(/''/g, "'"), at: base + m.index + m[0].indexOf("'") + 1 });
  for (const piece of splitStatements(code)) {
    const text = code.slice(piece.start, piece.end);
    const k = /(?:^|\b(?:BEGIN|THEN|ELSE|LOOP)\b)(\s*)(?=(?:CREATE|ALTER|DROP)\b)/i.exec(text.replace(/--[^\n]*/g, (c) => ' '.repeat(c.length)));
    if (!k) continue;
    const from = k.index + k[0].length;
    snippets.push({ sql: text.slice(from), at: base + piece.start + from });
  }
  for (const snip of snippets) {
    const out = parseSql(snip.sql);
    if (out.errors.length) continue;
    for (const inner of out.statements) {
      if (!DDL_TYPES.has(inner.type)) continue;
      shiftLocations(inner.node, snip.at);
      st.quiet = true;
      applyStatement(st, { ...inner, start: inner.start + snip.at, end: inner.end + snip.at }, false);
      st.quiet = false;
    }
  }
  st.stmt = outer;
}
