/**
 * unindexed-predicate: a WHERE / JOIN / ORDER BY … LIMIT column that no
 * index of its table can serve, so PostgreSQL reads the whole table.
 *
 * SQL part (here): for each query level (top, CTEs, subqueries, EXISTS/IN
 * sublinks, UPDATE/DELETE targets) the engine's access-path model
 * (engine/sql/access-path.ts) says which table references are reached
 * through an index — by a filter, a join from a small side, or a correlated
 * subquery — and which are read whole. Only a table read whole is reported,
 * once, on the predicate an index would serve best; predicates on reached
 * tables are residual filters. Low-selectivity predicates (booleans, enums,
 * CHECK-listed and status-like columns, soft-delete tests, one-sided
 * ranges: engine/sql/selectivity.ts) are never the reason to add an index.
 * Nor do they drive a table's access when a selective filter of the same AND
 * goes unserved (`filterDriver`, engine/sql/access-path.ts): that one is reported.
 * Unknown tables and columns are not findings: no schema, no report.
 *
 * ORM part: `checkOrmUnindexed` in orm-checks.ts, for TypeScript files,
 * with the same index-coverage and selectivity answers.
 */
import type { RuleContext } from '../engine/context';
import { type Count, formatMs } from '../engine/model';
import { type TableInfo, isSchemaChangeSource } from '../engine/schema/types';
import { columnWidth } from '../engine/model/query-cost';
import { predicateMatching } from '../engine/model/selectivity';
import { planAccess, planFor, withPlannerVerdict } from '../engine/stats/plans';
import { sqlRangeToFile, type SqlSite } from '../engine/sources/types';
import { type LevelAccess, levelAccess, notDrivingNote } from '../engine/sql/access-path';
import { type IndexCoverage, indexCoverage, indexText } from '../engine/sql/index-coverage';
import { columnSide, isOpaqueCondition, type Predicate } from '../engine/sql/predicates';
import type { SelectivityContext } from '../engine/sql/selectivity';
import { type FromItem, type QueryLevel, type QueryModel, columnRefsOf, fileQueryModels } from '../engine/sql/query-model';
import type { RelatedLocation } from '../engine/types';
import { defineRule } from './define-rule';
import { skipsFile } from './one-off';
import { checkOrmUnindexed, selectivityContext } from './unindexed-predicate-orm';
import { migrationFix, tableName } from './unindexed-predicate-fix';

type Unserved = Extract<IndexCoverage, { served: false }>;

function rowBytes(ctx: RuleContext, t: TableInfo): number {
  let n = 0;
  for (const c of t.columns.values()) n += columnWidth(t, c, ctx.model.params);
  return n || 4 * ctx.model.params.textWidthBytes;
}

