/**
 * cartesian-join: two row sources of one query level with nothing relating
 * them (a comma-separated FROM list without a joining WHERE predicate,
 * `CROSS JOIN`, `JOIN … ON true`, an `ON` that ignores the joined table).
 *
 * The check is a connectivity test: FROM items are nodes, and every
 * predicate (ON/USING/NATURAL/WHERE conjunct, correlated EXISTS/IN
 * subquery, lateral reference) that mentions several items joins them.
 * Items left in separate groups multiply. Only sources that can be large
 * count: tables (not declared tiny), and CTEs/subqueries that read tables
 * and are not provably single-row. Set-returning functions, VALUES lists and
 * LATERAL items are sets the query means to pair with each row.
 */
import type { RuleContext } from '../engine/context';
import type { Count } from '../engine/model';
import { typeWidth } from '../engine/model';
import type { TableInfo } from '../engine/schema/types';
import { sqlRangeToFile, type SqlSite } from '../engine/sources/types';
import type { PgNode } from '../engine/sql/parser';
import {
  type FromItem,
  type QueryLevel,
  type QueryModel,
  columnRefsOf,
  fileQueryModels,
  isSingleRow,
  itemLabel,
  levelExpressions,
  sublinkLevelsOf,
  uniquelyFiltered,
} from '../engine/sql/query-model';
import { unwrap } from '../engine/sql/expr';
import { defineRule } from './define-rule';
import { skipsFile } from './one-off';

class Groups {
  private parent = new Map<FromItem, FromItem>();
  find(a: FromItem): FromItem {
    let p = this.parent.get(a) ?? a;
    if (p !== a) {
      p = this.find(p);
      this.parent.set(a, p);
    }
    return p;
  }
  union(items: Iterable<FromItem>): void {
    let first: FromItem | undefined;
    for (const it of items) {
      if (!first) first = it;
      else {
        const a = this.find(first);
        const b = this.find(it);
        if (a !== b) this.parent.set(b, a);
      }
    }
  }
}

/** Items of `level` that the column references of `expr` read (including from sublinks inside it). */
function itemsReferenced(model: QueryModel, level: QueryLevel, expr: PgNode): Set<FromItem> {
  const out = new Set<FromItem>();
  const add = (l: QueryLevel, node: PgNode): void => {
    for (const ref of columnRefsOf(node)) {
      const info = model.resolve(l, ref);
      if (info.item) {
        if (info.item.level === level) out.add(info.item);
      } else {
        // Unresolved (several candidates, no schema): assume it may read any of them.
        for (const c of info.candidates) if (c.level === level) out.add(c);
      }
    }
  };
  add(level, expr);
  for (const sub of sublinkLevelsOf(level, expr)) for (const e of levelExpressions(sub)) add(sub, e);
  return out;
}

/** Items a lateral subquery reads from its own level. */
function lateralReferences(model: QueryModel, level: QueryLevel, item: FromItem): Set<FromItem> {
  const out = new Set<FromItem>();
  const arms = item.subquery ?? [];
  const visit = (l: QueryLevel): void => {
    for (const e of levelExpressions(l)) {
      for (const ref of columnRefsOf(e)) {
        const info = model.resolve(l, ref);
        if (info.item?.level === level) out.add(info.item);
      }
    }
    for (const c of l.children) visit(c);
  };
  for (const a of arms) visit(a);
  return out;
}

/** A CTE or subquery counts as a row source when it reads a table and can return many rows. */
function readsTables(levels: QueryLevel[], depth = 0): boolean {
  if (depth > 8) return false;
  for (const l of levels) {
    for (const f of l.from) {
      if (f.kind === 'table') return true;
      if (f.kind === 'cte' && f.cte && readsTables(f.cte.arms, depth + 1)) return true;
      if (f.kind === 'subquery' && f.subquery && readsTables(f.subquery, depth + 1)) return true;
    }
  }
  return false;
}

function isRowSource(ctx: RuleContext, model: QueryModel, level: QueryLevel, item: FromItem): boolean {
  if (item.kind === 'table') {
    const t = item.table ?? ctx.table(item.name ?? '', item.schemaName);
    if (t?.tiny) return false;
    if (t?.rows !== undefined && t.rows <= 1) return false;
    if (t && uniquelyFiltered(model, level, item, t)) return false;
    return true;
  }
  if (item.lateral) return false;
  const arms = item.kind === 'cte' ? item.cte?.arms : item.kind === 'subquery' ? item.subquery : undefined;
  if (!arms?.length) return false;
  if (arms.length === 1 && isSingleRow(arms[0])) return false;
  return readsTables(arms);
}

