/**
 * over-fetching: queries that fetch every column when the code needs some.
 *
 * SQL part (here): `SELECT *` / `t.*` in a result list that reaches the
 * application: the statement's own SELECT (each UNION arm), followed
 * through CTEs and FROM subqueries to the tables whose every column ends up
 * in the result. Not flagged: `count(*)`, `EXISTS (SELECT * …)`, a `*`
 * inside a CTE/subquery whose outer query picks columns, `INSERT … SELECT *`
 * (the rows go to a table, not over the network), `row_to_json(t.*)` (an
 * explicit request for the whole row as one document), `RETURNING *`.
 *
 * ORM part: `checkOrmOverFetching` in orm-checks.ts, for TypeScript files.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import type { RuleContext } from '../engine/context';
import type { Count } from '../engine/model';
import { findColumn, isSchemaChangeSource, type ColumnInfo, type TableInfo } from '../engine/schema/types';
import { innermostNode } from '../engine/sources/ts-ast';
import { sqlRangeToFile, type SqlSite } from '../engine/sources/types';
import {
  type FromItem,
  type QueryLevel,
  type Target,
  fileQueryModels,
  tablesReadWhole,
  uniquelyFiltered,
} from '../engine/sql/query-model';
import { quoteIdent } from '../engine/sql/ident';
import type { Fix } from '../engine/types';
import { defineRule } from './define-rule';
import { skipsFile } from './one-off';
import { checkOrmOverFetching, columnSizes, handOffIn } from './orm-checks';
import { type HandOff, type OverFetchVerdict, fieldsRead, keyColumns, keyOnlyWorthIt, overFetchVerdict, resultHolder, rowsFieldUses } from './row-use';

function tableOf(ctx: RuleContext, item: FromItem): TableInfo | undefined {
  return item.table ?? ctx.table(item.name ?? '', item.schemaName);
}

function describeTables(ctx: RuleContext, tables: FromItem[]): { text: string; known: TableInfo[] } {
  const known: TableInfo[] = [];
  const parts: string[] = [];
  for (const it of tables) {
    const t = tableOf(ctx, it);
    const q = (x: string): string => (it.quoted ? quoteIdent(x) : x);
    const name = it.schemaName ? `${q(it.schemaName)}.${q(it.name ?? '?')}` : q(it.name ?? '?');
    if (t && t.columns.size) {
      known.push(t);
      const sizes = columnSizes(ctx, [t]);
      const large = [...t.columns.values()].filter(sizes.large).map((c) => `${c.name} (${sizes.typeText(c)})`);
      parts.push(`${name} (${t.columns.size} column${t.columns.size === 1 ? '' : 's'}${large.length ? `, including large ${large.join(', ')}` : ''})`);
    } else parts.push(name);
  }
  return { text: parts.join(', '), known };
}

function rowsReturned(ctx: RuleContext, level: QueryLevel, tables: FromItem[]): Count {
  const only = level.from.length === 1 && tables.length === 1 && level.from[0] === tables[0] ? tables[0] : undefined;
  const t = only && tableOf(ctx, only);
  if (only && t && uniquelyFiltered(level.model, level, only, t)) return { value: 1, source: 'schema', note: 'equality on a primary or unique key' };
  if (typeof level.limit === 'number') return { value: level.limit, source: 'code', note: 'LIMIT of the query' };
  if (level.where.length === 0 && level.from.length === 1 && tables.length === 1 && level.from[0] === tables[0]) {
    const c = ctx.tableRows(tableOf(ctx, tables[0]), tables[0].name);
    return { ...c, note: `no WHERE: every row of ${tables[0].name}${c.source === 'default' ? `; set tables.${tables[0].name}.rows` : ''}` };
  }
  return {
    value: ctx.model.params.defaultMatchingRows,
    source: 'default',
    note: 'rows the query returns are unknown; default defaultMatchingRows',
  };
}

/**
 * The star replaced by the columns the code needs (`needed`: the fields it reads, or in a `.sql` file every
 * column but the large ones), in table order, qualified like the star. None when a needed column's name is
 * in two of the star's tables (with `*` the row holds one of them: which one the code reads is the driver's
 * business), or when the star is not written one-to-one in the file.
 */
