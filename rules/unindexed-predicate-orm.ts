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
import { formatMs } from '../engine/model';
import { findColumn, type ColumnInfo, type TableInfo } from '../engine/schema/types';
import { findNode } from '../engine/sources/call-graph';
import type { ColumnUse, QuerySite } from '../engine/sources/query-sites';
import type { Adapter } from '../engine/adapters/types';
import { type ColumnPredicate, type IndexCoverage, type PredicateOp, type RowFact, indexCoverage, indexText } from '../engine/sql/index-coverage';
import { filterDriver, notDrivingNote } from '../engine/sql/access-path';
import { SOFT_DELETE_COLUMN, type SelectivityContext, selectivity } from '../engine/sql/selectivity';
import { type FilterValue, isNullLiteral } from '../engine/adapters/kit/filter-values';
import type { RelatedLocation } from '../engine/types';
import { snake } from './orm-checks';
import { migrationFix } from './unindexed-predicate-fix';
import { quoteIdent } from '../engine/sql/ident';

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

/** What one judgement reads: a call's own table, or a table the call reads through a relation (AdapterRules.relatedReads). */
interface Target {
  table: TableInfo;
  filters: ColumnUse[];
  /** Columns compared with the keys of rows already read (a relation's load): equalities to values the code does not write. */
  keys: ColumnUse[];
  orderBy: ColumnUse[];
  limit?: number;
  kind: QuerySite['kind'];
  operation: string;
  /** The call's own where hides a filter (QuerySite.filterHidden, or text the adapter did not read). */
  hidden: boolean;
  /** How the message names what reads the table: `where`, `the load of \`members\``. */
  clause: string;
  /** Foreign keys of the call's own table that join rows a relation filter reached through an index. */
  joins: ColumnUse[];
}

interface Env {
  ctx: RuleContext;
  sf: ts.SourceFile;
  sel: SelectivityContext;
  adapter: Adapter;
}

type Finding = { use: ColumnUse; pred: ColumnPredicate; v: Extract<IndexCoverage, { served: false }>; clause: string; note?: string; noFix?: boolean; also?: string[] };

/**
 * A judgement: the finding, or whether a selective filter served by an index drives the access (`driven`); `joined`
 * when that is a to-one relation filter's foreign key, which reaches this table from the other table's rows.
 */
type Outcome = { finding?: Finding; driven?: boolean; joined?: boolean };

export function checkOrmUnindexed(ctx: RuleContext): void {
  const sf = ctx.tsAst();
  if (!sf) return;
  const sel = selectivityContext(ctx);
  for (const site of ctx.querySites()) {
    if (site.sql || !site.executes) continue;
    const adapter = adapterOf(site.library);
    const env: Env = { ctx, sf, sel, adapter };
    const table = site.table ? ctx.table(site.table) : undefined;
    if (!table) continue;
    const call = findNode(sf, site.range);
    const related = call && ts.isCallExpression(call) && ctx.schema ? adapter.rules.relatedReads(call, table, ctx.schema) : [];
    const seen = new Set<string>();
    // The call's own table first: whether its rows are reached through an index decides how the relations are read.
    const own: Target = { table, filters: site.filters, keys: [], orderBy: site.orderBy, limit: site.limit, kind: site.kind, operation: site.operation, hidden: !!site.filterHidden || unreadWhere(sf, site.range), clause: 'where', joins: [] };
    // A lookup the library serves from a unique index by construction (findUnique, findByPk), or a tiny table: few rows.
    const unique = adapter.rules.uniqueLookup(site) || ctx.isTiny(table);
    // A condition we cannot read (a variable, a spread, a raw fragment, a callback) may be the access path.
    const judged = !unique && !site.opaqueFilter && !ctx.mayHaveUnseenIndexes(table);
    const first = judged ? judge(env, own, call) : {};
    if (first.finding) report(env, site, own, first.finding, seen);
    // Reached through an index (or few rows): undefined when we cannot tell.
    const reached = unique || (first.driven && !first.joined) ? true : judged ? false : undefined;
    for (const r of related) {
      if (!judgeable(ctx, r.table) || r.opaqueFilter) continue;
      // A to-one filter through this table's own foreign key: rows reached first are joined to the other table by its
      // key, and its filters only check them (a residual); otherwise they select its rows, then joined back here.
      if (r.joinColumns && (r.nested || reached !== false)) continue;
      const keys = r.via === 'load' || reached ? r.keys ?? [] : [];
      const t: Target = { table: r.table, filters: r.filters, keys, orderBy: r.orderBy, kind: 'read', operation: site.operation, hidden: false, clause: r.label, joins: [] };
      const out = judge(env, t, call);
      if (out.finding) report(env, site, t, out.finding, seen);
      // A to-one relation filter an index serves selectively: this table is joined to those rows by its foreign key.
      else if (out.driven && r.joinColumns) own.joins.push(...r.joinColumns);
    }
    if (!first.finding && own.joins.length) {
      const out = judge(env, own, call);
      if (out.finding) report(env, site, own, out.finding, seen);
    }
  }
}

