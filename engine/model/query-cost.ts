/**
 * One execution of one query, as the cost model sees it: the query's shape
 * (table, filtered columns, selected columns, LIMIT, batched or not) from its
 * SQL or its ORM call, and the cost-model input for it now and after its fix
 * (an index for a filter no index serves). Every estimate that prices a query
 * execution goes through here — the N+1 rule per iteration, latency budgets
 * per contributor — so the same query costs the same everywhere.
 */
import type { ProjectServices } from '../context';
import { type ColumnInfo, findColumn, findModel, findTable, type TableInfo } from '../schema/types';
import type { QuerySite } from '../sources/query-sites';
import type { SqlSite } from '../sources/types';
import { nameList, unwrap } from '../sql/expr';
import { fileQueryModels, type QueryLevel } from '../sql/query-model';
import type { AssumptionSource } from '../types';
import { type Count, type CostModel, type QueryCostInput, typeWidth } from './index';
import type { ModelParams } from './params';
import { indexWorthIt, matchingRows } from './selectivity';

export interface QueryShape {
  table?: TableInfo;
  tableName?: string;
  kind: 'read' | 'write' | 'unknown';
  /** Columns compared in WHERE (resolved to the main table). */
  filters: string[];
  /**
   * The where has filters that could not be read (QuerySite.opaqueFilter: a where in a variable, a joined table's
   * column): how the table is reached is unknown, so it is not priced as a scan.
   */
  opaque?: boolean;
  /** Raw SQL: every WHERE term is `column = …` on the main table (undefined for ORM sites, whose ops are on the site). */
  equalityOnly?: boolean;
  selects?: string[] | '*';
  limit?: number;
  batched: boolean;
}

function leadingIndexed(t: TableInfo, col: string): { unique: boolean } | undefined {
  let best: { unique: boolean } | undefined;
  for (const ix of t.indexes) {
    if (ix.predicate) continue;
    if (ix.keys[0]?.column !== col) continue;
    const unique = ix.kind !== 'index' && ix.keys.length === 1;
    if (!best || unique) best = { unique };
  }
  return best;
}

export function sqlShape(site: SqlSite, project: ProjectServices): QueryShape | undefined {
  let models;
  try {
    models = fileQueryModels([site], project.schema(site.file))[0]?.models ?? [];
  } catch {
    return undefined;
  }
  const m = models[0];
  const top: QueryLevel | undefined = m?.levels.find((l) => l.role === 'top') ?? m?.levels[0];
  if (!m || !top) return undefined;
  const first = top.dmlTarget ?? top.from.find((f) => f.kind === 'table');
  const kind = /Insert|Update|Delete/.test(m.statementType) ? 'write' : m.statementType === 'SelectStmt' ? 'read' : 'unknown';
  const filters: string[] = [];
  let batched = false;
  let equalityOnly = true;
  for (const c of top.where) {
    const u = unwrap(c);
    if (u?.type !== 'A_Expr' || u.body.kind !== 'AEXPR_OP' || nameList(u.body.name).join('') !== '=') equalityOnly = false;
    if (u?.type === 'A_Expr' && (u.body.kind === 'AEXPR_OP_ANY' || u.body.kind === 'AEXPR_IN')) batched = true;
    if (u?.type === 'A_Expr' || u?.type === 'NullTest' || u?.type === 'BooleanTest') {
      const lhs = u.type === 'A_Expr' ? u.body.lexpr : u.body.arg;
      const lu = unwrap(lhs);
      if (lu?.type === 'ColumnRef') {
        const info = m.resolve(top, lhs);
        if (!first || !info.item || info.item === first) filters.push(info.column);
        else equalityOnly = false;
      } else equalityOnly = false;
    }
  }
  let selects: string[] | '*' | undefined;
  if (top.targets.some((t) => t.star)) selects = '*';
  else if (top.targets.length) selects = top.targets.map((t) => t.name ?? '?');
  return {
    table: first?.table,
    tableName: first?.name,
    kind,
    filters,
    equalityOnly: equalityOnly && filters.length === top.where.length,
    selects,
    limit: typeof top.limit === 'number' ? top.limit : undefined,
    batched,
  };
}

export function siteShape(site: QuerySite, project: ProjectServices): QueryShape {
  if (site.sql) {
    const s = sqlShape(site.sql, project);
    if (s) return s;
  }
  const schema = project.schema(site.file);
  const name = site.table ?? site.entity;
  const table = name ? (findTable(schema, name) ?? findModel(schema, name)) : undefined;
  return {
    table,
    tableName: name,
    kind: site.kind,
    filters: site.filters.map((f) => findColumn(table, f.column)?.name ?? f.column),
    opaque: site.opaqueFilter || undefined,
    selects: site.selects,
    limit: site.limit,
    batched: site.batched,
  };
}

/** Bytes of one value of a column: pg_stats' avg_width when the stats snapshot has it, else from the type. */
export function columnWidth(table: TableInfo | undefined, col: ColumnInfo, params: ModelParams): number {
  const w = table?.stats?.columns?.[col.name]?.avgWidth;
  return w !== undefined && w > 0 ? w : typeWidth(col.type, params);
}

