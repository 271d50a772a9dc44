/**
 * The ORM half of `unindexed-predicate`: `where` objects, builder filters and
 * `orderBy` + `take`/`limit` of ORM calls, judged by the same engine answers
 * as the SQL half — index coverage (engine/sql/index-coverage.ts: B-tree
 * prefixes, hash, trigram, partial indexes the filters imply) and
 * selectivity (engine/sql/selectivity.ts). One call is one table: any served
 * filter is its access path and the others are residual. Unknown tables or
 * columns, tables declared tiny, and filters with a term the adapter could not
 * read (QuerySite.opaqueFilter) give no finding.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import type { RuleContext } from '../engine/context';
import { columnWidth } from '../engine/model/query-cost';
import { predicateMatching } from '../engine/model/selectivity';
import { findColumn, type ColumnInfo, type TableInfo } from '../engine/schema/types';
import { findNode } from '../engine/sources/call-graph';
import type { ColumnUse } from '../engine/sources/query-sites';
import { type ColumnPredicate, type IndexCoverage, type PredicateOp, type RowFact, indexCoverage, indexText } from '../engine/sql/index-coverage';
import { filterDriver, notDrivingNote } from '../engine/sql/access-path';
import { SOFT_DELETE_COLUMN, type SelectivityContext, selectivity } from '../engine/sql/selectivity';
import { type FilterValue, isNullLiteral } from '../engine/adapters/kit/filter-values';
import type { RelatedLocation } from '../engine/types';
import { snake } from './orm-checks';
import { migrationFix } from './unindexed-predicate-fix';
import { quoteIdent } from '../engine/sql/ident';

const unwrapExpr = (e: ts.Expression): ts.Expression => {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isAwaitExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
};

/** The selectivity context of a rule run: the schema, and what the project compares each column to. */
export function selectivityContext(ctx: RuleContext): SelectivityContext {
  return { schema: ctx.schema, columnValues: (t, c) => ctx.columnValues(t, c), isTiny: (t) => ctx.isTiny(t), params: ctx.model.params };
}

/** An inner relation filter that keeps almost every row: `deletedAt: null`. */
const softDeleteNull = (field: string, value: ts.Expression): boolean => SOFT_DELETE_COLUMN.test(snake(field)) && isNullLiteral(value);

function resolveColumn(table: TableInfo, c: ColumnUse): ColumnInfo | undefined {
  return findColumn(table, c.column) ?? findColumn(table, snake(c.column));
}

/** An ORM filter in the engine's predicate terms. */
interface OrmPredicate extends ColumnPredicate {
  use: ColumnUse;
  value: FilterValue;
  openRange: boolean;
}

const OPS: Record<string, PredicateOp> = { eq: 'eq', in: 'eq', null: 'eq', range: 'range', 'like-prefix': 'like-prefix', 'like-contains': 'like-leading' };

function rowWidth(ctx: RuleContext, table: TableInfo, cols: ColumnInfo[]): number {
  let w = 0;
  for (const c of cols) w += columnWidth(table, c, ctx.model.params);
  return w;
}