/** A table whose filters can be judged: not tiny, no index the schema may not see. */
function judgeable(ctx: RuleContext, table: TableInfo): boolean {
  return !ctx.isTiny(table) && !ctx.mayHaveUnseenIndexes(table);
}

/** The target's filters in the engine's predicate terms; undefined when one is on a column or path we cannot see. */
function predicatesOf(env: Env, t: Target): OrmPredicate[] | undefined {
  const { table } = t;
  const resolved = t.filters.filter((f) => f.op && f.op in OPS).map((use) => {
    const col = resolveColumn(table, use);
    if (use.jsonPath) return { use, col, json: col ? jsonPathExpr(table, { column: col.name, path: use.jsonPath }, '#>') : undefined };
    const jp = col ? undefined : env.adapter.rules.jsonPath(use.column);
    return { use, col, json: jp ? jsonPathExpr(table, jp, '#>>') : undefined };
  });
  // An unknown column (a typo, a relation, an unmodelled field): no finding. A path into a JSON column is an
  // expression over it, unless an expression index of the table reads that path some other way (it may serve it).
  if (resolved.some((r) => (r.use.jsonPath || !r.col) && (!r.json || r.json.unsure))) return undefined;
  const preds: OrmPredicate[] = resolved.map(({ use, col, json }) => {
    const value = env.adapter.rules.filterValue(env.sf, use);
    return { use, column: json ? json.column : col!.name, ...(json ? { wrapped: json.expr } : {}), op: OPS[use.op!], value, openRange: use.op === 'range' && !value.bounded, ...(use.caseInsensitive ? { caseInsensitive: true } : {}) };
  });
  for (const use of t.keys) {
    const col = resolveColumn(table, use);
    if (!col) return undefined;
    preds.push({ use, column: col.name, op: 'eq', value: { isNull: false }, openRange: false });
  }
  // Two range filters on one column (`gte` and `lt`) bound it on both sides.
  for (const p of preds) if (p.op === 'range' && preds.some((q) => q !== p && q.op === 'range' && q.column === p.column)) p.openRange = false;
  return preds;
}

/** What the filters say of each row: equalities, NULL tests (a partial index's condition may need them). */
function rowFacts(t: Target, preds: OrmPredicate[]): RowFact[] {
  const facts: RowFact[] = preds.filter((p) => !p.wrapped).map((p) => (p.value.isNull ? { column: p.column, kind: 'null' } : p.op === 'eq' && !p.caseInsensitive ? { column: p.column, kind: 'eq', literals: p.value.literals } : { column: p.column, kind: 'not-null' }));
  // An `IS NOT NULL` filter (`isNotNull(t.approved)`) judges nothing, but is a fact a partial index's condition may need.
  for (const use of t.filters) {
    const col = use.op === 'not-null' && !use.jsonPath ? resolveColumn(t.table, use) : undefined;
    if (col) facts.push({ column: col.name, kind: 'not-null' });
  }
  return facts;
}

/** A predicate as the selectivity model reads it. */
function selectivityInput(p: OrmPredicate): Parameters<typeof selectivity>[0] {
  return { column: p.column, ...(p.wrapped ? { wrapped: p.wrapped } : {}), op: p.op, value: p.value.literals ? 'constant' : 'param', literals: p.value.literals, isNull: p.value.isNull, openRange: p.openRange };
}