function report(ctx: RuleContext, site: SqlSite, level: QueryLevel, p: Predicate, v: Unserved, selective: boolean, given = ''): boolean {
  let note = given;
  const t = p.table;
  const rows = ctx.tableRows(t, t.name);
  const op = p.clause === 'ORDER BY … LIMIT' ? 'order' : p.isNull ? 'null' : p.wrapped ? 'wrapped' : p.op;
  const matching: Count = predicateMatching(t, p.column, op, typeof level.limit === 'number' ? level.limit : undefined, ctx.model.params);
  let estimate = ctx.model.unindexed(rows, matching, rowBytes(ctx, t));
  // The other side of the join reads tables whole whatever this index (a grouped subquery over the same table): the
  // index removes this side's scan only, and the fixed figure keeps theirs.
  const whole = p.other ? readsWhole(p.other) : [];
  if (whole.length) {
    const scanMs = whole.reduce((ms, w) => ms + ctx.tableRows(w, w.name).value / ctx.model.params.seqScanRowsPerMs, 0);
    const names = [...new Set(whole.map((w) => tableName(w)))].join(', ');
    note += `; the other side of the join${p.other!.refName ? `, ${p.other!.refName},` : ''} reads all of ${names} whatever the index, so an index removes only this side's scan`;
    const fixedMs = estimate.fixedMs + scanMs;
    estimate = { ...estimate, currentMs: estimate.currentMs + scanMs, fixedMs, summary: `${estimate.summary.replace(/; with an index.*$/, '')}, and the other side's scan of ${names} ≈ ${formatMs(scanMs)}; with an index ≈ ${formatMs(fixedMs)} (that scan stays)` };
  }
  // The planner's own verdict, when `stats pull --explain` recorded the statement's generic plan: an index
  // path it found (a live index the migrations lack) settles it; a hypothetical index it would not use too.
  const stmt = site.parsed?.statements.find((s) => s.start <= p.range.start && p.range.end <= s.end);
  const plan = stmt ? planFor(ctx.schema, site.sql.slice(stmt.start, stmt.end)) : undefined;
  if (plan) {
    const access = planAccess(plan, t);
    if (access === 'index') return false;
    if (access === 'seq') {
      if (plan.hypothetical && !plan.hypothetical.used) return false;
      estimate = withPlannerVerdict(estimate, plan, tableName(t));
    }
  }
  // A table small enough that an index would save less than one statement's fixed overhead is not worth a finding.
  if (!(estimate.currentMs - estimate.fixedMs > ctx.model.params.statementOverheadMs)) return false;
  // Code the project never runs costs nothing (engine/sources/dead-code.ts).
  if (ctx.deadCode(site.range)) return false;
  const existing = t.indexes.length ? `existing indexes: ${t.indexes.map(indexText).join('; ')}` : `${tableName(t)} has no index`;
  const subject = p.wrapped ?? `${tableName(t)}.${p.column}`;
  const message = `${subject} in ${p.clause}${p.wrapped ? ` (table ${tableName(t)})` : ''} cannot use an index: ${v.reason}${note}. PostgreSQL scans all of ${tableName(t)}; ${existing}.`;
  const related: RelatedLocation[] = [];
  if (t.definedAt) related.push({ file: t.definedAt.file, range: t.definedAt.range, message: `${tableName(t)} defined here` });
  for (const ix of t.indexes) if (ix.definedAt) related.push({ file: ix.definedAt.file, range: ix.definedAt.range, message: `index ${indexText(ix)}` });
  // Never an index for a predicate that keeps many rows (an OR branch or a join may be reported for another reason).
  const { fix, pending } = selective ? migrationFix(ctx, p, v.fix) : {};
  ctx.report({ message: pending ? `${message} ${pending}.` : message, range: sqlRangeToFile(site, p.range), related, estimate, fixes: fix ? [fix] : [] });
  return true;
}

/**
 * The tables a subquery or CTE on the other side of a join reads whole: an arm with one FROM table and no WHERE
 * (`(SELECT max(t2."createdAt") FROM "Stats" t2 GROUP BY date(t2."createdAt"))`). Empty for anything else.
 */
function readsWhole(item: FromItem): TableInfo[] {
  const arms = item.kind === 'subquery' ? item.subquery : item.kind === 'cte' ? item.cte?.arms : undefined;
  const out: TableInfo[] = [];
  for (const arm of arms ?? []) {
    const [only, ...rest] = arm.from;
    if (!rest.length && only?.kind === 'table' && only.table && !arm.where.length && arm.limit === undefined) out.push(only.table);
  }
  return out;
}

/**
 * Which unserved predicate to report first: the one an index would serve best. Of two equalities, one with a
 * parameter before one with a constant: a constant names one of the column's values (a type or kind), a key
 * compared with a parameter keeps fewer rows per value (the ORM half picks its culprit the same way).
 */