/** Rows of a table with where the figure comes from (config, the stats snapshot, or the default). */
export function tableRowsCount(t: TableInfo | undefined, model: CostModel, name?: string): Count {
  if (t?.rows !== undefined && t.rowsSource !== 'default') {
    const source: AssumptionSource = t.rowsSource === 'stats' ? 'stats' : 'config';
    return { value: t.rows, source, note: `rows of ${t.name}${source === 'stats' ? ' (reltuples in the stats snapshot)' : ''}` };
  }
  const n = t?.name ?? name ?? 'table';
  return { value: model.params.defaultTableRows, source: 'default', note: `rows of ${n} unknown; set tables.${n}.rows in querylens.config.json or run querylens stats pull` };
}

/** One execution priced: the cost-model input now and after the query's own fix, with the counts behind it. */
export interface QueryPrice {
  now: QueryCostInput;
  fixed: QueryCostInput;
  /** Rows of the table read (what a sequential scan reads). */
  tableRows: Count;
  /** Rows one execution returns. */
  rows: Count;
  /** What the fix is, in words (an index for a filter no index serves). */
  fix?: string;
}

/** The cost-model input for one execution of a query, and its fixed form. */
export function queryInput(shape: QueryShape, model: CostModel): QueryPrice {
  const p = model.params;
  const t = shape.table;
  const tableCount = tableRowsCount(t, model, shape.tableName);
  const tableRows = tableCount.value;
  let rowBytes: number;
  let columns: number;
  if (t && shape.selects === '*') {
    columns = t.columns.size || p.defaultResultColumns;
    rowBytes = [...t.columns.values()].reduce((s, c) => s + columnWidth(t, c, p), 0) || columns * p.textWidthBytes;
  } else if (t && Array.isArray(shape.selects) && shape.selects.length) {
    columns = shape.selects.length;
    rowBytes = shape.selects.reduce((s, c) => {
      const col = findColumn(t, c);
      return s + (col ? columnWidth(t, col, p) : p.textWidthBytes);
    }, 0);
  } else {
    columns = p.defaultResultColumns;
    rowBytes = columns * p.textWidthBytes;
  }
  const idx = t ? shape.filters.map((c) => leadingIndexed(t, c)).filter((x) => x !== undefined) : [];
  const unique = idx.some((x) => x!.unique);
  const limit = shape.limit;
  // Rows the filters keep: from the stats snapshot's pg_stats when it has the columns, else the default.
  const matching: Count = (t && matchingRows(t, shape.filters.map((column) => ({ column, op: 'eq' })))) ?? {
    value: p.defaultMatchingRows,
    source: model.isConfigured('defaultMatchingRows') ? 'config' : 'default',
    note: 'rows matching the filter; default defaultMatchingRows',
  };
  const capped = (c: Count): Count => (limit !== undefined && limit < c.value ? { value: limit, source: 'code', note: 'LIMIT/take of the query' } : c);
  const price = (now: QueryCostInput, fixed: QueryCostInput, rows: Count, fix?: string): QueryPrice => ({ now, fixed, tableRows: tableCount, rows, fix });
  if (shape.kind === 'write' && shape.filters.length === 0) {
    // INSERT: one row written, nothing scanned.
    const q: QueryCostInput = { access: 'none', tableRows, rowsReturned: 1, rowBytes, columns };
    return price(q, q, { value: 1, source: 'code', note: 'one row written' });
  }
  if (!t || idx.length > 0 || shape.opaque) {
    const rows = unique ? { value: 1, source: 'schema' as const, note: 'equality on a unique key' } : capped(matching);
    const q: QueryCostInput = { access: shape.filters.length || shape.opaque || !t ? 'index' : 'seq', tableRows, rowsReturned: rows.value, rowBytes, columns };
    return price(q, q, rows);
  }
  if (shape.filters.length) {
    // Filtered on columns no index leads with: a sequential scan; fixed by an index, unless the
    // statistics say the filter keeps so many rows that the planner would scan anyway.
    const rows = capped(matching);
    if (matching.source === 'stats' && !indexWorthIt(matching.value / Math.max(1, tableRows), tableRows, p)) {
      const q: QueryCostInput = { access: 'seq', tableRows, rowsReturned: rows.value, rowBytes, columns };
      return price(q, q, rows);
    }
    return price(
      { access: 'seq', tableRows, rowsReturned: rows.value, rowBytes, columns },
      { access: 'index', tableRows, rowsReturned: rows.value, rowBytes, columns },
      rows,
      `index ${t.name}(${shape.filters[0]})`,
    );
  }
  // No filter: the whole table (or its first LIMIT rows).
  const rows = capped({ ...tableCount, note: `no filter: every row of ${t.name}` });
  const q: QueryCostInput = { access: limit !== undefined ? 'index' : 'seq', tableRows: limit !== undefined ? rows.value : tableRows, rowsReturned: rows.value, rowBytes, columns };
  return price(q, q, rows);
}
