/**
 * unindexed-predicate: a WHERE / JOIN / ORDER BY … LIMIT column that no
 * index of its table can serve, so PostgreSQL reads the whole table.
 *
 * SQL part (here): predicates of every query level (top, CTEs, subqueries,
 * EXISTS/IN sublinks, UPDATE/DELETE targets) are matched against the
 * table's indexes the way the planner does for B-trees: a column is
 * searchable when it is the leading key of an index, or a later key whose
 * earlier keys are all constrained by equality in the same query; a
 * function or cast around the column needs an expression index with the
 * same expression; a leading-wildcard LIKE needs a trigram (GIN/GiST)
 * index; a partial index serves only queries that repeat its predicate.
 * Unknown tables and columns are not findings: no schema, no report.
 *
 * ORM part: `checkOrmUnindexed` in orm-checks.ts, for TypeScript files.
 */
import { adapterOf, LIBRARY_MIGRATION_FOLDERS } from '../engine/adapters';
import type { RuleContext } from '../engine/context';
import type { Count } from '../engine/model';
import { typeWidth } from '../engine/model';
import { normalizeType, predicateText } from '../engine/schema/sql-ddl';
import type { IndexInfo, IndexKey, TableInfo } from '../engine/schema/types';
import { sqlRangeToFile, type SqlSite } from '../engine/sources/types';
import { exprKey, nameList, unwrap } from '../engine/sql/expr';
import type { PgNode } from '../engine/sql/parser';
import {
  type ColumnRefInfo,
  type FromItem,
  type QueryLevel,
  type QueryModel,
  columnRefsOf,
  conjuncts,
  fileQueryModels,
  isAggregateCall,
  isSingleRow,
  quoteIdent,
} from '../engine/sql/query-model';
import type { Fix, Range, RelatedLocation } from '../engine/types';
import { defineRule } from './define-rule';
import { skipsFile } from './one-off';
import { checkOrmUnindexed } from './orm-checks';

type PredKind = 'eq' | 'range' | 'like-prefix' | 'like-leading' | 'like-unknown' | 'order';
type Clause = 'WHERE' | 'JOIN' | 'ORDER BY … LIMIT';

interface Predicate {
  item: FromItem;
  table: TableInfo;
  column: string;
  /** exprKey of the function/cast around the column; undefined for a bare column. */
  wrapped?: string;
  /** Extent of the column side (the bare column or the whole wrapped expression) in the SQL. */
  range: Range;
  kind: PredKind;
  clause: Clause;
  /** Part of an OR: it does not constrain other index keys. */
  inOr: boolean;
  /** The top-level conjunct (of WHERE or ON) it came from. */
  conj?: PgNode;
  /** The comparison node itself (a leaf of the conjunct's AND/OR tree). */
  src?: PgNode;
  /** For a join predicate: the item on the other side. */
  other?: FromItem;
  /** `deleted_at IS NULL` (a soft-delete filter): matches most rows, so an index would not be used for it; never reported itself. */
  lowSelectivity?: boolean;
}

/** Soft-delete / archive markers: `IS NULL` on them keeps most of the table (umami's `team.deleted_at`). */
const SOFT_DELETE_COLUMN = /^(is_?)?(deleted|archived|removed|trashed|discarded)(_?(at|on|date|time|timestamp))?$/i;

const RANGE_OPS = new Set(['<', '>', '<=', '>=']);

/** The column side of a comparison: one column of one table item of `level`, bare or inside a function/cast. */
function columnSide(
  model: QueryModel,
  level: QueryLevel,
  node: PgNode,
): { ref: ColumnRefInfo; wrapped?: string; castTo?: string; range: Range } | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  if (u.type === 'ColumnRef') {
    const ref = model.resolve(level, node);
    if (!ref.item || ref.item.level !== level || ref.column === '*') return undefined;
    return { ref, range: ref.range };
  }
  if (u.type !== 'FuncCall' && u.type !== 'TypeCast' && u.type !== 'CoalesceExpr') return undefined;
  const refs = columnRefsOf(node);
  if (refs.length !== 1) return undefined;
  const ref = model.resolve(level, refs[0]);
  if (!ref.item || ref.item.level !== level) return undefined;
  // An aggregate or window call is not a row predicate.
  if (u.type === 'FuncCall' && (u.body.agg_star || u.body.over || isAggregateCall(node))) return undefined;
  const range = model.rangeOf(node);
  const castTo = u.type === 'TypeCast' && unwrap(u.body.arg)?.type === 'ColumnRef' ? normalizeType(u.body.typeName) : undefined;
  return { ref, wrapped: exprKey(node), castTo, range: range.end > range.start ? range : ref.range };
}