/** Judges one target's filters (or its ORDER BY + limit) against its table's indexes. */
function judge(env: Env, t: Target, call: ts.Node | undefined): Outcome {
  const { table } = t;
  const preds = predicatesOf(env, t);
  if (!preds) return {};
  // A retention sweep (`deleteMany({ where: { createdAt: { lte: cutoff } } })`): see `retentionSweep`.
  const sweep = retentionSweep(t.kind, t.operation, preds, table);
  if (sweep) sweep.openRange = false;
  // A case-insensitive equality (ILIKE) constrains no B-tree key and states no literal value.
  const eqColumns = new Set(preds.filter((p) => p.op === 'eq' && !p.caseInsensitive && !p.wrapped).map((p) => p.column));
  const facts = rowFacts(t, preds);
  const keyFilters: OrmPredicate[] = [];
  const rel = t.clause === 'where' && call && ts.isCallExpression(call) ? env.adapter.rules.relationFilters(call, table, softDeleteNull) : undefined;
  if (rel && !rel.keyPath) {
    for (const c of rel.fkColumns) eqColumns.add(c);
    // A to-one relation filter whose key columns lead an index is itself the access path.
    if (rel.fkColumns.some((c) => indexCoverage(table, { column: c, op: 'eq' }, { eqColumns, facts }).served)) {
      // Joined from the other table's rows, unless a selective filter of this table's own reaches them through an index.
      const ownEq = new Set(preds.filter((p) => p.op === 'eq' && !p.caseInsensitive && !p.wrapped).map((p) => p.column));
      const own = preds.some((p) => indexCoverage(table, p, { eqColumns: ownEq, facts }).served && selectivity(selectivityInput(p), table, env.sel).selective);
      return { driven: true, joined: !own };
    }
    // A foreign key compared with the parent's key is an equality filter of this call, and may be the one to index
    // (a candidate only: a where whose readable filters need no index is not reported for it).
    for (const use of [...(rel.fkFilters ?? []), ...t.joins]) if (!preds.some((p) => p.column === use.column) && !keyFilters.some((p) => p.column === use.column)) keyFilters.push({ use, column: use.column, op: 'eq', value: { isNull: false }, openRange: false });
  }
  // A relation filter inside one branch of an OR constrains its join columns for that branch's filters only.
  const branchEq = (p: ColumnPredicate): Set<string> => {
    const or = (p as Partial<OrmPredicate>).use?.or;
    const cols = or && !or.nested ? rel?.orColumns?.find((b) => b.group === or.group && b.branch === or.branch)?.columns : undefined;
    return cols ? new Set([...eqColumns, ...cols]) : eqColumns;
  };
  const coverage = (p: ColumnPredicate): IndexCoverage => indexCoverage(table, p, { eqColumns: branchEq(p), facts });
  // A relation filter selects this table's rows by key (`id IN (SELECT …)`): no finding here; reached by an index of its own, or not.
  if (rel?.keyPath) return { driven: preds.some((p) => coverage(p).served && selectivity(selectivityInput(p), table, env.sel).selective) };
  // Relation filters by the parent's key only (`findBy({ workspace: { id } })`, also with an `order`): the join
  // columns are the call's filters, judged like any other (no join; an order sorts the rows they keep).
  // A join column compared with the parent's key (`user: { id: userId }` beside `enabled: true`) is an equality
  // filter like any other: judged with the readable ones, it is the selective one when they keep many rows.
  const keyEqs = rel ? keyFilters.filter((k) => rel.fkFilters?.includes(k.use)) : [];
  const judged = !preds.length && rel && keyFilters.length && keyFilters.length === rel.fkColumns.length ? keyFilters : [...preds, ...keyEqs];
  if (judged.length) return judgeWhere(env, t, judged, keyFilters, coverage, sweep);
  if (!t.orderBy.length || t.limit === undefined || t.kind !== 'read' || t.hidden) return {};
  // ORDER BY … LIMIT with no filter: only an index on the sort key avoids a full scan and top-N sort.
  // A filter the adapter cannot see (`where: scopeWhere({ userId })`) may be the access path: say nothing.
  const o = t.orderBy[0];
  const col = resolveColumn(table, o);
  if (!col) return {};
  const pred: ColumnPredicate = { column: col.name, op: 'order' };
  const v = coverage(pred);
  if (v.served) return {};
  return { finding: { use: o, pred, v, clause: `orderBy + ${env.adapter.rules.limitWord}` } };
}