function rowsOf(ctx: RuleContext, item: FromItem): Count {
  if (item.kind === 'table') return ctx.tableRows(item.table, item.name);
  return {
    value: ctx.model.params.defaultTableRows,
    source: 'default',
    note: `rows of ${itemLabel(item)} unknown; the default table size is assumed`,
  };
}

function rowBytes(ctx: RuleContext, table: TableInfo | undefined): number {
  const p = ctx.model.params;
  if (!table || table.columns.size === 0) return 4 * p.textWidthBytes;
  let n = 0;
  for (const c of table.columns.values()) n += typeWidth(c.type, p);
  return n;
}

function isConstantTrue(node: PgNode | undefined): boolean {
  const u = unwrap(node);
  if (!u) return false;
  if (u.type === 'A_Const') return !!u.body.boolval?.boolval || u.body.ival?.ival === 1;
  return false;
}

function reasonFor(item: FromItem, other: FromItem): string {
  const a = itemLabel(other);
  const b = itemLabel(item);
  const v = item.via;
  if (v.kind === 'join') {
    if (v.cross) return `CROSS JOIN of ${a} and ${b}`;
    if (v.quals && columnRefsOf(v.quals).length === 0) return `JOIN ${b} ON ${isConstantTrue(v.quals) ? 'true' : 'a constant condition'} does not relate it to ${a}`;
    if (v.quals) return `the ON clause of the join to ${b} does not relate it to ${a}`;
    return `the join of ${b} does not relate it to ${a}`;
  }
  return `${a} and ${b} are listed in FROM with no WHERE predicate joining them`;
}

function checkLevel(ctx: RuleContext, site: SqlSite, model: QueryModel, level: QueryLevel): void {
  const items = level.from;
  if (items.length < 2) return;
  const groups = new Groups();
  for (const c of [...level.where, ...level.joinQuals.map((j) => j.conjunct)]) groups.union(itemsReferenced(model, level, c));
  for (const it of items) {
    const v = it.via;
    if (v.kind === 'join' && (v.natural || v.using)) {
      // USING/NATURAL compare same-named columns of the two sides.
      const left = v.leftItems ?? [];
      const withCol = v.using
        ? left.filter((l) => {
            const t = l.table;
            return !t || v.using!.some((u) => t.columns.size === 0 || t.columns.has(u));
          })
        : left;
      groups.union([it, ...(withCol.length ? withCol : left)]);
    }
    if (it.kind === 'function') groups.union([it, ...itemsReferenced(model, level, it.node)]);
    if (it.kind === 'subquery' && it.lateral) groups.union([it, ...lateralReferences(model, level, it)]);
  }
  const sources = items.filter((it) => isRowSource(ctx, model, level, it));
  if (sources.length < 2) return;
  const seenRoots: FromItem[] = [];
  const firstOfGroup = new Map<FromItem, FromItem>();
  for (const s of sources) {
    const root = groups.find(s);
    if (firstOfGroup.has(root)) continue;
    firstOfGroup.set(root, s);
    seenRoots.push(root);
    if (seenRoots.length === 1) continue;
    // Pair with the nearest earlier source on the join's left side, else the first source.
    const left = (s.via.leftItems ?? []).filter((l) => sources.includes(l) && groups.find(l) !== root);
    const other = left[left.length - 1] ?? firstOfGroup.get(seenRoots[0])!;
    report(ctx, site, s, other);
  }
}