function rank(p: Predicate): number {
  const kind = { eq: 0, range: 1, 'like-prefix': 2, 'like-unknown': 3, 'like-leading': 4, order: 5 }[p.op];
  return (p.clause === 'WHERE' ? 0 : 10) + kind + (p.wrapped ? 0.5 : 0) + (p.op === 'eq' && p.value === 'constant' ? 0.25 : 0);
}

/**
 * The predicate to report for a table read whole, or undefined when an index would not help:
 * its best selective filter no index serves; else an equality with a small side whose column no
 * index serves; else the unserved branches of an OR whose branches are all selective.
 */
function culprits(access: LevelAccess, preds: Predicate[]): Predicate[] {
  const served = (p: Predicate): boolean => access.coverage(p).served;
  const selective = (p: Predicate): boolean => access.selectivity(p).selective;
  // A subquery's rows may be many (a hash semi-join): `col IN (SELECT …)` drives access when served, but is never the culprit.
  const filters = preds.filter((p) => !p.other && p.value !== 'subquery');
  const and = filters.filter((p) => !p.inOr);
  const best = and.filter((p) => !served(p) && selective(p)).sort((a, b) => rank(a) - rank(b));
  if (best.length) return [best[0]];
  const joins = preds.filter((p) => p.other && !p.inOr && access.small.has(p.other) && !served(p)).sort((a, b) => rank(a) - rank(b));
  if (joins.length) return [joins[0]];
  // ORs (beside AND filters that are all low-selectivity): a BitmapOr needs every branch indexed; a low-selectivity branch keeps many rows whatever the others do.
  const out: Predicate[] = [];
  const byConj = new Map<unknown, Predicate[]>();
  for (const p of filters) if (p.inOr) byConj.set(p.conj, [...(byConj.get(p.conj) ?? []), p]);
  for (const group of byConj.values()) if (group.every(selective)) out.push(...group.filter((p) => !served(p)));
  return out;
}

/** Nothing but the ORDER BY picks the rows: no WHERE, no filter in a join's ON, no grouping. */
function onlyOrderSelects(model: QueryModel, level: QueryLevel): boolean {
  if (level.where.length || level.groupBy || level.distinct || level.having) return false;
  // A constant condition in an ON (`JOIN b ON b.id = a.b_id AND b.kind = 'x'`) selects rows too.
  return level.joinQuals.every(({ conjunct }) => {
    const items = new Set(columnRefsOf(conjunct).map((r) => model.resolve(level, r).item));
    return items.size >= 2;
  });
}