function columnListFix(ctx: RuleContext, site: SqlSite, target: Target, needed: readonly ColumnInfo[], byReads: boolean, readsNoField = false): Fix | undefined {
  const star = target.star!;
  const items = star.items;
  if (star.implicit || !items.length || items.some((it) => it.kind !== 'table' || it.columnAliases)) return undefined;
  const cols: string[] = [];
  const names: string[] = [];
  const qualify = !!star.qualifier || items.length > 1;
  const tables = items.map((it) => tableOf(ctx, it));
  for (const [i, it] of items.entries()) {
    const t = tables[i];
    if (!t || t.columns.size === 0) return undefined;
    const prefix = star.qualifier
      ? `${site.sql.slice(star.range.start, star.range.end).replace(/\s*\.\s*\*$/, '')}.`
      : `${it.alias ? quoteIdent(it.alias) : it.schemaName ? `${quoteIdent(it.schemaName)}.${quoteIdent(it.name ?? '')}` : quoteIdent(it.name ?? '')}.`;
    for (const [name, c] of t.columns) {
      if (!needed.includes(c)) continue;
      // The code reads a field by name: with `*` the row holds one of two same-named columns, and which one is the
      // driver's business. A presence check reads none: the qualified key is unambiguous.
      if (!readsNoField && tables.some((o, j) => j !== i && o?.columns.has(name))) return undefined;
      cols.push(qualify ? `${prefix}${quoteIdent(name)}` : quoteIdent(name));
      names.push(name);
    }
  }
  if (!cols.length) return undefined;
  const range = sqlRangeToFile(site, star.range);
  // The star must map to the file one-to-one (not through an interpolation).
  if (range.end - range.start !== star.range.end - star.range.start) return undefined;
  const sizes = columnSizes(ctx, tables.filter((t): t is TableInfo => !!t));
  const large = tables.flatMap((t) => [...(t?.columns.values() ?? [])].filter((c) => sizes.large(c) && !needed.includes(c)).map((c) => c.name));
  return {
    title: readsNoField ? `Select only the key ${cols.join(', ')}: the code only tests whether rows came back` : byReads ? `Select only the ${cols.length} column${cols.length === 1 ? '' : 's'} the code reads: ${names.join(', ')}` : `List the ${cols.length} columns without the large ${large.join(', ')}`,
    safety: 'suggestion',
    edits: [{ file: ctx.file.path, range, newText: cols.join(', ') }],
  };
}

/**
 * The fields the code reads from the rows of a raw-SQL call: `const rows = await sql\`…\``,
 * `const { rows } = await pool.query(…)`, `(await pool.query(…)).rows`, `…rows[0]`, a one-row method
 * (`pool.one(…)`, by the library's adapter). Undefined when the rows escape or their use is not visible
 * (a result object held whole reads as the field `rows`, which no table has: unknown too).
 */
function sqlFieldsRead(ctx: RuleContext, site: SqlSite): Set<string> | undefined {
  const sf = ctx.tsAst();
  if (!sf || !site.callRange) return undefined;
  const call = innermostNode(sf, site.callRange.start, site.callRange.end);
  if (!call) return undefined;
  const q = ctx.querySites().find((x) => x.sql === site);
  let many = !(q && adapterOf(q.library).orm.readsOneRow(q, call));
  let holder = resultHolder(call);
  const up = holder.parent;
  if (up && ts.isPropertyAccessExpression(up) && up.expression === holder && up.name.text === 'rows') {
    holder = up;
    many = true;
  }
  const idx = holder.parent;
  if (idx && ts.isElementAccessExpression(idx) && idx.expression === holder && ts.isNumericLiteral(idx.argumentExpression)) {
    holder = idx;
    many = false;
  }
  const decl = holder.parent;
  // `const { rows } = await pool.query(…)`: follow the `rows` binding.
  if (decl && ts.isVariableDeclaration(decl) && decl.initializer === holder && ts.isObjectBindingPattern(decl.name)) {
    const el = decl.name.elements.find((e) => (e.propertyName ?? e.name).getText(sf) === 'rows' && ts.isIdentifier(e.name));
    if (!el || decl.name.elements.length !== 1) return undefined;
    return rowsBindingFields(el, handOffIn(ctx, true));
  }
  return fieldsRead(holder, many, handOffIn(ctx, true)).fields;
}

/** Field reads of the rows bound by `{ rows }` (an array of rows). */
function rowsBindingFields(el: ts.BindingElement, handOff: HandOff): Set<string> | undefined {
  let fn: ts.Node | undefined = el;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  const body = fn && (ts.isSourceFile(fn) ? fn : (fn as ts.FunctionLikeDeclaration).body);
  if (!body || !ts.isIdentifier(el.name)) return undefined;
  const out = new Set<string>();
  return rowsFieldUses(el.name.text, body, el, out, handOff) ? out : undefined;
}

