/**
 * The one answer to "does an index of this table serve this predicate?",
 * shared by the SQL and the ORM halves of `unindexed-predicate` (and by any
 * rule that needs an access path). It decides the way the planner does:
 *
 * - B-tree: equality, ranges, `IS NULL`, prefix `LIKE` and ordering on a key
 *   whose earlier keys are all constrained by equality (the index's prefix);
 * - hash: equality (and `IN`, through a bitmap scan) on its one key;
 * - GIN/GiST with a trigram operator class (`gin_trgm_ops`): `LIKE`/`ILIKE`
 *   with any pattern and equality, on any key; a case-insensitive comparison
 *   (ILIKE, Prisma `mode: 'insensitive'`) is served by nothing else; other GIN/GiST operator
 *   classes (jsonb, arrays, full text) serve none of the comparisons this
 *   model knows, and one whose class is not written is given the benefit of
 *   the doubt;
 * - BRIN, SP-GiST and other methods: declared on purpose, so served;
 * - an expression key serves the same expression (canonical text: `date(x)`
 *   is `x::date`, text-type casts are relabelings);
 * - a partial index serves a query only when the query's conditions imply
 *   the index's predicate: `col = $1` implies `col IS NOT NULL`, equal
 *   literals imply each other, an `IN` list implies a larger one, and AND/OR
 *   of those.
 *
 * Pure: schema facts in, a verdict with its reason out.
 */
import type { IndexInfo, IndexKey, TableInfo } from '../schema/types';
import { indexPredicateAst } from '../schema/sql-ddl';
import { nameList, unwrap } from './expr';
import { parseSql, type PgNode } from './parser';

/** How a column (or an expression over it) is compared. */
export type PredicateOp =
  /** `=`, `IN (…)`, `= ANY(…)`, `IS NULL`. */
  | 'eq'
  /** `<`, `>`, `<=`, `>=`, `BETWEEN`. */
  | 'range'
  /** `LIKE 'abc%'`. */
  | 'like-prefix'
  /** `LIKE '%abc'`, `ILIKE '%abc%'`. */
  | 'like-leading'
  /** `LIKE $1`: a pattern whose start is not known. */
  | 'like-unknown'
  /** The leading key of `ORDER BY … LIMIT`. */
  | 'order';

/** A comparison of one column (bare, or wrapped in a function or cast) of a table. */
export interface ColumnPredicate {
  column: string;
  /** Canonical key (`exprKey`) of the expression around the column; undefined for a bare column. */
  wrapped?: string;
  op: PredicateOp;
  /** Compared with ILIKE (Prisma `mode: 'insensitive'`, even for `equals`): only a trigram index serves it. */
  caseInsensitive?: boolean;
}

/**
 * What the query's AND-level conditions say about one table's rows, for
 * partial-index implication. `literals` are the constant values the column
 * equals (canonical text, casts dropped); undefined when the value is a
 * parameter, a column or an expression.
 */
export interface RowFact {
  column: string;
  kind: 'eq' | 'null' | 'not-null';
  literals?: string[];
}

export type IndexCoverage =
  | { served: true; index: IndexInfo }
  | { served: false; reason: string; fix: 'plain' | 'expression' | 'trgm' };

export interface CoverageContext {
  /** Plain columns of the table constrained by equality at the AND level (constants, parameters, reached join columns). */
  eqColumns: ReadonlySet<string>;
  /** What the query's conditions say about the rows (partial indexes). */
  facts: readonly RowFact[];
  /** Canonical texts (`predicateText`) of the query's conjuncts: a partial index whose predicate the query repeats word for word. */
  texts?: ReadonlySet<string>;
}

const TRIGRAM = /trgm/;
/** GIN/GiST operator classes that index something other than the column's scalar value. */
const NON_SCALAR_OPCLASS = /^(jsonb_ops|jsonb_path_ops|array_ops|tsvector_ops|gist_geometry_ops.*|range_ops|inet_ops|box_ops|point_ops|poly_ops|circle_ops)$/;

export function keyText(k: IndexKey): string {
  return k.column ?? k.expression ?? '?';
}

/** `name (a, b) USING gin WHERE …`, for messages and related locations. */
export function indexText(ix: IndexInfo): string {
  const method = ix.method && ix.method !== 'btree' ? ` USING ${ix.method}` : '';
  return `${ix.name} (${ix.keys.map(keyText).join(', ')})${method}${ix.predicate ? ` WHERE ${ix.predicate}` : ''}`;
}