function readsItem(model: QueryModel, level: QueryLevel, node: PgNode | undefined, item: FromItem): boolean {
  if (!node) return false;
  return columnRefsOf(node).some((r) => {
    const info = model.resolve(level, r);
    return info.item === item || info.candidates.includes(item);
  });
}

/** The leftmost string constant of a pattern (`'%' || $1` → '%'), or undefined when not a constant start. */
function patternStart(node: PgNode): string | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  if (u.type === 'A_Const') return u.body.sval?.sval;
  if (u.type === 'TypeCast') return patternStart(u.body.arg);
  if (u.type === 'A_Expr' && nameList(u.body.name).join('') === '||') return patternStart(u.body.lexpr);
  if (u.type === 'FuncCall' && nameList(u.body.funcname).pop() === 'concat') return patternStart(u.body.args?.[0]);
  return undefined;
}

class Collector {
  readonly preds: Predicate[] = [];
  private conj?: PgNode;
  private nullTest = false;
  private src?: PgNode;
  constructor(
    readonly ctx: RuleContext,
    readonly model: QueryModel,
    readonly level: QueryLevel,
  ) {}

  private add(side: ReturnType<typeof columnSide>, kind: PredKind, clause: Clause, inOr: boolean, other?: FromItem): void {
    if (!side) return;
    const item = side.ref.item!;
    if (item.kind !== 'table') return;
    const table = item.table;
    const col = table?.columns.get(side.ref.column);
    if (!table || !col) return;
    // A cast to the column's own type is no cast at all: PostgreSQL drops it and the plain index applies.
    const wrapped = side.castTo && side.castTo === col.type ? undefined : side.wrapped;
    const lowSelectivity = this.nullTest && !wrapped && SOFT_DELETE_COLUMN.test(side.ref.column);
    this.preds.push({ item, table, column: side.ref.column, wrapped, range: side.range, kind, clause, inOr, conj: this.conj, src: this.src, other, lowSelectivity });
  }

  /** A comparison `col op value` where the value does not read the column's own table. */
  private compare(l: PgNode, r: PgNode | undefined, kind: PredKind, clause: Clause, inOr: boolean, commutes: boolean): void {
    const ls = columnSide(this.model, this.level, l);
    const rs = commutes && r ? columnSide(this.model, this.level, r) : undefined;
    const lOk = ls && !readsItem(this.model, this.level, r, ls.ref.item!);
    const rOk = rs && !readsItem(this.model, this.level, l, rs.ref.item!);
    if (lOk && rOk) {
      // Columns of two items compared: a join. Only the joined (later) side needs an index to be probed.
      if (kind !== 'eq') return;
      const [later, earlier] = ls.ref.item!.index > rs.ref.item!.index ? [ls, rs] : [rs, ls];
      this.add(later, kind, 'JOIN', inOr, earlier.ref.item);
    } else if (lOk) this.add(ls, kind, clause, inOr);
    else if (rOk) this.add(rs, kind, clause, inOr);
  }

  /** Collects the predicates of one top-level conjunct. */
  conjunct(node: PgNode, clause: Clause): void {
    this.conj = node;
    this.visit(node, clause, false);
    this.conj = undefined;
  }

