/**
 * The measured workload of a query site: pg_stat_statements entries of the
 * stats snapshot matched to the code.
 *
 * Raw SQL matches by fingerprint (libpg-query's, which ignores constants,
 * parameter numbers and IN-list lengths: the code's `WHERE id = $1` and
 * pg_stat_statements' `WHERE id = $1` agree, whatever the whitespace). An
 * ORM call matches by the shape of the SQL its library generates: the
 * table, read or write, the filtered columns and the selected columns (all
 * of them when the call selects no columns) — Prisma's
 * `SELECT "public"."User"."id", … FROM "public"."User" WHERE ("public"."User"."email" = $1 AND 1=1) LIMIT $2 OFFSET $3`
 * is a read of User filtered on email selecting every column. Statements
 * that share a shape (other LIMITs, orders) add up. Pure; memoised per
 * snapshot.
 */
import type { ProjectServices } from '../context';
import { findColumn, type SchemaModel, type TableInfo } from '../schema/types';
import type { QuerySite } from '../sources/query-sites';
import type { SqlSite } from '../sources/types';
import { fingerprintSql, parseSql, type PgNode } from '../sql/parser';
import type { Measured, Range } from '../types';
import { siteShape } from '../model/query-cost';
import type { StatementStats, StatsSnapshot } from './snapshot';

interface WorkloadIndex {
  byFingerprint: Map<string, Measured>;
  byShape: Map<string, Measured>;
}

const memo = new WeakMap<StatsSnapshot, { schema: SchemaModel; index: WorkloadIndex }>();

function add(map: Map<string, Measured>, key: string, s: StatementStats, matchedBy: Measured['matchedBy']): void {
  const m = map.get(key);
  if (!m) {
    map.set(key, { calls: s.calls, meanMs: s.meanMs, totalMs: s.totalMs, rows: s.rows, matchedBy });
    return;
  }
  m.calls += s.calls;
  m.totalMs += s.totalMs;
  m.rows += s.rows;
  m.meanMs = m.calls ? m.totalMs / m.calls : 0;
}

/** The last name of a ColumnRef (`"public"."User"."email"` → email), or '*'. */
function columnName(node: PgNode): string | undefined {
  const ref = node?.ColumnRef;
  if (!ref) return undefined;
  const last = ref.fields?.[ref.fields.length - 1];
  if (last?.A_Star) return '*';
  return last?.String?.sval;
}

/** Columns compared in a WHERE tree (comparisons, IN, IS NULL, LIKE), conjuncts and disjuncts alike. */
function filterColumns(node: PgNode, out: Set<string>): void {
  if (!node || typeof node !== 'object') return;
  if (node.BoolExpr) {
    for (const a of node.BoolExpr.args ?? []) filterColumns(a, out);
    return;
  }
  if (node.A_Expr) {
    for (const side of [node.A_Expr.lexpr, node.A_Expr.rexpr]) {
      const c = columnName(side);
      if (c && c !== '*') out.add(c);
    }
    return;
  }
  if (node.NullTest) {
    const c = columnName(node.NullTest.arg);
    if (c) out.add(c);
  }
}

interface StatementShape {
  schema?: string;
  table: string;
  kind: 'read' | 'write';
  filters: string[];
  /** Selected columns; undefined for writes, ['*'] for SELECT *. */
  selects?: string[];
}

/** The shape of a single-table statement (the SQL an ORM generates); undefined for joins and the rest. */
export function statementShape(stmt: { type: string; node: PgNode }): StatementShape | undefined {
  const body = stmt.node[stmt.type];
  let rel: PgNode;
  let where: PgNode;
  let kind: 'read' | 'write' = 'write';
  let selects: string[] | undefined;
  if (stmt.type === 'SelectStmt') {
    if (body.fromClause?.length !== 1 || !body.fromClause[0].RangeVar) return undefined;
    rel = body.fromClause[0].RangeVar;
    where = body.whereClause;
    kind = 'read';
    selects = [];
    for (const t of body.targetList ?? []) {
      const c = columnName(t.ResTarget?.val);
      if (!c) return undefined;
      selects.push(c);
    }
  } else if (stmt.type === 'UpdateStmt' || stmt.type === 'DeleteStmt' || stmt.type === 'InsertStmt') {
    rel = body.relation;
    where = body.whereClause;
  } else return undefined;
  if (!rel?.relname) return undefined;
  const filters = new Set<string>();
  filterColumns(where, filters);
  return { schema: rel.schemaname, table: rel.relname, kind, filters: [...filters].sort(), selects };
}