export function checkOrmUnindexed(ctx: RuleContext): void {
  const sf = ctx.tsAst();
  if (!sf) return;
  const sel = selectivityContext(ctx);
  for (const site of ctx.querySites()) {
    if (site.sql || !site.executes) continue;
    // A lookup the library serves from a unique index by construction (findUnique, findByPk).
    const adapter = adapterOf(site.library);
    if (adapter.rules.uniqueLookup(site)) continue;
    const table = site.table ? ctx.table(site.table) : undefined;
    if (!table || ctx.isTiny(table) || ctx.mayHaveUnseenIndexes(table)) continue;
    // A condition we cannot read (a variable, a spread, a raw fragment, a callback) may be the access path.
    if (site.opaqueFilter) continue;
    const filters = site.filters.filter((f) => f.op && f.op in OPS);
    const resolved = filters.map((use) => {
      const col = resolveColumn(table, use);
      if (use.jsonPath) return { use, col, json: col ? jsonPathExpr(table, { column: col.name, path: use.jsonPath }, '#>') : undefined };
      const jp = col ? undefined : adapter.rules.jsonPath(use.column);
      return { use, col, json: jp ? jsonPathExpr(table, jp, '#>>') : undefined };
    });
    // An unknown column (a typo, a relation, an unmodelled field): no finding. A path into a JSON column is an
    // expression over it, unless an expression index of the table reads that path some other way (it may serve it).
    if (resolved.some((r) => (r.use.jsonPath || !r.col) && (!r.json || r.json.unsure))) continue;
    const preds: OrmPredicate[] = resolved.map(({ use, col, json }) => {
      const value = adapter.rules.filterValue(sf, use);
      return { use, column: json ? json.column : col!.name, ...(json ? { wrapped: json.expr } : {}), op: OPS[use.op!], value, openRange: use.op === 'range' && !value.bounded, ...(use.caseInsensitive ? { caseInsensitive: true } : {}) };
    });
    // Two range filters on one column (`gte` and `lt`) bound it on both sides.
    for (const p of preds) if (p.op === 'range' && preds.some((q) => q !== p && q.op === 'range' && q.column === p.column)) p.openRange = false;
    // A retention sweep (`deleteMany({ where: { createdAt: { lte: cutoff } } })`): see `retentionSweep`.
    const sweep = retentionSweep(site.kind, site.operation, preds, table);
    if (sweep) sweep.openRange = false;
    // A case-insensitive equality (ILIKE) constrains no B-tree key and states no literal value.
    const eqColumns = new Set(preds.filter((p) => p.op === 'eq' && !p.caseInsensitive && !p.wrapped).map((p) => p.column));
    const facts: RowFact[] = preds.filter((p) => !p.wrapped).map((p) => (p.value.isNull ? { column: p.column, kind: 'null' } : p.op === 'eq' && !p.caseInsensitive ? { column: p.column, kind: 'eq', literals: p.value.literals } : { column: p.column, kind: 'not-null' }));
    // An `IS NOT NULL` filter (`isNotNull(t.approved)`) judges nothing, but is a fact a partial index's condition may need.
    for (const use of site.filters) {
      const col = use.op === 'not-null' && !use.jsonPath ? resolveColumn(table, use) : undefined;
      if (col) facts.push({ column: col.name, kind: 'not-null' });
    }
    const call = findNode(sf, site.range);
    const keyFilters: OrmPredicate[] = [];
    const rel = call && ts.isCallExpression(call) ? adapter.rules.relationFilters(call, table, softDeleteNull) : undefined;
    if (rel) {
      if (rel.keyPath) continue;
      for (const c of rel.fkColumns) eqColumns.add(c);
      // A to-one relation filter whose key columns lead an index is itself the access path.
      if (rel.fkColumns.some((c) => indexCoverage(table, { column: c, op: 'eq' }, { eqColumns, facts }).served)) continue;
      // A foreign key compared with the parent's key is an equality filter of this call, and may be the one to index
      // (a candidate only: a where whose readable filters need no index is not reported for it).
      for (const use of rel.fkFilters ?? []) if (!preds.some((p) => p.column === use.column)) keyFilters.push({ use, column: use.column, op: 'eq', value: { isNull: false }, openRange: false });
    }
    const coverage = (p: ColumnPredicate): IndexCoverage => indexCoverage(table, p, { eqColumns, facts });
    // Relation filters by the parent's key only (`findBy({ workspace: { id } })`, also with an `order`): the join
    // columns are the call's filters, judged like any other (no join; an order sorts the rows they keep).
    const judged = !preds.length && rel && keyFilters.length && keyFilters.length === rel.fkColumns.length ? keyFilters : preds;
    let finding: { use: ColumnUse; pred: ColumnPredicate; v: Extract<IndexCoverage, { served: false }>; clause: string; note?: string; noFix?: boolean; also?: string[] } | undefined;
    if (judged.length) {
      const selective = (p: OrmPredicate): boolean =>
        selectivity({ column: p.column, ...(p.wrapped ? { wrapped: p.wrapped } : {}), op: p.op, value: p.value.literals ? 'constant' : 'param', literals: p.value.literals, isNull: p.value.isNull, openRange: p.openRange }, table, sel).selective;
      // A served predicate is the planner's access path (the rest filter its rows) unless it keeps many rows while a selective one goes unserved.
      if (filterDriver(judged, coverage, selective)) continue;
      // A column whose declared type names its values (an enum, a literal union) keeps more rows per value than a key compared with a parameter: index the key.
      const unserved = judged.filter((p) => !coverage(p).served && selective(p));
      const keyLike = (p: OrmPredicate): boolean => !findColumn(table, p.column)?.declaredValues?.length && !p.value.literals;
      const first = unserved.length ? [...unserved, ...keyFilters].find(keyLike) ?? unserved[0] : undefined;
      if (!first) continue;
      // Several unserved keys: the one the code also looks rows up by alone, else a composite index of them.
      const { keys, why: keysNote } = lookupKeys(table, first, [...unserved, ...keyFilters].filter(keyLike), sel);
      const culprit = keys[0];
      const low = judged.find((p) => coverage(p).served);
      const lowWhy = low && selectivity({ column: low.column, ...(low.wrapped ? { wrapped: low.wrapped } : {}), op: low.op, value: low.value.literals ? 'constant' : 'param', literals: low.value.literals, isNull: low.value.isNull, openRange: low.openRange }, table, sel);
      const note = low && lowWhy && !lowWhy.selective ? notDrivingNote(low, coverage(low), lowWhy.why) : '';
      // One branch of an OR: an index on its column turns the scan into a BitmapOr only if every other branch has one too.
      const partOfOr = !!culprit.use.or && !everyBranchServed(judged, culprit, coverage, selective);
      const orNote = partOfOr ? `; it is one branch of an OR, which an index serves only when every branch has one: an index on ${culprit.column} alone would leave the others unserved (no index fix)` : '';
      const sweepNote = culprit === sweep ? `; a write that removes or changes the rows older than a cutoff is a retention sweep: each run reaches what aged past the cutoff since the last run, a small share of the table, and reads all of it to find them` : '';
      finding = { use: culprit.use, pred: culprit, v: coverage(culprit) as Extract<IndexCoverage, { served: false }>, clause: 'where', note: note + orNote + sweepNote + keysNote, noFix: partOfOr, ...(keys.length > 1 ? { also: keys.slice(1).map((k) => k.column) } : {}) };
    } else if (site.orderBy.length && site.limit !== undefined && site.kind === 'read' && !unreadWhere(sf, site.range) && !site.filterHidden) {
      // ORDER BY … LIMIT with no filter: only an index on the sort key avoids a full scan and top-N sort.
      // A filter the adapter cannot see (`where: scopeWhere({ userId })`) may be the access path: say nothing.
      const o = site.orderBy[0];
      const col = resolveColumn(table, o);
      if (!col) continue;
      const pred: ColumnPredicate = { column: col.name, op: 'order' };
      const v = coverage(pred);
      if (v.served) continue;
      finding = { use: o, pred, v, clause: `orderBy + ${adapter.rules.limitWord}` };
    }
    if (!finding) continue;
    const rows = ctx.tableRows(table);
    const op = finding.clause === 'where' ? (finding.use.op === 'null' ? 'null' : finding.pred.op) : 'order';
    const matching = predicateMatching(table, finding.pred.column, op, site.limit, ctx.model.params, adapter.rules.limitWord);
    const cols = [...table.columns.values()];
    const estimate = ctx.model.unindexed(rows, matching, rowWidth(ctx, table, cols) || 100, cols.length);
    if (!(estimate.currentMs > estimate.fixedMs)) continue;
    // Code the project never runs costs nothing (engine/sources/dead-code.ts).
    if (ctx.deadCode(site.range)) continue;
    const related: RelatedLocation[] = [];
    if (table.definedAt) related.push({ file: table.definedAt.file, range: table.definedAt.range, message: `${table.name} defined here` });
    for (const ix of table.indexes) if (ix.definedAt) related.push({ file: ix.definedAt.file, range: ix.definedAt.range, message: `index ${indexText(ix)}` });
    const existing = table.indexes.length ? table.indexes.map(indexText).join(', ') : 'none';
    const fix = finding.noFix ? undefined : migrationFix(ctx, { table, column: finding.pred.column, ...(finding.pred.wrapped ? { wrapped: finding.pred.wrapped } : {}), ...(finding.also ? { also: finding.also } : {}) }, finding.v.fix);
    ctx.report({
      message: `${table.name}.${finding.pred.column}${finding.also ? ` (with ${finding.also.join(', ')})` : ''}${finding.pred.wrapped ? ` (as ${finding.pred.wrapped})` : ''} in this \`${site.operation}\` ${finding.clause} cannot use an index: ${finding.v.reason}${finding.note ?? ''}. PostgreSQL scans all of ${table.name}; existing indexes: ${existing}.`,
      range: finding.use.range ?? site.range,
      related,
      estimate,
      fixes: fix ? [fix] : [],
    });
  }
}