  visit(node: PgNode, clause: Clause, inOr: boolean): void {
    const u = unwrap(node);
    if (!u) return;
    const b = u.body;
    this.src = node;
    switch (u.type) {
      case 'BoolExpr':
        if (b.boolop === 'NOT_EXPR') return;
        for (const a of b.args ?? []) for (const c of conjuncts(a)) this.visit(c, clause, inOr || b.boolop === 'OR_EXPR');
        return;
      case 'NullTest':
        if (b.nulltesttype === 'IS_NULL') {
          this.nullTest = true;
          this.compare(b.arg, undefined, 'eq', clause, inOr, false);
          this.nullTest = false;
        }
        return;
      case 'A_Expr': {
        const op = nameList(b.name).join('');
        switch (b.kind) {
          case 'AEXPR_OP':
            if (op === '=') this.compare(b.lexpr, b.rexpr, 'eq', clause, inOr, true);
            else if (RANGE_OPS.has(op)) this.compare(b.lexpr, b.rexpr, 'range', clause, inOr, true);
            return;
          case 'AEXPR_IN':
            if (op === '=') this.compare(b.lexpr, b.rexpr, 'eq', clause, inOr, false);
            return;
          case 'AEXPR_OP_ANY':
            if (op === '=') this.compare(b.lexpr, b.rexpr, 'eq', clause, inOr, false);
            return;
          case 'AEXPR_BETWEEN':
          case 'AEXPR_BETWEEN_SYM':
            this.compare(b.lexpr, b.rexpr, 'range', clause, inOr, false);
            return;
          case 'AEXPR_LIKE':
          case 'AEXPR_ILIKE': {
            if (op !== '~~' && op !== '~~*') return;
            const start = patternStart(b.rexpr);
            let kind: PredKind;
            if (start === undefined) kind = 'like-unknown';
            else if (start.startsWith('%') || start.startsWith('_')) kind = 'like-leading';
            else if (b.kind === 'AEXPR_ILIKE') return; // ILIKE 'abc%': a B-tree rarely serves it; not reported.
            else kind = 'like-prefix';
            this.compare(b.lexpr, b.rexpr, kind, clause, inOr, false);
            return;
          }
          default:
            return;
        }
      }
      default:
        return;
    }
  }
}

function keyText(k: IndexKey): string {
  return k.column ?? k.expression ?? '?';
}

function indexText(ix: IndexInfo): string {
  const method = ix.method && ix.method !== 'btree' ? ` USING ${ix.method}` : '';
  return `${ix.name} (${ix.keys.map(keyText).join(', ')})${method}${ix.predicate ? ` WHERE ${ix.predicate}` : ''}`;
}

/** Whether the query repeats a partial index's predicate (best effort: a conjunct or the whole WHERE, as canonical text). */
function repeatsPredicate(level: QueryLevel, predicate: string): boolean {
  const texts = new Set(level.where.map((c) => predicateText(c)));
  const whole = unwrap(level.node)?.body.whereClause;
  if (whole) texts.add(predicateText(whole));
  return textsImply(texts, predicate);
}