/** The where's verdict: the served selective predicate that drives the access, or the one to index. */
function judgeWhere(env: Env, t: Target, judged: OrmPredicate[], keyFilters: OrmPredicate[], coverage: (p: ColumnPredicate) => IndexCoverage, sweep: OrmPredicate | undefined): Outcome {
  const { table } = t;
  const why = (p: OrmPredicate) => selectivity(selectivityInput(p), table, env.sel);
  const selective = (p: OrmPredicate): boolean => why(p).selective;
  // A served predicate is the planner's access path (the rest filter its rows) unless it keeps many rows while a selective one goes unserved.
  // One branch of an OR is no path (the other branches' rows must be found too); an OR whose every branch is served is one (a BitmapOr).
  const driver = filterDriver(judged.filter((p) => !p.use.or), coverage, selective);
  if (driver) return { driven: selective(driver) };
  const or = judged.find((p) => p.use.or && coverage(p).served && everyBranchServed(judged, p, coverage, selective));
  if (or) return { driven: selective(or) };
  // A column whose declared type names its values (an enum, a literal union) keeps more rows per value than a key compared with a parameter: index the key.
  const unserved = judged.filter((p) => !coverage(p).served && selective(p));
  const keyLike = (p: OrmPredicate): boolean => !findColumn(table, p.column)?.declaredValues?.length && !p.value.literals;
  const first = unserved.length ? [...unserved, ...keyFilters].find(keyLike) ?? unserved[0] : undefined;
  if (!first) return {};
  // Several unserved keys: the one the code also looks rows up by alone, else a composite index of them.
  const { keys, why: keysNote } = lookupKeys(table, first, [...unserved, ...keyFilters].filter(keyLike), env.sel);
  const culprit = keys[0];
  const low = judged.find((p) => coverage(p).served);
  const lowWhy = low && why(low);
  const note = low && lowWhy && !lowWhy.selective ? notDrivingNote(low, coverage(low), lowWhy.why) : '';
  // One branch of an OR: an index on its column turns the scan into a BitmapOr only if every other branch has one too.
  const partOfOr = !!culprit.use.or && !everyBranchServed(judged, culprit, coverage, selective);
  const orNote = partOfOr ? `; it is one branch of an OR, which an index serves only when every branch has one: an index on ${culprit.column} alone would leave the others unserved (no index fix)` : '';
  const joinNote = t.joins.includes(culprit.use) ? `; the relation filter there reaches the other table's rows through an index, and PostgreSQL joins them to ${table.name} by ${culprit.column}` : '';
  const sweepNote = culprit === sweep ? `; a write that removes or changes the rows older than a cutoff is a retention sweep: each run reaches what aged past the cutoff since the last run, a small share of the table, and reads all of it to find them` : '';
  return { finding: { use: culprit.use, pred: culprit, v: coverage(culprit) as Extract<IndexCoverage, { served: false }>, clause: t.clause, note: note + orNote + joinNote + sweepNote + keysNote, noFix: partOfOr, ...(keys.length > 1 ? { also: keys.slice(1).map((k) => k.column) } : {}) } };
}

/** Reports a finding once per table and column of a call, with its estimate and index fix. */
function report(env: Env, site: QuerySite, t: Target, finding: Finding, seen: Set<string>): void {
  const { ctx, adapter } = env;
  const { table } = t;
  const key = `${table.schema}.${table.name}.${finding.pred.wrapped ?? finding.pred.column}`;
  if (seen.has(key)) return;
  seen.add(key);
  const rows = ctx.tableRows(table);
  const op = finding.clause === t.clause ? (finding.use.op === 'null' ? 'null' : finding.pred.op) : 'order';
  const matching = predicateMatching(table, finding.pred.column, op, t.limit, ctx.model.params, adapter.rules.limitWord);
  const cols = [...table.columns.values()];
  let estimate = ctx.model.unindexed(rows, matching, rowWidth(ctx, table, cols) || 100, cols.length);
  if (!(estimate.currentMs > estimate.fixedMs)) return;
  // One branch of an OR another branch leaves unserved: an index on this column alone does not remove the scan.
  if (finding.noFix && finding.use.or) estimate = { ...estimate, summary: `${estimate.summary.replace(/; with an index.*$/, '')}; an index on ${finding.pred.column} alone leaves it (another branch of the OR has none); with every branch served ≈ ${formatMs(estimate.fixedMs)}` };
  // Code the project never runs costs nothing (engine/sources/dead-code.ts).
  if (ctx.deadCode(site.range)) return;
  const related: RelatedLocation[] = [];
  if (table.definedAt) related.push({ file: table.definedAt.file, range: table.definedAt.range, message: `${table.name} defined here` });
  for (const ix of table.indexes) if (ix.definedAt) related.push({ file: ix.definedAt.file, range: ix.definedAt.range, message: `index ${indexText(ix)}` });
  const existing = table.indexes.length ? table.indexes.map(indexText).join(', ') : 'none';
  const { fix, pending } = finding.noFix ? {} : migrationFix(ctx, { table, column: finding.pred.column, ...(finding.pred.wrapped ? { wrapped: finding.pred.wrapped } : {}), ...(finding.also ? { also: finding.also } : {}) }, finding.v.fix);
  const where = finding.clause === 'where' || finding.clause.startsWith('orderBy') ? `this \`${site.operation}\` ${finding.clause}` : `${finding.clause} of this \`${site.operation}\``;
  ctx.report({
    message: `${table.name}.${finding.pred.column}${finding.also ? ` (with ${finding.also.join(', ')})` : ''}${finding.pred.wrapped ? ` (as ${finding.pred.wrapped})` : ''} in ${where} cannot use an index: ${finding.v.reason}${finding.note ?? ''}. PostgreSQL scans all of ${table.name}; existing indexes: ${existing}.${pending ? ` ${pending}.` : ''}`,
    range: finding.use.range ?? site.range,
    related,
    estimate,
    fixes: fix ? [fix] : [],
  });
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