/**
 * A path into a JSON column a filter compares, as the expression PostgreSQL receives: a where key the library reads
 * as a path (AdapterRules.jsonPath, `recording_meta #>> '{id}'`), or a JSON filter's path (ColumnUse.jsonPath,
 * `"key" #> '{id}'`, jsonb compared with jsonb). An index serves it only if it indexes that expression. `unsure` when
 * an expression index of the table reads the same column and the path's last key in another spelling (`->> 'id'`):
 * whether it matches what the library sends is not a claim we make.
 */
function jsonPathExpr(table: TableInfo, jp: { column: string; path: string[] }, op: '#>' | '#>>'): { column: string; expr: string; unsure: boolean } | undefined {
  const col = findColumn(table, jp.column);
  if (!col || !/^jsonb?$/.test(col.type)) return undefined;
  const expr = `${quoteIdent(col.name)} ${op} '{${jp.path.join(',')}}'`;
  const last = jp.path[jp.path.length - 1];
  const norm = (e: string): string => e.replace(/[\s()"]/g, '').replace(/::text\[\]/g, '');
  // An index on the same expression, however the schema spells it (`((recording_meta #>> '{id}'::text[]))`): its text, so it matches.
  const same = table.indexes.flatMap((ix) => ix.keys).find((k) => k.expression !== undefined && norm(k.expression) === norm(expr));
  if (same) return { column: col.name, expr: same.expression!, unsure: false };
  const unsure = table.indexes.some((ix) => ix.keys.some((k) => k.expression !== undefined && k.expression.includes(col.name) && k.expression.includes(last)));
  return { column: col.name, expr, unsure };
}

/** At most this many columns in a composite index the fix proposes. */
const MAX_COMPOSITE = 2;

/**
 * The columns the index fix keys on, lead first, when a where compares several unserved key-like columns with
 * equality (`{ provider, organizationId }`, `{ name, projectId }`). Which of them keeps few rows is not knowable
 * without statistics, and source order picked the wrong one (round 11's pezzo: `provider` has 3 values,
 * every project has an Environment named 'Production'). So: the column other calls of the project look rows of
 * this table up by alone (`findMany({ where: { organizationId } })`, ColumnValueUse.alone) — one index on it serves
 * them too, and the code treats it as a key —, the first in source order if several are; else a composite index of
 * them all (it serves the where whatever their selectivities), in one order for the pair wherever it is compared. A single candidate, a
 * culprit that is not a plain equality, or one in an OR: the culprit alone, as before.
 */
function lookupKeys(table: TableInfo, culprit: OrmPredicate, candidates: OrmPredicate[], sel: SelectivityContext): { keys: OrmPredicate[]; why: string } {
  const plain = (p: OrmPredicate): boolean => p.op === 'eq' && !p.caseInsensitive && !p.wrapped && !p.use.or && !p.value.isNull;
  const eligible: OrmPredicate[] = [];
  for (const p of candidates) if (plain(p) && !eligible.some((q) => q.column === p.column)) eligible.push(p);
  if (!plain(culprit) || eligible.length < 2 || !eligible.includes(culprit)) return { keys: [culprit], why: '' };
  const others = eligible.map((p) => p.column);
  const alone = eligible.find((p) => (sel.columnValues?.(table, p.column)?.alone ?? 0) > 0);
  if (alone) {
    const n = sel.columnValues!(table, alone.column)!.alone!;
    return { keys: [alone], why: `; other calls look ${table.name} rows up by ${alone.column} alone (${n === 1 ? 'one call' : `${n} calls`}), so of ${others.join(', ')} it is the one to index: the index serves those calls too, and the rest filter the rows it finds` };
  }
  // The same columns in the same order wherever the project filters by them (one index, not one per order): a declared
  // foreign key first, then the column the project compares with values more often, then by name.
  const fk = (p: OrmPredicate): number => ((table.foreignKeys ?? []).some((k) => k.columns.length === 1 && k.columns[0] === p.column) ? 0 : 1);
  const uses = (p: OrmPredicate): number => sel.columnValues?.(table, p.column)?.others ?? 0;
  const keys = [...eligible].sort((a, b) => fk(a) - fk(b) || uses(b) - uses(a) || (a.column < b.column ? -1 : 1)).slice(0, MAX_COMPOSITE);
  return { keys, why: `; which of ${others.join(', ')} keeps fewest rows is unknown without statistics, so the index covers ${keys.map((k) => k.column).join(', ')}: it serves this where whatever they hold` };
}

/** Date and time column types: a cutoff on one of them is a point in time. */
const TIME_TYPE = /^(timestamp|timestamptz|date|timestamp with(out)? time zone|timestamp\(\d\)( with(out)? time zone)?)$/i;

/**
 * The predicate that makes a write a retention sweep, if it is one: a delete or update of many rows (not a read,
 * not an insert) whose filter bounds a date or time column from above only (`createdAt: { lte: cutoff }`, outside
 * any OR). Run periodically, such a write reaches only the rows that aged past the cutoff since its last run, so
 * the range keeps a small share of the table: it is selective, although a one-sided range read by a query keeps an
 * unknown share (engine/sql/selectivity.ts). Without an index on the column each run reads the whole table.
 */
function retentionSweep(kind: string, operation: string, preds: OrmPredicate[], table: TableInfo): OrmPredicate | undefined {
  if (kind !== 'write' || !/^(delete|update|destroy|remove)/i.test(operation)) return undefined;
  return preds.find((p) => p.op === 'range' && p.openRange && p.value.upperOnly && !p.use.or && TIME_TYPE.test(findColumn(table, p.column)?.type ?? ''));
}

/**
 * Whether every branch of the OR the culprit sits in (ColumnUse.or) would be served once the culprit's column has
 * an index of its own: each branch must have a selective filter of its own (not under a further OR or NOT) that an
 * index serves, or that is on the culprit's column the way the culprit is. A branch with no readable filter (a
 * relation filter only) is not served.
 */
function everyBranchServed(preds: OrmPredicate[], culprit: OrmPredicate, coverage: (p: ColumnPredicate) => IndexCoverage, selective: (p: OrmPredicate) => boolean): boolean {
  const or = culprit.use.or!;
  if (or.nested) return false;
  for (let b = 0; b < or.of; b++) {
    const own = preds.filter((p) => p.use.or?.group === or.group && p.use.or.branch === b && !p.use.or.nested);
    if (!own.some((p) => selective(p) && (coverage(p).served || (p.column === culprit.column && p.op === culprit.op && !p.caseInsensitive)))) return false;
  }
  return true;
}

/**
 * Does the call filter rows by a condition the query model could not read (`.where(conditions)` built
 * elsewhere, `.where(sql`…`)`, `where: filter`)? Then the ORDER BY does not alone select the rows, and
 * the index that serves the query is unknown (an index on the sort key alone may be the wrong one).
 */
function unreadWhere(sf: ts.SourceFile, range: { start: number; end: number }): boolean {
  return /\.where\s*\(|\bwhere\s*:/.test(sf.text.slice(range.start, range.end));
}