function shapeKey(table: TableInfo, kind: string, filters: Iterable<string>, selects: Iterable<string> | undefined): string {
  return `${table.schema}.${table.name}|${kind}|${[...filters].sort().join(',')}|${selects ? [...selects].sort().join(',') : ''}`;
}

/** Columns a select list names, `*` meaning all of the table's. */
function selectedColumns(table: TableInfo, selects: readonly string[]): string[] | undefined {
  if (selects.includes('*')) return [...table.columns.keys()];
  const out: string[] = [];
  for (const s of selects) {
    const c = findColumn(table, s);
    if (!c) return undefined;
    out.push(c.name);
  }
  return out;
}

function buildIndex(snapshot: StatsSnapshot, schema: SchemaModel): WorkloadIndex {
  const byFingerprint = new Map<string, Measured>();
  const byShape = new Map<string, Measured>();
  for (const s of snapshot.statements ?? []) {
    const fp = fingerprintSql(s.query);
    if (fp) add(byFingerprint, fp, s, 'fingerprint');
    const parsed = parseSql(s.query);
    if (parsed.errors.length || parsed.statements.length !== 1) continue;
    const shape = statementShape(parsed.statements[0]);
    if (!shape) continue;
    const table = schema.tables.get(`${shape.schema ?? 'public'}.${shape.table}`) ?? [...schema.tables.values()].find((t) => t.name === shape.table);
    if (!table) continue;
    const selects = shape.selects ? selectedColumns(table, shape.selects) : undefined;
    if (shape.selects && !selects) continue;
    add(byShape, shapeKey(table, shape.kind, shape.filters, selects), s, 'shape');
  }
  return { byFingerprint, byShape };
}

function indexFor(schema: SchemaModel): WorkloadIndex | undefined {
  const snap = schema.stats?.snapshot;
  if (!snap?.statements?.length) return undefined;
  const hit = memo.get(snap);
  if (hit && hit.schema === schema) return hit.index;
  const index = buildIndex(snap, schema);
  memo.set(snap, { schema, index });
  return index;
}

/** The measured workload of the statement of `sql` that contains `at` (an offset in the SQL), or of its only statement. */
export function measuredSql(schema: SchemaModel, site: SqlSite, at?: number): Measured | undefined {
  const index = indexFor(schema);
  if (!index) return undefined;
  const stmts = site.parsed?.statements ?? parseSql(site.sql).statements;
  const stmt = at === undefined ? (stmts.length === 1 ? stmts[0] : undefined) : stmts.find((s) => s.start <= at && at <= s.end);
  if (!stmt) return undefined;
  const fp = fingerprintSql(site.sql.slice(stmt.start, stmt.end));
  const m = fp ? index.byFingerprint.get(fp) : undefined;
  return m ? { ...m } : undefined;
}

/** The measured workload of an ORM call (or of the raw SQL it runs), or undefined. */
export function measuredSite(project: ProjectServices, site: QuerySite): Measured | undefined {
  const schema = project.schema();
  const index = indexFor(schema);
  if (!index || !site.executes) return undefined;
  if (site.sql) return measuredSql(schema, site.sql);
  const shape = siteShape(site, project);
  const t = shape.table;
  if (!t || shape.kind === 'unknown') return undefined;
  const selects = shape.kind === 'read' ? (shape.selects === '*' || !shape.selects ? [...t.columns.keys()] : selectedColumns(t, shape.selects)) : undefined;
  if (shape.kind === 'read' && !selects) return undefined;
  const m = index.byShape.get(shapeKey(t, shape.kind, new Set(shape.filters), selects));
  return m ? { ...m } : undefined;
}

/** Whether the schema carries a measured workload at all (skip the matching otherwise). */
export function hasWorkload(schema: SchemaModel): boolean {
  return !!schema.stats?.snapshot.statements?.length;
}

/** The offset in `site.sql` of a file range inside the site's literal, when it maps (for SQL findings). */
export function sqlOffsetOf(site: SqlSite, r: Range): number | undefined {
  for (const seg of site.segments) {
    const len = seg.fileLength ?? seg.length;
    if (r.start >= seg.fileStart && r.start <= seg.fileStart + len) return seg.sqlStart + Math.min(seg.length, r.start - seg.fileStart);
  }
  return undefined;
}