/**
 * `date(x)` and `x::date` are the same function call to PostgreSQL (only the
 * display form differs, which index matching ignores): compare one spelling.
 * Casts between text types are implicit relabelings: `lower((email)::text)` in a
 * varchar column's index (Rails, pg_dump) is the `lower(email)` the query writes.
 */
export function canonicalExpr(e: string): string {
  e = e.replace(/::(text|varchar|bpchar|character varying)\b/g, '');
  return e.replace(/^(date|text|int2|int4|int8|numeric|float4|float8|timestamptz|timestamp|bool|uuid)\(([^(),]+)\)$/, '$2::$1');
}

function keyMatches(k: IndexKey, p: ColumnPredicate): boolean {
  return p.wrapped ? k.expression !== undefined && canonicalExpr(k.expression) === canonicalExpr(p.wrapped) : k.column === p.column;
}

/** Which comparisons an index's access method (and operator class) can answer through the key at `pos`. */
function methodServes(ix: IndexInfo, pos: number, p: ColumnPredicate, isText: boolean): boolean | 'prefix' {
  const method = (ix.method || 'btree').toLowerCase();
  const opclass = ix.keys[pos]?.opclass ?? '';
  // ILIKE: a B-tree or hash index on the column answers no case-insensitive comparison; a trigram index does.
  if (p.caseInsensitive) {
    if (method === 'gin' || method === 'gist') return TRIGRAM.test(opclass) || (!opclass && isText);
    return method !== 'btree' && method !== 'hash';
  }
  switch (method) {
    case 'btree':
      return p.op === 'like-leading' ? false : 'prefix';
    case 'hash':
      return pos === 0 && p.op === 'eq';
    case 'gin':
    case 'gist': {
      if (TRIGRAM.test(opclass)) return p.op !== 'range' && p.op !== 'order';
      if (NON_SCALAR_OPCLASS.test(opclass)) return false;
      // No operator class written: a GIN/GiST index on a text column exists only with a trigram class
      // (there is no default one for text); on other types we cannot tell, so it is not our claim.
      if (!opclass) return isText ? p.op !== 'range' && p.op !== 'order' : true;
      // btree_gin / btree_gist classes (`int4_ops`, `text_ops` …) answer equality and ranges.
      return p.op === 'eq' || p.op === 'range';
    }
    default:
      // brin, spgist, bloom …: declared on purpose for this column; not ours to second-guess.
      return true;
  }
}

const TEXT_TYPES = /^(text|varchar|bpchar|citext|name)$/;

/** Decides whether any index of the table serves the predicate, and if not, why. */
export function indexCoverage(table: TableInfo, p: ColumnPredicate, ctx: CoverageContext): IndexCoverage {
  const isText = TEXT_TYPES.test(table.columns.get(p.column)?.type ?? '');
  let reason: string | undefined;
  for (const ix of table.indexes) {
    const pos = ix.keys.findIndex((k) => keyMatches(k, p));
    if (pos < 0) continue;
    if (ix.predicate && !impliesIndexPredicate(ix, table, ctx)) {
      reason ??= `${ix.name} is partial (WHERE ${ix.predicate}) and the query's conditions do not imply it`;
      continue;
    }
    const serves = methodServes(ix, pos, p, isText);
    if (serves === true) return { served: true, index: ix };
    if (serves === false) {
      if (p.caseInsensitive) reason = `a case-insensitive filter is sent as ILIKE, which the ${ix.method && ix.method !== 'btree' ? ix.method : 'B-tree'} index ${ix.name} cannot answer; only a trigram (GIN/GiST) index can`;
      else if (p.op === 'like-leading') reason = `LIKE with a leading wildcard cannot use the ${ix.method === 'btree' || !ix.method ? 'B-tree' : ix.method} index ${ix.name}; only a trigram (GIN/GiST) index can`;
      else reason ??= `${ix.name} (USING ${ix.method}) cannot answer this comparison`;
      continue;
    }
    const before = ix.keys.slice(0, pos);
    if (before.every((k) => k.column !== undefined && ctx.eqColumns.has(k.column))) return { served: true, index: ix };
    const missing = before.filter((k) => !k.column || !ctx.eqColumns.has(k.column)).map(keyText);
    reason ??= `${p.column} is not the leading column of ${ix.name} (${ix.keys.map(keyText).join(', ')}) and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not constrained by equality`;
  }
  if (p.caseInsensitive) {
    return { served: false, reason: reason ?? `a case-insensitive filter is sent as ILIKE, which needs a trigram (GIN/GiST) index on ${p.column}, and there is none`, fix: 'trgm' };
  }
  if (p.op === 'like-leading') {
    return { served: false, reason: reason ?? `LIKE with a leading wildcard needs a trigram (GIN/GiST) index on ${p.column}, and there is none`, fix: 'trgm' };
  }
  if (p.wrapped) {
    const plain = table.indexes.find((ix) => ix.keys[0]?.column === p.column);
    return {
      served: false,
      reason: plain
        ? `${p.wrapped} does not match ${plain.name}, which indexes the plain column; an expression index on ${p.wrapped} would`
        : `no index on ${p.column} or on the expression ${p.wrapped}`,
      fix: 'expression',
    };
  }
  return { served: false, reason: reason ?? `no index includes ${p.column}`, fix: 'plain' };
}