/** Whether conditions (canonical texts, ANDed) repeat a partial index's predicate. */
function textsImply(texts: Set<string>, predicate: string): boolean {
  if (texts.has(predicate)) return true;
  const inner = predicate.replace(/^\((.*)\)$/, '$1');
  if (texts.has(inner)) return true;
  // An AND predicate whose every part the query repeats.
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

type Verdict = { served: true } | { served: false; why: string; fix: 'plain' | 'expression' | 'trgm' };

/**
 * `date(x)` and `x::date` are the same function call to PostgreSQL (only the
 * display form differs, which index matching ignores): compare one spelling.
 * Text-type casts are dropped likewise.
 */
function canonicalExpr(e: string): string {
  // Casts between text types are implicit relabelings: `lower((email)::text)` in a varchar
  // column's index (Rails, pg_dump) is the `lower(email)` the query writes.
  e = e.replace(/::(text|varchar|bpchar|character varying)\b/g, '');
  return e.replace(/^(date|text|int2|int4|int8|numeric|float4|float8|timestamptz|timestamp|bool|uuid)\(([^(),]+)\)$/, '$2::$1');
}

function keyMatches(k: IndexKey, p: Predicate): boolean {
  return p.wrapped ? k.expression !== undefined && canonicalExpr(k.expression) === canonicalExpr(p.wrapped) : k.column === p.column;
}

/** Decides whether any index of the table serves the predicate, and if not, why. */
function coverage(p: Predicate, level: QueryLevel, eqCols: Set<string>): Verdict {
  const indexes = p.table.indexes;
  let reason: string | undefined;
  for (const ix of indexes) {
    if (ix.predicate && !repeatsPredicate(level, ix.predicate)) {
      if (ix.keys.some((k) => keyMatches(k, p))) reason ??= `${ix.name} is partial (WHERE ${ix.predicate}) and the query does not repeat its condition`;
      continue;
    }
    const method = (ix.method || 'btree').toLowerCase();
    const pos = ix.keys.findIndex((k) => keyMatches(k, p));
    if (pos < 0) continue;
    if (method === 'gin' || method === 'gist') {
      // A GIN/GiST index on a text column exists only with trigram operator classes, which serve LIKE and equality.
      return { served: true };
    }
    if (method === 'btree' && p.kind === 'like-leading') {
      reason = `LIKE with a leading wildcard cannot use the B-tree ${ix.name}; only a trigram (GIN/GiST) index can`;
      continue;
    }
    if (method === 'hash' && (p.kind !== 'eq' || pos !== 0)) continue;
    if (method !== 'btree' && method !== 'hash') return { served: true }; // brin, spgist, ...: declared on purpose.
    const before = ix.keys.slice(0, pos);
    if (before.every((k) => k.column && eqCols.has(k.column))) return { served: true };
    const missing = before.filter((k) => !k.column || !eqCols.has(k.column)).map(keyText);
    reason ??= `${p.column} is not the leading column of ${ix.name} (${ix.keys.map(keyText).join(', ')}) and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not constrained by equality`;
  }
  if (p.kind === 'like-leading') {
    return { served: false, why: reason ?? `LIKE with a leading wildcard needs a trigram (GIN/GiST) index on ${p.column}, and there is none`, fix: 'trgm' };
  }
  if (p.wrapped) {
    const plain = indexes.find((ix) => ix.keys[0]?.column === p.column);
    return {
      served: false,
      why: plain ? `${p.wrapped} does not match ${plain.name}, which indexes the plain column; an expression index on ${p.wrapped} would` : `no index on ${p.column} or on the expression ${p.wrapped}`,
      fix: 'expression',
    };
  }
  return { served: false, why: reason ?? `no index includes ${p.column}`, fix: 'plain' };
}

function rowBytes(ctx: RuleContext, t: TableInfo): number {
  let n = 0;
  for (const c of t.columns.values()) n += typeWidth(c.type, ctx.model.params);
  return n || 4 * ctx.model.params.textWidthBytes;
}

function tableName(t: TableInfo): string {
  return t.schema && t.schema !== 'public' ? `${t.schema}.${t.name}` : t.name;
}

function qualifiedIdent(t: TableInfo): string {
  return t.schema && t.schema !== 'public' ? `${quoteIdent(t.schema)}.${quoteIdent(t.name)}` : quoteIdent(t.name);
}

function indexName(t: TableInfo, p: Predicate, fix: 'plain' | 'expression' | 'trgm'): string {
  const expr = fix === 'expression' && p.wrapped ? p.wrapped.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') : p.column;
  const n = `idx_${t.name}_${expr}${fix === 'trgm' ? '_trgm' : ''}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return n.slice(0, 63);
}

function createIndexSql(t: TableInfo, p: Predicate, fix: 'plain' | 'expression' | 'trgm'): string {
  const name = indexName(t, p, fix);
  const on = qualifiedIdent(t);
  if (fix === 'trgm') {
    return `CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE INDEX CONCURRENTLY ${name} ON ${on} USING gin (${quoteIdent(p.column)} gin_trgm_ops);\n`;
  }
  if (fix === 'expression' && p.wrapped) {
    const e = /^[a-z_.]+\(.*\)$/i.test(p.wrapped) ? p.wrapped : `(${p.wrapped})`;
    return `CREATE INDEX CONCURRENTLY ${name} ON ${on} (${e});\n`;
  }
  return `CREATE INDEX CONCURRENTLY ${name} ON ${on} (${quoteIdent(p.column)});\n`;
}

/** Folders of migrations: `migration(s)/` and the libraries' own (AdapterSchema.migrationFolders). */
const MIGRATION_DIR = new RegExp(`(^|/)(${['migrations?', ...LIBRARY_MIGRATION_FOLDERS.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))].join('|')})(/|$)`);

/** Where the project keeps migrations, and the next file name there (same prefix style, next number). */
function nextMigrationPath(sources: string[], slug: string, definedIn?: string): string | undefined {
  let migrations = sources.filter((s) => MIGRATION_DIR.test(s) && s.endsWith('.sql'));
  if (!migrations.length) return undefined;
  // Several migration folders (a monorepo): use the one that created the table.
  if (definedIn && migrations.includes(definedIn)) {
    const folderOf = (f: string): string => f.replace(/\/[^/]+$/, '').replace(/\/\d+_[^/]*$/, '');
    const home = folderOf(definedIn);
    migrations = migrations.filter((m) => folderOf(m) === home);
  }
  const last = migrations[migrations.length - 1];
  // Folder per migration: prisma/migrations/20240101000000_init/migration.sql.
  const folder = /^(.*)\/(\d+)_[^/]*\/([^/]+\.sql)$/.exec(last);
  if (folder) {
    const [, dir, , file] = folder;
    const nums = migrations.map((m) => (m.startsWith(`${dir}/`) ? /^(\d+)_/.exec(m.slice(dir.length + 1))?.[1] : undefined)).filter((x): x is string => !!x);
    return `${dir}/${nextNumber(nums)}_${slug}/${file}`;
  }
  const slash = last.lastIndexOf('/');
  const dir = slash >= 0 ? last.slice(0, slash) : '';
  const base = last.slice(slash + 1);
  const m = /^(V?)(\d+)(__|_|-)/.exec(base);
  const inDir = migrations.filter((s) => s.lastIndexOf('/') === slash && s.startsWith(dir));
  const prefix = dir ? `${dir}/` : '';
  if (m) {
    const nums = inDir.map((s) => /^(?:V?)(\d+)(?:__|_|-)/.exec(s.slice(slash + 1))?.[1]).filter((x): x is string => !!x);
    return `${prefix}${m[1]}${nextNumber(nums)}${m[3]}${slug}.sql`;
  }
  return `${prefix}${slug}.sql`;
}

/** The number after the largest of `nums`, keeping the zero padding of the widest. */
function nextNumber(nums: string[]): string {
  let max = 0n;
  let width = 1;
  for (const n of nums) {
    if (BigInt(n) > max) max = BigInt(n);
    width = Math.max(width, n.length);
  }
  return (max + 1n).toString().padStart(width, '0');
}

function migrationFix(ctx: RuleContext, p: Predicate, fix: 'plain' | 'expression' | 'trgm'): Fix | undefined {
  const t = p.table;
  const name = indexName(t, p, fix);
  // A table declared in a library's model file: the index belongs there (`@@index` in schema.prisma), and the
  // library's migration tool turns it into a plain B-tree index.
  if (fix === 'plain' && t.origin !== 'sql' && t.origin !== 'config') {
    const own = adapterOf(t.origin).schema.indexFix(ctx.project, t, p.column);
    if (own) return own;
  }
  const sql = createIndexSql(t, p, fix);
  const path = nextMigrationPath(ctx.schema.sources, `add_${name}`, t.definedAt?.file);
  if (path) {
    return {
      title: `Create migration ${path} with CREATE INDEX CONCURRENTLY ${name}`,
      // A new migration with a plain B-tree index changes no query's result and touches no existing
      // file: safe for --fix. Expression and trigram indexes (an extension, an opclass) stay suggestions.
      safety: fix === 'plain' ? 'safe' : 'suggestion',
      edits: [{ file: path, range: { start: 0, end: 0 }, newText: sql }],
    };
  }
  // No migrations folder: a schema file (schema.sql, structure.sql) gets the statement appended.
  const file = t.definedAt?.file ?? ctx.schema.sources.find((s) => s.endsWith('.sql'));
  if (!file || !file.endsWith('.sql')) return undefined;
  const text = ctx.project.fileText(file);
  if (text === undefined) return undefined;
  return {
    title: `Append CREATE INDEX CONCURRENTLY ${name} to ${file}`,
    safety: 'suggestion',
    edits: [{ file, range: { start: text.length, end: text.length }, newText: `${text.endsWith('\n') || text === '' ? '' : '\n'}\n${sql}` }],
  };
}

function report(ctx: RuleContext, site: SqlSite, level: QueryLevel, p: Predicate, v: Extract<Verdict, { served: false }>): boolean {
  const t = p.table;
  const rows = ctx.tableRows(t, t.name);
  const matching: Count =
    typeof level.limit === 'number' && (p.clause === 'ORDER BY … LIMIT' || level.limit < ctx.model.params.defaultMatchingRows)
      ? { value: level.limit, source: 'code', note: 'LIMIT of the query' }
      : { value: ctx.model.params.defaultMatchingRows, source: 'default', note: 'rows matching the predicate; default defaultMatchingRows' };
  const estimate = ctx.model.unindexed(rows, matching, rowBytes(ctx, t));
  // A table small enough that an index would save less than one statement's fixed overhead is not worth a finding.
  if (!(estimate.currentMs - estimate.fixedMs > ctx.model.params.statementOverheadMs)) return false;
  const existing = t.indexes.length ? `existing indexes: ${t.indexes.map(indexText).join('; ')}` : `${tableName(t)} has no index`;
  const subject = p.wrapped ?? `${tableName(t)}.${p.column}`;
  const where = p.clause === 'ORDER BY … LIMIT' ? 'ORDER BY … LIMIT' : p.clause;
  const message = `${subject} in ${where}${p.wrapped ? ` (table ${tableName(t)})` : ''} cannot use an index: ${v.why}. PostgreSQL scans all of ${tableName(t)}; ${existing}.`;
  const related: RelatedLocation[] = [];
  if (t.definedAt) related.push({ file: t.definedAt.file, range: t.definedAt.range, message: `${tableName(t)} defined here` });
  for (const ix of t.indexes) if (ix.definedAt) related.push({ file: ix.definedAt.file, range: ix.definedAt.range, message: `index ${indexText(ix)}` });
  const fix = migrationFix(ctx, p, v.fix);
  ctx.report({ message, range: sqlRangeToFile(site, p.range), related, estimate, fixes: fix ? [fix] : [] });
  return true;
}

/**
 * Whether some predicate (or a whole OR whose every branch is served: a BitmapOr) gives the item an
 * index path. An OR branch is served when one of its AND parts is (recursively), or when it repeats the
 * predicate of a partial index of the table (the planner scans that whole partial index for the branch:
 * langfuse's monitor scheduler, `next_run_at IS NULL OR next_run_at <= $1 OR (last_published_at IS NOT
 * NULL AND (<the rescue index's predicate>))`).
 */
function hasAccessPath(all: Predicate[], preds: Predicate[], verdict: (p: Predicate) => Verdict): boolean {
  if (preds.some((p) => !p.inOr && verdict(p).served)) return true;
  const item = preds[0]?.item;
  if (!item) return false;
  const table = preds[0].table;
  const partials = table.indexes.filter((ix) => ix.predicate).map((ix) => ix.predicate!);
  const leafServed = (node: PgNode): boolean => all.some((p) => p.src === node && p.item === item && verdict(p).served);
  const partialServes = (nodes: PgNode[]): boolean => {
    if (!partials.length) return false;
    const texts = new Set(nodes.map((n) => predicateText(n)));
    return partials.some((pr) => textsImply(texts, pr));
  };
  const served = (node: PgNode, depth: number): boolean => {
    if (depth > 8) return false;
    const u = unwrap(node);
    if (u?.type === 'BoolExpr' && u.body.boolop === 'OR_EXPR') {
      const args: PgNode[] = u.body.args ?? [];
      return args.length > 0 && (args.every((a) => served(a, depth + 1)) || partialServes([node]));
    }
    if (u?.type === 'BoolExpr' && u.body.boolop === 'AND_EXPR') {
      const parts = conjuncts(node);
      return parts.some((a) => served(a, depth + 1)) || partialServes(parts);
    }
    return leafServed(node) || partialServes([node]);
  };
  const ors = new Set(preds.filter((p) => p.inOr && p.conj).map((p) => p.conj!));
  for (const conj of ors) if (served(conj, 0)) return true;
  return false;
}

/** Which unserved predicate to report first: the one an index would serve best. */
function rank(p: Predicate): number {
  const kind = { eq: 0, range: 1, 'like-prefix': 2, 'like-unknown': 3, 'like-leading': 4, order: 5 }[p.kind];
  return (p.clause === 'WHERE' ? 0 : 10) + kind + (p.wrapped ? 0.5 : 0);
}

/** A whole WHERE conjunct that is a parameter: a condition built elsewhere and spliced in (`WHERE ${condition}`). */
function isOpaqueCondition(node: PgNode): boolean {
  const u = unwrap(node);
  return u?.type === 'ParamRef' || (u?.type === 'TypeCast' && unwrap(u.body.arg)?.type === 'ParamRef');
}

function checkLevel(ctx: RuleContext, site: SqlSite, model: QueryModel, level: QueryLevel): void {
  // A spliced-in condition may be the very index path (langfuse's media retention: `WHERE ${condition}
  // ORDER BY m.created_at LIMIT $2`, the condition fixing project_id): WHERE and ORDER BY … LIMIT make no claim then.
  const opaque = level.where.some(isOpaqueCondition);
  const c = new Collector(ctx, model, level);
  for (const w of level.where) c.conjunct(w, 'WHERE');
  for (const j of level.joinQuals) c.conjunct(j.conjunct, 'JOIN');
  // Equality-constrained plain columns per item (AND level only) make later composite keys usable.
  const eq = new Map<FromItem, Set<string>>();
  for (const p of c.preds) {
    if (p.kind === 'eq' && !p.wrapped && !p.inOr && p.clause !== 'JOIN') {
      if (!eq.has(p.item)) eq.set(p.item, new Set());
      eq.get(p.item)!.add(p.column);
    }
  }
  const verdicts = new Map<Predicate, Verdict>();
  const verdict = (p: Predicate): Verdict => {
    let v = verdicts.get(p);
    if (!v) {
      v = coverage(p, level, eq.get(p.item) ?? new Set());
      // A pattern from a parameter on an indexed column: its prefix is unknown, so make no claim.
      if (!v.served && p.kind === 'like-unknown' && p.table.indexes.some((ix) => ix.keys[0]?.column === p.column)) v = { served: true };
      verdicts.set(p, v);
    }
    return v;
  };
  const reported = new Set<string>();
  const flag = (p: Predicate): void => {
    if (p.table.tiny || p.lowSelectivity) return;
    const key = `${p.item.index}:${p.wrapped ?? p.column}:${p.kind === 'like-leading'}`;
    if (reported.has(key)) return;
    const v = verdict(p);
    if (v.served) return;
    if (report(ctx, site, level, p, v)) reported.add(key);
  };
  // One usable access path per table is enough: the planner fetches through it and
  // filters the other conditions on the fetched rows. Report only tables with none.
  const items = [...new Set(c.preds.map((p) => p.item))];
  // A join column needs an index only when the other side is small (filtered, one row, or the
  // query is a top-N): joining two whole tables is a hash join that reads both once anyway.
  const filtered = (it: FromItem): boolean => {
    if (level.limit !== undefined || it.kind === 'function' || it.kind === 'values') return true;
    // Any WHERE conjunct that reads this item alone filters it.
    const alone = level.where.some((w) => {
      const refs = columnRefsOf(w).map((r) => model.resolve(level, r).item);
      return refs.includes(it) && refs.every((x) => x === it || x?.level !== level);
    });
    if (alone) return true;
    const arms = it.kind === 'cte' ? it.cte?.arms : it.kind === 'subquery' ? it.subquery : undefined;
    return !!arms?.length && arms.every((a) => isSingleRow(a) || a.where.length > 0 || a.limit !== undefined);
  };
  for (const item of items) {
    const preds = c.preds.filter((p) => p.item === item && !(p.other && !filtered(p.other)) && !(opaque && p.clause === 'WHERE'));
    if (!preds.length) continue;
    if (hasAccessPath(c.preds, preds, verdict)) continue;
    // One index on the best candidate gives the table its access path: report that one.
    // Only ORs need every branch indexed (a BitmapOr), so their branches are reported each.
    const and = preds.filter((p) => !p.inOr && !p.lowSelectivity && !verdict(p).served).sort((a, b) => rank(a) - rank(b));
    if (and.length) flag(and[0]);
    else for (const p of preds) flag(p);
  }
  // ORDER BY … LIMIT: without WHERE predicates on the table, only an index in that order avoids sorting the whole table.
  if (!opaque && level.limit !== undefined && level.orderBy.length && !level.groupBy && !level.distinct && !c.preds.some((p) => p.clause === 'WHERE')) {
    const side = columnSide(model, level, level.orderBy[0]);
    const item = side?.ref.item;
    if (side && item?.kind === 'table' && item.table?.columns.has(side.ref.column) && !c.preds.some((p) => p.item === item && p.clause === 'WHERE')) {
      flag({ item, table: item.table, column: side.ref.column, wrapped: side.wrapped, range: side.range, kind: 'order', clause: 'ORDER BY … LIMIT', inOr: false });
    }
  }
}

const EXAMPLE_SCHEMA = 'CREATE TABLE orders (id bigserial PRIMARY KEY, customer_email text NOT NULL, total numeric NOT NULL);\n';

export default defineRule({
  id: 'unindexed-predicate',
  meta: {
    summary: 'A WHERE / JOIN / ORDER BY … LIMIT column that no index can serve: PostgreSQL reads the whole table.',
    defaultSeverity: 'warning',
    fix: 'sometimes',
    languages: ['sql', 'ts'],
    docs: {
      what:
        "Flags a column compared in WHERE (`=`, `<`, `>`, `BETWEEN`, `IN`, `= ANY`, `IS NULL`, `LIKE`), in a JOIN condition (the joined table's side), or leading an `ORDER BY … LIMIT` on a table without other filters, when no index of the table can serve it: there is no index on the column, it is not the leading column of a composite index (a later column counts when every earlier one is constrained by equality in the same query), it is wrapped in a function or cast (`lower(email)`, `date(created_at)`, `id::text`) that no expression index matches, or it is matched with `LIKE '%…'` (a leading wildcard) without a trigram index. Also for ORM `where` objects in TypeScript. Not flagged: primary keys, unique constraints, matching expression indexes, composite index prefixes, partial indexes whose condition the query repeats, soft-delete filters on their own (`deleted_at IS NULL`, `archived_at IS NULL`: they keep most rows, so a scan is the right plan), queries whose WHERE includes a condition spliced in whole from code (`WHERE ${condition}`: it may be the index path), OR conditions whose every branch has an index (a BitmapOr; a branch repeating a partial index's condition counts), GIN/GiST trigram indexes for LIKE, tables declared `tiny`, tables small enough that a scan is cheaper than an index, and tables or columns the schema does not know (no schema, no finding). Files whose statements run once are skipped: migrations written as code, data migrations, backfill and seed scripts (folders `migration(s)/`, `data-migrations/`, `seed(s)/`, `backfill(s)/`; files `seed*`, `backfill*`, `migrate*`), and test files unless `lintTests`; the rule option `includeOneOffScripts: true` lints one-off scripts too.",
      why:
        'A B-tree is sorted by its first key, then the next: PostgreSQL can descend it only for a prefix of its keys, and only for the exact expression it indexes (an index on `email` knows nothing of `lower(email)`). A pattern starting with `%` has no prefix to descend to. Without a usable index the planner falls back to a sequential scan, reading every row of the table on every execution: O(table) instead of O(log table + matches).',
      example: { language: 'sql', code: 'SELECT id, total FROM orders WHERE customer_email = $1;\n', schema: EXAMPLE_SCHEMA },
      useInstead: {
        language: 'sql',
        code: 'SELECT id, total FROM orders WHERE customer_email = $1;\n',
        schema: `${EXAMPLE_SCHEMA}CREATE INDEX orders_customer_email_idx ON orders (customer_email);\n`,
      },
      fixSafety:
        'Safe for a plain B-tree index (applied by `querylens lint --fix`): the fix only adds a file or a `@@index`, and no query returns different rows; expression and trigram indexes are suggestions (editor only). Creates a migration (the next number or timestamp in the folder of the existing migrations, same naming style) containing `CREATE INDEX CONCURRENTLY idx_<table>_<column> ON <table> (<column>);` (an expression index for a wrapped column, a `gin_trgm_ops` index after `CREATE EXTENSION IF NOT EXISTS pg_trgm` for leading wildcards). Without a migrations folder the statement is appended to the schema file; Prisma models get `@@index([field])` in schema.prisma. CONCURRENTLY avoids locking writes but cannot run inside a transaction: some migration tools need it marked as non-transactional. Every index slows writes and takes space; review before applying.',
      estimate:
        'tableRows: rows of the table (`tables.<name>.rows` in querylens.config.json, **default** defaultTableRows = 100 000); matchingRows: the literal LIMIT when smaller, else **default** defaultMatchingRows = 10; seqScanRowsPerMs (**default** 20 000 rows/ms), indexDescentMs (**default** 0.02 ms), indexRowMs (**default** 0.002 ms); row width from the column types. Current = sequential scan; fixed = index descent + matching rows.',
      whenNotToUse:
        'Tables that stay small (lookup tables, enums as tables): declare them `{ "tiny": true }` under `tables` in querylens.config.json. Reporting or batch queries that read most of the table anyway are better served by a scan: suppress them with `-- querylens-disable-next-line unindexed-predicate -- reads the whole table`.',
    },
  },
  check(ctx) {
    if (skipsFile(ctx)) return;
    if (ctx.schema.tables.size > 0 && !ctx.schema.sources.includes(ctx.file.path)) {
      for (const { site, models } of fileQueryModels(ctx.sqlSites(), ctx.schema)) {
        for (const model of models) for (const level of model.levels) checkLevel(ctx, site, model, level);
      }
    }
    if (ctx.language === 'ts') checkOrmUnindexed(ctx);
  },
});