function report(ctx: RuleContext, site: SqlSite, item: FromItem, other: FromItem): void {
  const rowsA = rowsOf(ctx, other);
  const rowsB = rowsOf(ctx, item);
  const joined: Count = {
    value: Math.max(rowsA.value, rowsB.value),
    source: 'default',
    note: 'assumes a key join returning about as many rows as the larger side',
  };
  const bytes = rowBytes(ctx, other.table) + rowBytes(ctx, item.table);
  const estimate = ctx.model.cartesian(rowsA, rowsB, joined, bytes);
  const reason = reasonFor(item, other);
  const message = `Cartesian product: ${reason}; every row of ${itemLabel(other)} pairs with every row of ${itemLabel(item)}. Add the join predicate (or use LATERAL / a one-row subquery if the pairing is intended).`;
  ctx.report({
    message: message.charAt(0).toUpperCase() + message.slice(1),
    range: sqlRangeToFile(site, item.range),
    related: [
      { file: ctx.file.path, range: sqlRangeToFile(site, other.range), message: `${itemLabel(other)}: one side of the product` },
      { file: ctx.file.path, range: sqlRangeToFile(site, item.range), message: `${itemLabel(item)}: the other side, joined without a predicate` },
    ],
    estimate,
  });
}

const EXAMPLE_SCHEMA =
  'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\nCREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric NOT NULL);\n';

export default defineRule({
  id: 'cartesian-join',
  meta: {
    summary: 'Two tables in one query with no predicate relating them: every row pairs with every row.',
    defaultSeverity: 'warning',
    fix: 'never',
    languages: ['sql', 'ts'],
    docs: {
      what:
        'Flags a query level where two row sources (tables, or CTEs/subqueries that read tables and may return several rows) are not related by any predicate: `FROM a, b` without a WHERE condition joining them, `CROSS JOIN` of two tables, `JOIN … ON true`, or an `ON` clause that does not mention the joined table. Predicates count wherever they are: ON, USING, NATURAL, WHERE, and correlated EXISTS/IN subqueries that mention both sides. Not flagged: `CROSS JOIN LATERAL` and other lateral subqueries, set-returning functions (`generate_series`, `unnest`, `jsonb_array_elements` …), `VALUES` lists, CTEs or subqueries that return one row (an aggregate without GROUP BY, `LIMIT 1`, a SELECT without FROM such as a `params` CTE), sets that read no table, and tables declared `tiny` in the configuration. Files whose statements run once are skipped: migrations written as code, data migrations, backfill and seed scripts (folders `migration(s)/`, `data-migrations/`, `seed(s)/`, `backfill(s)/`; files `seed*`, `backfill*`, `migrate*`), and test files unless `lintTests`; the rule option `includeOneOffScripts: true` lints one-off scripts too.',
      why:
        'Without a join condition PostgreSQL has no choice but a nested loop that emits rows(a) × rows(b) pairs: 100 000 orders × 10 000 users is a billion rows to produce, filter and possibly send. The planner cannot use a hash or merge join because there is no equality to hash or sort on. Usually the join condition was forgotten, or placed on the wrong alias; sometimes the pairing is intended, and then it should be bounded (a one-row subquery, LATERAL).',
      example: {
        language: 'sql',
        code: 'SELECT o.id, u.email\nFROM orders o, users u\nWHERE o.total > 100;\n',
        schema: EXAMPLE_SCHEMA,
      },
      useInstead: {
        language: 'sql',
        code: 'SELECT o.id, u.email\nFROM orders o\nJOIN users u ON u.id = o.user_id\nWHERE o.total > 100;\n',
        schema: EXAMPLE_SCHEMA,
      },
      fixSafety: 'No automatic fix: the missing predicate depends on what the query means. The finding points at both table references.',
      estimate:
        'rowsA, rowsB: rows of the two sides (`tables.<name>.rows` in querylens.config.json; **default** `defaultTableRows` = 100 000 for tables and for CTEs/subqueries); joinedRows: rows after a key join, **default** the larger side; joinRowMs (**default** 0.0002 ms per pair); row width from the column types of both tables (**default** 4 × textWidthBytes when unknown). Current = pairs × joinRowMs + transfer of the pairs; fixed = one scan of each side + transfer of the joined rows.',
      whenNotToUse:
        'Deliberate products of two small sets (a calendar × a handful of categories) are fine: declare the small table `tiny` in the configuration, or suppress the line with `-- querylens-disable-next-line cartesian-join -- reason`.',
    },
  },
  check(ctx) {
    if (ctx.schema.sources.includes(ctx.file.path) || skipsFile(ctx)) return;
    for (const { site, models } of fileQueryModels(ctx.sqlSites(), ctx.schema)) {
      for (const model of models) for (const level of model.levels) checkLevel(ctx, site, model, level);
    }
  },
});