function checkTarget(ctx: RuleContext, site: SqlSite, level: QueryLevel, target: Target): void {
  const star = target.star!;
  const tables: FromItem[] = [];
  for (const it of star.items) for (const t of tablesReadWhole(it)) if (!tables.includes(t)) tables.push(t);
  // A star over function results, VALUES or explicitly chosen subquery columns fetches nothing extra.
  if (!tables.length) return;
  const { text, known } = describeTables(ctx, tables);
  const sizes = columnSizes(ctx, known);
  let bytesAll = 0;
  let colsAll = 0;
  let colsLarge = 0;
  for (const t of known) {
    for (const c of t.columns.values()) {
      bytesAll += sizes.width(c);
      colsAll++;
      if (sizes.large(c)) colsLarge++;
    }
  }
  // A table the schema does not know (or hidden in an interpolation): we cannot say what `*` fetches.
  if (known.length < tables.length || star.items.some((it) => it.unknownName)) return;
  // One verdict with the ORM half: what the code reads, large columns left unread, narrow tables quiet.
  // In a .sql file the reading code is not visible: only large columns make the `*` worth a finding.
  const all = known.flatMap((t) => [...t.columns.values()]);
  let usedCols: ColumnInfo[];
  let reads = '';
  let verdict: OverFetchVerdict = { report: false };
  if (ctx.language === 'ts') {
    const fields = sqlFieldsRead(ctx, site);
    // A presence check needs one key to keep the rows' count: the first table's (lunary `select * from dataset_prompt
    // dp left join dataset d … left join project p` tested with `if (!datasetPrompt)`: `dp.id`, not three ids).
    const keys = fields?.size === 0 ? keyColumns(known[0]) : known.flatMap(keyColumns);
    const v = overFetchVerdict(all, fields, (f) => known.map((t) => t.columns.get(f) ?? findColumn(t, f)).find((c) => !!c), keys, sizes.large);
    if (!v.report) return;
    verdict = v;
    usedCols = v.usedCols;
    reads = v.noField ? ' but the code reads no field of it (only whether rows came back, or how many)' : ` but the code reads only ${[...fields!].map((f) => `\`${f}\``).join(', ')}`;
  } else {
    if (colsLarge === 0) return;
    usedCols = all.filter((c) => !sizes.large(c));
  }
  let bytesUsed = 0;
  for (const c of usedCols) bytesUsed += sizes.width(c);
  const colsUsed = Math.max(1, usedCols.length);
  const rows = rowsReturned(ctx, level, tables);
  const estimate = ctx.model.overFetch(rows, bytesAll, bytesUsed, { columnsFetched: colsAll, columnsUsed: colsUsed });
  if (!(estimate.currentMs > estimate.fixedMs) || !keyOnlyWorthIt(verdict, estimate, ctx.config.minSavingMs)) return;
  // Code the project never runs costs nothing (engine/sources/dead-code.ts).
  if (ctx.deadCode(site.range)) return;
  const written = site.sql.slice(star.range.start, star.range.end);
  const what = star.implicit ? `\`TABLE ${written}\`` : star.qualifier ? `\`${written}\`` : '`SELECT *`';
  const via = star.items.filter((it) => it.kind === 'cte' || it.kind === 'subquery').map((it) => (it.kind === 'cte' ? `CTE ${it.name}` : `subquery ${it.alias ?? ''}`.trim()));
  const message = `${what} fetches every column of ${text}${via.length ? ` (through ${via.join(', ')})` : ''}${reads}; select only the columns the code reads.`;
  // The fix selects exactly the columns the estimate's `after` counts, so it lowers the cost by that much.
  const fix = columnListFix(ctx, site, target, usedCols, ctx.language === 'ts', !!(verdict.report && verdict.noField));
  const related = tables
    .map((t) => tableOf(ctx, t))
    .filter((t): t is TableInfo => !!t?.definedAt)
    .map((t) => ({ file: t.definedAt!.file, range: t.definedAt!.range, message: `${t.name} defined here` }));
  ctx.report({
    message,
    range: sqlRangeToFile(site, star.range),
    related,
    estimate,
    fixes: fix ? [fix] : [],
  });
}

const EXAMPLE_SCHEMA =
  'CREATE TABLE users (id bigserial PRIMARY KEY, org_id bigint NOT NULL, email text NOT NULL, name text, avatar bytea, preferences jsonb);\n';