function checkLevel(ctx: RuleContext, site: SqlSite, model: QueryModel, level: QueryLevel, sel: SelectivityContext): void {
  // A spliced-in condition may be the very index path (langfuse's media retention: `WHERE ${condition}
  // ORDER BY m.created_at LIMIT $2`, the condition fixing project_id): WHERE and ORDER BY … LIMIT make no claim then.
  const opaque = level.where.some((w) => isOpaqueCondition(model, w));
  const access = levelAccess(model, level, sel);
  const reported = new Set<string>();
  const flag = (p: Predicate, v: IndexCoverage, note?: string): void => {
    if (v.served || ctx.isTiny(p.table) || ctx.mayHaveUnseenIndexes(p.table)) return;
    const key = `${p.item.index}:${p.wrapped ?? p.column}:${p.op === 'like-leading'}`;
    if (reported.has(key)) return;
    const selective = p.op === 'order' || !!p.other || access.selectivity(p).selective;
    if (report(ctx, site, level, p, v, selective, note)) reported.add(key);
  };
  for (const ia of access.items) {
    if (ia.reached || ctx.isTiny(ia.table) || ctx.mayHaveUnseenIndexes(ia.table)) continue;
    // A comparison with an interpolation that may be a name or SQL (a join, the very index path): no claim.
    if (ia.preds.some((p) => p.opaque && !p.inOr) || level.joinQuals.some((j) => j.item === ia.item && isOpaqueCondition(model, j.conjunct))) continue;
    const preds = ia.preds.filter((p) => !(opaque && p.clause === 'WHERE'));
    // A served filter that keeps many rows is not the access path (filterDriver): say why it does not count.
    const low = preds.find((p) => !p.other && !p.inOr && access.coverage(p).served);
    const lowSel = low && access.selectivity(low);
    const note = low && lowSel && !lowSel.selective ? notDrivingNote(low, access.coverage(low), lowSel.why) : undefined;
    for (const p of culprits(access, preds)) flag(p, access.coverage(p), note);
  }
  // ORDER BY … LIMIT with nothing else selecting rows: only an index in that order avoids sorting the whole table.
  if (!opaque && level.limit !== undefined && level.orderBy.length && onlyOrderSelects(model, level)) {
    const side = columnSide(model, level, level.orderBy[0]);
    const item: FromItem | undefined = side?.ref.item;
    const table = item?.kind === 'table' ? item.table : undefined;
    if (side && item && table?.columns.has(side.ref.column)) {
      const p: Predicate = { item, table, column: side.ref.column, wrapped: side.wrapped, range: side.range, op: 'order', clause: 'ORDER BY … LIMIT', inOr: false, value: 'constant' };
      flag(p, indexCoverage(table, p, { eqColumns: new Set(), facts: [] }));
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
    needsSchema: 'all',
    docs: {
      what:
        "Flags a table that PostgreSQL must read whole because no index serves the predicate that selects its rows: a column compared in WHERE (`=`, `<`, `>`, `BETWEEN`, `IN`, `= ANY`, `IS NULL`, `LIKE`), a join column probed from a small side, or the leading column of an `ORDER BY … LIMIT` when nothing else selects the rows (an ORM call whose `where` the model cannot read — a condition built elsewhere — makes no ORDER BY claim). An index serves a predicate when the column leads a B-tree (a later key counts when every earlier one is constrained by equality in the same query — by a constant, a parameter, or a join from a small side), a hash index answers its equality, a trigram GIN/GiST index answers `LIKE '%…'`, an expression index matches a wrapped column (`lower(email)`, `date(created_at)`, `id::text`) — also a where key an ORM reads as a path into a JSON column (Sequelize `where: { 'recording_meta.id': id }`, sent as `recording_meta #>> '{id}'`), which only an index on that expression serves (the fix creates one); where an expression index of the table reads the same path spelled otherwise (`->> 'id'`), no claim is made — and a partial index's condition is implied by the query's (`col = $1` implies `col IS NOT NULL`; `status = 'open'` implies `status IN ('open', 'pending')`). ORs count when every branch is served (a BitmapOr); a relation filter inside one branch (TypeORM `where: [{ user: { id }, name: In(xs) }, { user: { id }, url: In(xs) }]`) constrains its join column for that branch, and one that every branch has is factored out of the OR, as PostgreSQL does. A TypeORM relation filter by the parent's key (`user: { id: userId }`, also beside other fields of the parent, `user: { id, status }`, whose join pins the join column as PostgreSQL derives from `user.id = $1`) is an equality on the join column (`user_id = $1`), judged with the call's other filters: beside flags that keep most rows (`enabled: true`) it is the one to index. Also for ORM `where` objects and builder filters in TypeScript, with the same answers.\n\n**Reads through relations.** An ORM call also reads the tables its relations reach, and each of those reads is judged the same way on its own table: a relation loaded beside the rows (Prisma `include: { members: true }`, or a relation under `select`) is a statement `WHERE \"userId\" IN (<the parent rows' keys>)` on the related table, with the where and orderBy written in the relation's options; a relation filter `some`/`none` (or a to-one filter on a relation whose key lives on the other table) is a subquery on the related table selected by the filters written inside it (`members: { some: { userId } }` reads OrganizationMember by `userId`); a to-one filter through a foreign key the call's table holds (`user: { email }` on OrganizationMember) reads User by `email` and, when an index serves that selectively, joins its rows back by `userId`, which then needs an index of its own. A Drizzle relational query's `with` relation (`db.query.boards.findFirst({ with: { labels: { where: isNull(labels.deletedAt) } } })`, relations from the schema's `relations()` declarations) is a lateral subquery on the related table per parent row, selected by the relation's columns (`label.\"boardId\" = boards.id`), its `where` and its `orderBy`: judged the same way, nested `with` too. `every` (a negated subquery), `_count` (a grouped subquery over the whole relation), implicit many-to-many relations and relation options not written out give no finding. A `findUnique` is never reported for its own where (a unique index serves it), but its loads are. The finding sits on the relation's name and says which load or filter reads the table.\n\n**One finding per table read whole.** A table reached through an index — by a served filter, through its key from a small side of a join (composite keys completed by constants in `ON`), or from a correlated subquery with a selective filter (`EXISTS (… WHERE s.k = t.col)`, `t.id IN (SELECT …)`) — is not reported: its other predicates are residual filters on rows already fetched. Joining two tables that are both read whole is a hash join; no join index would help.\n\n**Selectivity.** An index helps only a predicate that keeps few rows, and without statistics querylens cannot measure that, so these are never the reason for a finding: booleans; enum-typed columns; columns with a `CHECK (col IN (…))` of a few values; columns the code compares only to a few words or named constants (`MAX_VERSION`, `Status.Active`) and never to a parameter, anywhere in the project (`status = 'active'`); `IS NULL` tests (soft-delete markers such as `deleted_at IS NULL` keep most rows; on any other column how many rows are NULL is unknown); one-sided ranges (`created_at < now() - interval '1 day'`, `id > $1`), which may keep no row or every row. A range bounded on both sides (`BETWEEN`, `>= $1 AND < $2`) counts, and so does a retention sweep: an ORM delete or update of many rows whose filter bounds a date or time column from above only (`deleteMany({ where: { createdAt: { lte: cutoff } } })`, outside any OR) — run periodically it reaches only the rows that aged past the cutoff since its last run, a small share, and without an index on the column each run reads the whole table. The same rule decides which served filter is the access path: an index drives a table's access only when the keys the query constrains include a selective predicate, so a served low-selectivity equality (`status = 'SENT'` on an index `(status, scheduled_at)`) does not keep a selective filter of the same AND that no index serves (`contact_book_id = $1`) from being reported; an index `(status, contact_book_id)` or one on `contact_book_id` serves it. When every filter keeps many rows, a served one still counts (no claim). With a statistics snapshot (`querylens stats pull`), the column's pg_stats decide first: the share of rows a parameter keeps (from `n_distinct`, the null fraction and the most common value's frequency, as the planner computes it) against the cost model's crossover between an index and a scan — a 4-valued status column is quiet, a unique column is flagged — and with `stats pull --explain` an index path in the statement's recorded generic plan silences the finding.\n\n**Tiny tables** are not worth an index: tables declared `{ \"tiny\": true }`, tables whose rows (config or statistics snapshot) make a scan cheaper than an index, and, with no row count, reference tables the application never writes (only migrations, seeds and one-off scripts do) or never adds rows to while a migration inserts them (`INSERT INTO \"Org\" … VALUES (1, 'default', …)` in a migration, the application only updating that row: a single tenant's organisation). A column whose foreign key references a table declared tiny or filled that way holds at most that table's few keys, so it is low-selectivity too: `WHERE \"orgId\" = $1 AND name = $2` with an index on `orgId` alone is reported as `name` unindexed, and `orgId` alone is never the reason for a finding. Tables or columns the schema does not know give no finding, nor do partitioned tables (`PARTITION BY`: each partition may carry indexes of its own, often created at run time with the partition), nor do tables a migration's `CREATE INDEX … ON t` or `ALTER TABLE t` could not be read for (skipped as unreadable, reported as a schema problem: the index it makes may serve the query), nor do queries whose WHERE includes a condition spliced in whole from code (`WHERE ${condition}`: it may be the index path), nor ORM and builder calls whose filter has a condition querylens cannot read (a where held in a variable or spread from one, `and(...conditions)`, a raw `sql` fragment, a callback such as Knex `where(function () {…})` or Kysely `where((eb) => …)`). One-off code is skipped (its statements run once, not per request): migrations written as code, data migrations, scripts run by hand, upgrades and alterations, seeds and backfills — by folder (`scripts/`, `migration(s)/`, `data-migrations/`, `manual-migrations/`, `seed(s)/`, `backfill(s)/`, `upgrade(s)/`, `oneoffs/`, `temp/`, `tmp/` …), by file name (`seed*`, `backfill*`, `migrate*`, `upgrade*`, `alter*`), and files that package.json scripts run only outside the application (`\"db:report\": \"tsx src/dev/report.ts\"`, while `start`/`dev`/`serve` run application code), and scripts that export nothing, define no function and await their queries at top level (unless an application script runs them); `oneOff.include` / `oneOff.exclude` globs in querylens.config.json add to or override the detection, and the rule option `includeOneOffScripts: true` lints one-off code too. Test files are skipped unless `lintTests`. Code the project never runs is not judged: a statement after an unconditional `return`/`throw` of its block, and the body of a method or function that nothing in the project references — a class method without decorators (a decorator is a framework entry point) that is private (`private` or `#name`: only its own class calls it, whatever the class implements) or sits in a class that extends and implements nothing and, when exported, in a package.json marked `\"private\": true`, or a function that is not exported, whose name no project file mentions except as its own declaration, from its own body, or as `<name>.name`; any other mention (a call, the function handed on as a value, a string equal to its name, a file that is not code) counts as a caller. A test helper is not judged either: a class method named as one (`testGetId`, `resetForTests`), without decorators, that no file outside the tests names and whose doc comment says it is for tests ('for tests only') or that a test file in the project calls: its queries run in the test suite.",
      why:
        'A B-tree is sorted by its first key, then the next: PostgreSQL can descend it only for a prefix of its keys, and only for the exact expression it indexes (an index on `email` knows nothing of `lower(email)`). A pattern starting with `%` has no prefix to descend to. Without a usable index the planner falls back to a sequential scan, reading every row of the table on every execution: O(table) instead of O(log table + matches).',
      example: { language: 'sql', code: 'SELECT id, total FROM orders WHERE customer_email = $1;\n', schema: EXAMPLE_SCHEMA },
      useInstead: {
        language: 'sql',
        code: 'SELECT id, total FROM orders WHERE customer_email = $1;\n',
        schema: `${EXAMPLE_SCHEMA}CREATE INDEX orders_customer_email_idx ON orders (customer_email);\n`,
      },
      fixSafety:
        "The index goes where the project's migration tool expects it (detected from the project's files): Prisma → `@@index([field])` in schema.prisma, plus the matching `prisma/migrations/<timestamp>_…/migration.sql` when the project commits migrations; Drizzle Kit → `index('…').on(table.col)` in the table's `pgTable` definition (then run `drizzle-kit generate`, or `drizzle-kit push` for a project whose PostgreSQL `drizzle.config` has no migrations committed) — when the table's declaration already has an `index(…)`/`uniqueIndex(…)` (any name, B-tree, not partial) starting with the column but no migration creates it yet (an earlier `--fix` before `drizzle-kit generate`), the finding stays (the database lacks the index), says so and to run the step, and offers no edit, so a second `--fix` declares nothing twice; Knex, Kysely, TypeORM, node-pg-migrate, Sequelize → a new migration file in their format after the last one; Flyway, golang-migrate, goose, dbmate, sqlx and numbered SQL files → a new SQL migration named like the others. `CREATE INDEX CONCURRENTLY` only where the tool runs the file outside a transaction or through its opt-out (Knex `config.transaction = false`, node-pg-migrate `pgm.noTransaction()`, TypeORM `transaction = false` with `migrationsTransactionMode: 'each'`, dbmate `transaction:false`, goose `NO TRANSACTION`, sqlx `-- no-transaction`, Flyway and golang-migrate for a one-statement file, Sequelize); elsewhere (Prisma, Kysely, TypeORM's default, numbered SQL of an unknown runner) a plain `CREATE INDEX` with a comment about the write lock it takes. Names never collide with existing files, indexes or each other. Safe (applied by `querylens lint --fix`, at most one new index per table per run) for a plain B-tree index: results do not change. A suggestion, with the reason in its title, when an existing index already starts with the column (a partial, hash or composite index: a second one would overlap it) or the table is known to hold fewer than 10 000 rows; expression and trigram indexes are suggestions too. No index fix for a low-selectivity predicate, nor, in an ORM `where`, for one branch of an OR (Prisma `OR: […]`, TypeORM `where: [{…}, {…}]`) when another branch has no index and would get none from it: a BitmapOr needs every branch served, so one index alone leaves the scan. Which column: when an ORM `where` compares several unindexed key-like columns with equality (no enum or literal-union type, not compared with a constant: `{ provider, organizationId }`), the one other calls of the project look the table's rows up by alone (`findMany({ where: { organizationId } })`) is indexed, the first written if several are — the index serves those calls too, and the code treats it as a key; when none is, one composite index of them (at most two: a declared foreign key first, then the column the project compares more often) serves the where whatever each column holds, and is written in the same order wherever the pair is compared. Without a migration tool, the statement is appended to the schema file (suggestion). Every index slows writes and takes space; review before applying.",
      estimate:
        'tableRows: rows of the table (`tables.<name>.rows` in querylens.config.json, **default** defaultTableRows = 100 000); matchingRows: the literal LIMIT when smaller, else **default** defaultMatchingRows = 10; seqScanRowsPerMs (**default** 20 000 rows/ms), indexDescentMs (**default** 0.02 ms), indexRowMs (**default** 0.002 ms); row width from the column types. Current = sequential scan; fixed = index descent + matching rows. A join column whose other side is a subquery or CTE that reads a table whole (`JOIN (SELECT max(t2.created_at) … FROM t t2 GROUP BY …) d ON t.created_at = d.last`) keeps that scan in both figures and the message says so: the index removes only this side\'s scan. For one branch of an ORM `OR` that another branch leaves unserved (no index fix), the fixed figure is for every branch served, and the summary says that an index on the column alone leaves the scan. An ORM `OR` drives a table\'s access only when every branch is served (a BitmapOr): a primary-key branch beside an unindexed one (`OR: [{ id }, { vanity }]`) is no access path.',
      whenNotToUse:
        'Tables that stay small (lookup tables, enums as tables): declare them `{ "tiny": true }` under `tables` in querylens.config.json. Reporting or batch queries that read most of the table anyway are better served by a scan: suppress them with `-- querylens-disable-next-line unindexed-predicate -- reads the whole table`.',
    },
  },
  check(ctx) {
    // The schema these queries run against is another database's (SchemaModel.otherDatabase): not judged as PostgreSQL.
    if (skipsFile(ctx) || ctx.schema.otherDatabase) return;
    if (ctx.schema.tables.size > 0 && !isSchemaChangeSource(ctx.schema, ctx.file.path)) {
      const sel = selectivityContext(ctx);
      for (const { site, models } of fileQueryModels(ctx.sqlSites(), ctx.schema)) {
        // SQL text nobody can read (a fragment built elsewhere) may hold the conditions that matter.
        for (const model of models) if (!model.incomplete) for (const level of model.levels) checkLevel(ctx, site, model, level, sel);
      }
    }
    if (ctx.language === 'ts') checkOrmUnindexed(ctx);
  },
});