// ---------------------------------------------------------------------------
// Partial indexes: does the query imply the index predicate?

const parsedPredicates = new Map<string, PgNode | null>();

/** The AST of a partial index's predicate: from schema discovery, else parsed from its canonical text. */
function predicateAst(ix: IndexInfo): PgNode | undefined {
  const ast = indexPredicateAst(ix);
  if (ast) return ast;
  const text = ix.predicate;
  if (!text) return undefined;
  let hit = parsedPredicates.get(text);
  if (hit === undefined) {
    const out = parseSql(`SELECT 1 WHERE ${text}`);
    hit = out.errors.length ? null : (out.statements[0]?.node?.SelectStmt?.whereClause ?? null);
    if (parsedPredicates.size > 2000) parsedPredicates.clear();
    parsedPredicates.set(text, hit);
  }
  return hit ?? undefined;
}

/** Whether the query's conditions imply the partial index's predicate. */
export function impliesIndexPredicate(ix: IndexInfo, table: TableInfo, ctx: CoverageContext): boolean {
  if (!ix.predicate) return true;
  if (ctx.texts && textsImply(ctx.texts, ix.predicate)) return true;
  const ast = predicateAst(ix);
  return !!ast && implies(ctx.facts, ast, table, 0);
}

/** Strips casts and parentheses: `(type)::text` → the column, `'x'::varchar` → the literal. */
function stripCasts(node: PgNode): PgNode {
  let n = node;
  for (let i = 0; i < 8; i++) {
    const u = unwrap(n);
    if (u?.type === 'TypeCast') n = u.body.arg;
    else return n;
  }
  return n;
}

function columnOf(node: PgNode): string | undefined {
  const u = unwrap(stripCasts(node));
  if (u?.type !== 'ColumnRef') return undefined;
  const f = nameList(u.body.fields);
  return f[f.length - 1];
}

/** Canonical text of a constant (casts dropped): strings as their value, numbers as written, booleans as true/false, NULL as null. */
export function literalText(node: PgNode): string | undefined {
  const u = unwrap(stripCasts(node));
  if (u?.type !== 'A_Const') return undefined;
  const c = u.body;
  if (c.isnull) return 'null';
  if (c.sval !== undefined) return c.sval.sval ?? '';
  if (c.ival !== undefined) return String(c.ival.ival ?? 0);
  if (c.fval !== undefined) return String(c.fval.fval);
  if (c.boolval !== undefined) return String(!!c.boolval.boolval);
  return undefined;
}

/** Literal members of an IN list or `ANY(ARRAY[…])`; undefined when one is not a constant. */
export function literalList(node: PgNode): string[] | undefined {
  const n = stripCasts(node);
  const u = unwrap(n);
  const items: PgNode[] | undefined = Array.isArray(n) ? n : u?.type === 'List' ? u.body.items : u?.type === 'A_ArrayExpr' ? u.body.elements : undefined;
  if (!items) {
    const one = literalText(n);
    return one === undefined ? undefined : [one];
  }
  const out: string[] = [];
  for (const it of items) {
    const t = literalText(it);
    if (t === undefined) return undefined;
    out.push(t);
  }
  return out;
}

function factsOn(facts: readonly RowFact[], column: string): RowFact[] {
  return facts.filter((f) => f.column === column);
}