export default defineRule({
  id: 'over-fetching',
  meta: {
    summary: 'Fetching every column (`SELECT *`, ORM reads without a column selection) when the code needs only some.',
    defaultSeverity: 'warning',
    fix: 'sometimes',
    languages: ['sql', 'ts'],
    needsSchema: 'ORM reads without a column selection and large-column notes',
    docs: {
      what:
        "Flags a query that fetches every column of a table — `SELECT *` or `t.*` in a result list (followed through CTEs and subqueries to the tables whose columns reach the result), and the builder forms: `knex('t').select('*')`, Kysely `selectAll()`, Drizzle `db.select().from(t)`, an ORM read without a column selection (`select`, `attributes`, `columns`; with Sequelize `raw: true` too, which returns the same columns as plain objects; a read that loads written-out relations beside its row — Prisma `include`, Drizzle relational `with` without `columns`, TypeORM `relations` without `select` — too, which still fetches its own row whole (for TypeORM no selection is offered: a `select` would have to name the relations' columns as well): that row is judged and reads of the included relations are set aside; a read of nothing but them is judged like a presence check: none of the row's own columns is read) — when the code then leaves large columns (json/jsonb and arrays of them, bytea; long text: an unbounded `text` column named as a document — `content`, `body`, `about`, `bio`, `description`, `lyrics`, `text`, `html`, `markdown`, `credits`, `transcript`, `screenshot`, `thumbnail`, or a name ending in body/content/html/markdown — unless the statistics snapshot measured it short (a `varchar(n)` is bounded, an array of scalars such as `text[]` tags is not large); and a `text`/`varchar` column holding JSON, which a file that queries its table hands to `JSON.parse` by its column or field name — `JSON.parse(view.columnMeta)`; and a `text`/`varchar` column holding encoded files, named so (`signatureImageAsBase64`) or which some project file writes base64 or a data URL into by its column or field name — `avatar: avatarBase64`, `image: buf.toString('base64')`, `` icon: `data:image/png;base64,${…}` ``; a key as generic as `data`, `body` or `value` is no evidence) unread — also when it reads no field at all (a presence check `if (!row)`, `if (!(await q))`, `!rows || rows.length === 0`; the fix selects the primary key, and only a large type such as jsonb or bytea, or long text, counts there: a text column is known to hold JSON only from code that reads it) —, or reads nothing but the row's primary key (`id`: a lookup for its id; there too only large types and long text count, not a text column other code parses as JSON) and listing it saves at least `minSavingMs` per call (many rows: a one-row lookup of a table read only by its id saves microseconds, no finding). Only small columns left unread beside other fields the code reads are a few bytes a row: no finding. Every form gets the same verdict. The reads are followed through `filter`/`sort`/`slice`/`find` chains, an empty-list fallback (`(rows || []).map(…)`, `rows ?? []`), a conditional whose other branch is no row (`c ? await q : null`, `rows[0] || null`), an element or a destructured row of the result (`const [run] = await sql\`…\``, `rows[0]`), a variable declared before that the rows are assigned to (`let found = null; if (c) found = await q`: the reads of every value it holds count, an escape of any of them keeps the rule quiet), rows a function returns to callers it can list — a private method's calls in its class, a function of the file that is not exported — each reading only fields of what it gets (a declared return type keeps an ORM read quiet: a narrower selection would not compile; raw SQL rows are only asserted to be that type), and rows pushed onto a local list (`kept.push(row)` with `const kept = []`), read where the list's elements are. Quiet when: the table is narrow (at most 6 columns, none large: fetching all of it costs next to nothing more); the rows escape — returned to a caller that keeps them or that may be anywhere (an exported function, a public method), spread, serialised, handed to a function that is not project code or keeps them whole — so whatever receives them may need every column (a project function whose parameter it only reads fields of adds those fields to what the code reads: `notify(ticket)` reading `ticket.id`, `ticket.following`; when that parameter is declared with a type, `ticket: Ticket`, an ORM read gets no selection fix, since it compiles only once the type is narrowed too, `Pick<Ticket, 'id' | 'following'>`, which the message says); the code's use of the rows is not visible; the table is not in the schema, or hidden in an interpolation (`FROM ${table}`): what `*` fetches is then unknown. In a `.sql` file the reading code is not visible, so only a table with large columns gives a finding. Never flagged: `count(*)`, `EXISTS (SELECT * …)`, `*` inside a CTE or subquery whose outer query picks columns, `*` over set-returning functions or VALUES, `INSERT … SELECT *` (rows are copied inside the server), `row_to_json(t.*)`/`to_jsonb(t)` (an explicit request for the whole row), `RETURNING *`. One-off code is skipped (its statements run once, not per request): migrations written as code, data migrations, scripts run by hand, upgrades and alterations, seeds and backfills — by folder (`scripts/`, `migration(s)/`, `data-migrations/`, `manual-migrations/`, `seed(s)/`, `backfill(s)/`, `upgrade(s)/`, `oneoffs/`, `temp/`, `tmp/` …), by file name (`seed*`, `backfill*`, `migrate*`, `upgrade*`, `alter*`), and files that package.json scripts run only outside the application (`\"db:report\": \"tsx src/dev/report.ts\"`, while `start`/`dev`/`serve` run application code), and scripts that export nothing, define no function and await their queries at top level (unless an application script runs them); `oneOff.include` / `oneOff.exclude` globs in querylens.config.json add to or override the detection, and the rule option `includeOneOffScripts: true` lints one-off code too. Test files are skipped unless `lintTests`. Code the project never runs is not judged: a statement after an unconditional `return`/`throw` of its block, and the body of a method or function that nothing in the project references — a class method without decorators (a decorator is a framework entry point) that is private (`private` or `#name`: only its own class calls it, whatever the class implements) or sits in a class that extends and implements nothing and, when exported, in a package.json marked `\"private\": true`, or a function that is not exported, whose name no project file mentions except as its own declaration, from its own body, or as `<name>.name`; any other mention (a call, the function handed on as a value, a string equal to its name, a file that is not code) counts as a caller. A test helper is not judged either: a class method named as one (`testGetId`, `resetForTests`), without decorators, that no file outside the tests names and whose doc comment says it is for tests ('for tests only') or that a test file in the project calls: its queries run in the test suite.",
      why:
        'PostgreSQL sends every selected column over the wire, de-TOASTing large values (jsonb, bytea, long text) on the way: a 2 KB jsonb column read for a list page of 100 rows is 200 KB per call that the code throws away. Wide rows also defeat index-only scans: a query that needs only indexed columns can be answered from the index alone, but `*` forces a heap visit per row. And `*` silently grows when someone adds a column.',
      example: { language: 'sql', code: 'SELECT * FROM users WHERE org_id = $1;\n', schema: EXAMPLE_SCHEMA },
      useInstead: { language: 'sql', code: 'SELECT id, email, name FROM users WHERE org_id = $1;\n', schema: EXAMPLE_SCHEMA },
      fixSafety:
        "Suggestion only: replaces `*` (or `t.*`) with the columns the code needs, in table order: in TypeScript the fields it reads from the rows (traced through destructuring, property reads and array callbacks), in a `.sql` file every column but the large ones. So the fix removes exactly the bytes the estimate counts as wasted. A presence check (no field read) keeps one key, the first table's, qualified. Not offered when a column the code reads by name is in two of the star's tables, or the star is not written in the SQL (an interpolation). ORM reads get the library's column selection (`select`, `attributes`, `columns`) of the fields read; a Prisma read with `include` gets `select` in its place, the fields read first and the included relations after them with their own arguments, which load the same rows under `select`.",
      estimate:
        'rows: the LIMIT when literal, one for an equality on a primary or unique key, every row of the table when there is no WHERE (`tables.<name>.rows`, **default** defaultTableRows = 100 000), else **default** defaultMatchingRows = 10; row bytes from the column types (typeWidth: jsonb/bytea = largeColumnBytes, **default** 2048 B; long text = half of largeColumnBytes; other text = textWidthBytes, **default** 32 B); bytes the code needs: the columns it reads (TypeScript), or the row without its large columns (`.sql`); bandwidthBytesPerMs (**default** 125 000 B/ms).',
      whenNotToUse:
        'When the code genuinely returns the whole row to a caller that needs every column (a repository mapping rows to full entities), suppress the line (`-- querylens-disable-next-line over-fetching -- maps the full entity`), or apply the fix and keep the full list: it also protects the caller from columns added later.',
    },
  },
  check(ctx) {
    // The schema these queries run against is another database's (SchemaModel.otherDatabase): not judged as PostgreSQL.
    if (isSchemaChangeSource(ctx.schema, ctx.file.path) || skipsFile(ctx) || ctx.schema.otherDatabase) return;
    for (const { site, models } of fileQueryModels(ctx.sqlSites(), ctx.schema)) {
      for (const model of models) {
        for (const level of model.levels) {
          if (!level.returnsRows || level.statement !== 'select') continue;
          for (const t of level.targets) if (t.star) checkTarget(ctx, site, level, t);
        }
      }
    }
    if (ctx.language === 'ts') checkOrmOverFetching(ctx);
  },
});