/** The column is known to equal one of `allowed` (every value the query allows is in the set). */
function equalsOneOf(facts: readonly RowFact[], column: string, allowed: (v: string) => boolean): boolean {
  return factsOn(facts, column).some((f) => f.kind === 'eq' && f.literals !== undefined && f.literals.length > 0 && f.literals.every(allowed));
}

function implies(facts: readonly RowFact[], node: PgNode, table: TableInfo, depth: number): boolean {
  if (depth > 12) return false;
  const u = unwrap(node);
  if (!u) return false;
  const b = u.body;
  switch (u.type) {
    case 'BoolExpr': {
      const args: PgNode[] = b.args ?? [];
      if (b.boolop === 'AND_EXPR') return args.length > 0 && args.every((a) => implies(facts, a, table, depth + 1));
      if (b.boolop === 'OR_EXPR') return args.some((a) => implies(facts, a, table, depth + 1));
      // NOT col: a boolean column known false.
      const col = args[0] && columnOf(args[0]);
      return !!col && equalsOneOf(facts, col, (v) => v === 'false');
    }
    case 'NullTest': {
      const col = columnOf(b.arg);
      if (!col) return false;
      const on = factsOn(facts, col);
      if (b.nulltesttype === 'IS_NULL') return on.some((f) => f.kind === 'null');
      // Any strict comparison (`=`, `<`, `LIKE`, `IN`, a join equality) rejects NULL.
      return on.some((f) => f.kind === 'eq' || f.kind === 'not-null');
    }
    case 'BooleanTest': {
      const col = columnOf(b.arg);
      if (!col) return false;
      const t = String(b.booltesttype);
      if (t === 'IS_TRUE') return equalsOneOf(facts, col, (v) => v === 'true');
      if (t === 'IS_FALSE') return equalsOneOf(facts, col, (v) => v === 'false');
      if (t === 'IS_NOT_TRUE') return equalsOneOf(facts, col, (v) => v === 'false') || factsOn(facts, col).some((f) => f.kind === 'null');
      if (t === 'IS_NOT_FALSE') return equalsOneOf(facts, col, (v) => v === 'true') || factsOn(facts, col).some((f) => f.kind === 'null');
      return false;
    }
    case 'ColumnRef': {
      // A boolean column as the whole predicate: `WHERE active`.
      const col = columnOf(node);
      return !!col && table.columns.get(col)?.type === 'bool' && equalsOneOf(facts, col, (v) => v === 'true');
    }
    case 'A_Expr': {
      const op = nameList(b.name).join('');
      const lcol = columnOf(b.lexpr);
      const rcol = columnOf(b.rexpr);
      const col = lcol ?? rcol;
      const other = lcol ? b.rexpr : b.lexpr;
      if (!col) return false;
      if (b.kind === 'AEXPR_OP' && op === '=') {
        const lit = literalText(other);
        return lit !== undefined && equalsOneOf(facts, col, (v) => v === lit);
      }
      if (b.kind === 'AEXPR_OP' && (op === '<>' || op === '!=')) {
        const lit = literalText(other);
        return lit !== undefined && equalsOneOf(facts, col, (v) => v !== lit && v !== 'null');
      }
      if ((b.kind === 'AEXPR_IN' && op === '=') || (b.kind === 'AEXPR_OP_ANY' && op === '=')) {
        const list = literalList(b.rexpr);
        return !!list && equalsOneOf(facts, col, (v) => list.includes(v));
      }
      if ((b.kind === 'AEXPR_IN' && op === '<>') || (b.kind === 'AEXPR_OP_ALL' && op === '<>')) {
        const list = literalList(b.rexpr);
        return !!list && equalsOneOf(facts, col, (v) => !list.includes(v) && v !== 'null');
      }
      return false;
    }
    default:
      return false;
  }
}

/** Whether canonical conjunct texts (ANDed) repeat a partial index's predicate word for word. */
export function textsImply(texts: ReadonlySet<string>, predicate: string): boolean {
  if (texts.has(predicate)) return true;
  const inner = predicate.replace(/^\((.*)\)$/, '$1');
  if (texts.has(inner)) return true;
  const parts = splitTopLevelAnd(inner);
  return parts.length > 1 && parts.every((p) => texts.has(p) || texts.has(`(${p})`));
}

function splitTopLevelAnd(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && s.startsWith(' and ', i)) {
      out.push(s.slice(start, i).trim());
      start = i + 5;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}
