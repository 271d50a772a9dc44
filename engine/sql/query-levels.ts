/**
 * Questions rules ask of a built query model: the conjuncts and column
 * references of a level's expressions, its sublink levels, output columns,
 * whether it returns one row, labels of FROM items, the tables a star reads
 * whole, and whether a unique key filters a table.
 */
import type { TableInfo } from '../schema/types';
import { nameList, unwrap } from './expr';
import { quoteIdent } from './ident';
import type { PgNode } from './parser';
import type { FromItem, QueryLevel, QueryModel } from './query-model-types';

/** Set-returning functions with one output column (named after the alias, else the function). */
const SINGLE_COLUMN_FUNCTIONS = new Set([
  'generate_series',
  'unnest',
  'json_array_elements',
  'jsonb_array_elements',
  'json_array_elements_text',
  'jsonb_array_elements_text',
  'regexp_split_to_table',
  'string_to_table',
  'generate_subscripts',
  'json_object_keys',
  'jsonb_object_keys',
]);

/** Set-returning functions common in FROM lists; anything else in FROM is still a function item. */
export const SET_RETURNING_FUNCTIONS = new Set([
  ...SINGLE_COLUMN_FUNCTIONS,
  'json_each',
  'jsonb_each',
  'json_each_text',
  'jsonb_each_text',
  'json_to_recordset',
  'jsonb_to_recordset',
  'regexp_matches',
]);

const AGGREGATES = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'array_agg',
  'string_agg',
  'json_agg',
  'jsonb_agg',
  'json_object_agg',
  'jsonb_object_agg',
  'bool_and',
  'bool_or',
  'every',
  'bit_and',
  'bit_or',
  'stddev',
  'variance',
  'percentile_cont',
  'percentile_disc',
  'mode',
]);

/** Splits an expression into its top-level AND conjuncts. */
export function conjuncts(node: PgNode | undefined): PgNode[] {
  if (!node) return [];
  const u = unwrap(node);
  if (u?.type === 'BoolExpr' && u.body.boolop === 'AND_EXPR') return (u.body.args ?? []).flatMap(conjuncts);
  return [node];
}

/**
 * Visits nodes of an expression that belong to its own level: it does not
 * descend into sublink subqueries (their test expression does belong here).
 */
export function walkLevel(node: PgNode, visit: (type: string, body: PgNode, wrapper: PgNode) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walkLevel(n, visit);
    return;
  }
  const keys = Object.keys(node);
  if (keys.length === 1 && /^[A-Z]/.test(keys[0]) && node[keys[0]] && typeof node[keys[0]] === 'object') {
    const type = keys[0];
    const body = node[type];
    visit(type, body, node);
    if (type === 'SubLink') {
      if (body.testexpr) walkLevel(body.testexpr, visit);
      return;
    }
    if (type === 'SelectStmt' || type === 'RangeSubselect') return;
    walkLevel(body, visit);
    return;
  }
  for (const k of keys) {
    const v = node[k];
    if (v && typeof v === 'object') walkLevel(v, visit);
  }
}

/** Column references of an expression at its own level (not inside sublinks). */
export function columnRefsOf(node: PgNode): PgNode[] {
  const out: PgNode[] = [];
  walkLevel(node, (type, _b, w) => {
    if (type === 'ColumnRef') out.push(w);
  });
  return out;
}

/** Levels created from sublinks inside `expr` (directly or nested), with all their descendants. */
export function sublinkLevelsOf(level: QueryLevel, expr: PgNode): QueryLevel[] {
  const out: QueryLevel[] = [];
  const add = (l: QueryLevel): void => {
    out.push(l);
    for (const c of l.children) add(c);
  };
  for (const c of level.children) if (c.origin === expr || (c.origin && contains(expr, c.origin))) add(c);
  return out;
}

function contains(haystack: PgNode, needle: PgNode): boolean {
  if (haystack === needle) return true;
  if (haystack === null || typeof haystack !== 'object') return false;
  if (Array.isArray(haystack)) return haystack.some((h) => contains(h, needle));
  for (const k of Object.keys(haystack)) {
    const v = haystack[k];
    if (v && typeof v === 'object' && contains(v, needle)) return true;
  }
  return false;
}

/** Output column names of a level (undefined when a star over unknown columns makes them unknowable). */
export function levelOutputColumns(level: QueryLevel, seen = new Set<QueryLevel>()): string[] | undefined {
  if (seen.has(level)) return undefined;
  seen.add(level);
  const out: string[] = [];
  for (const t of level.targets) {
    if (t.star) {
      for (const it of t.star.items) {
        const cols = fromItemColumns(it, seen);
        if (!cols) return undefined;
        out.push(...cols);
      }
    } else if (t.name) out.push(t.name);
    else {
      const f = t.node?.FuncCall;
      if (f) out.push(nameList(f.funcname).pop() ?? '?');
      else return undefined;
    }
  }
  return out;
}

/** Columns of a FROM item when knowable. */
export function fromItemColumns(item: FromItem, seen = new Set<QueryLevel>()): string[] | undefined {
  if (item.columnAliases?.length && item.kind !== 'table') return item.columnAliases;
  if (item.kind === 'table') {
    if (!item.table) return undefined;
    const cols = [...item.table.columns.keys()];
    if (item.columnAliases) return [...item.columnAliases, ...cols.slice(item.columnAliases.length)];
    return cols;
  }
  if (item.kind === 'cte') return item.cte?.arms[0] ? levelOutputColumns(item.cte.arms[0], seen) : undefined;
  if (item.kind === 'subquery') return item.subquery?.[0] ? levelOutputColumns(item.subquery[0], seen) : undefined;
  // A single-column function without column aliases names its column after the alias, else after the function.
  if (item.kind === 'function' && item.functionNames?.length === 1 && SINGLE_COLUMN_FUNCTIONS.has(item.functionNames[0])) {
    return [item.alias ?? item.functionNames[0]];
  }
  return undefined;
}

/** Whether a level returns at most one row: an aggregate without GROUP BY, LIMIT 1, a one-row VALUES, or a SELECT with no FROM. */
export function isSingleRow(level: QueryLevel): boolean {
  if (level.setArms.length > 1) return false;
  if (level.statement === 'values') return level.valuesRows === 1;
  if (level.statement !== 'select') return false;
  if (level.limit === 1 || level.limit === 0) return true;
  const hasSrf = level.targets.some((t) => {
    let srf = false;
    walkLevel(t.node, (type, body) => {
      if (type === 'FuncCall' && SET_RETURNING_FUNCTIONS.has(nameList(body.funcname).pop()?.toLowerCase() ?? '')) srf = true;
    });
    return srf;
  });
  if (hasSrf) return false;
  if (level.from.length === 0) return true;
  if (level.groupBy) return false;
  // An aggregate with no GROUP BY returns exactly one row.
  return level.targets.length > 0 && level.targets.some((t) => isAggregateCall(t.node));
}

/** An aggregate call (count/sum/max …, not a window call). */
export function isAggregateCall(node: PgNode): boolean {
  const f = node?.FuncCall;
  if (!f || f.over) return false;
  if (f.agg_star) return true;
  return AGGREGATES.has(nameList(f.funcname).pop()?.toLowerCase() ?? '');
}

/** A display name for a FROM item: `schema.table`, the CTE name, the subquery alias, the function. */
export function itemLabel(item: FromItem): string {
  if (item.kind === 'table') {
    const q = (x: string): string => (item.quoted ? quoteIdent(x) : x);
    const n = item.schemaName ? `${q(item.schemaName)}.${q(item.name ?? '?')}` : q(item.name ?? '?');
    return item.alias && item.alias !== item.name ? `${n} (${item.alias})` : n;
  }
  if (item.kind === 'cte') return `CTE ${item.name}`;
  if (item.kind === 'function') return `${item.name}()`;
  if (item.kind === 'values') return `VALUES ${item.alias ?? ''}`.trim();
  return `subquery ${item.alias ?? ''}`.trim();
}

/** The tables whose every column a star (or a FROM item read whole) fetches, following CTEs and subqueries. */
export function tablesReadWhole(item: FromItem, seen = new Set<FromItem>()): FromItem[] {
  if (seen.has(item)) return [];
  seen.add(item);
  if (item.kind === 'table') return [item];
  const arms = item.kind === 'cte' ? item.cte?.arms : item.kind === 'subquery' ? item.subquery : undefined;
  if (!arms) return [];
  const out: FromItem[] = [];
  for (const arm of arms) for (const t of arm.targets) if (t.star) for (const it of t.star.items) out.push(...tablesReadWhole(it, seen));
  return out;
}

/** The expressions written at a level (not inside its sublinks): WHERE, ON, targets, ORDER BY, HAVING, FROM function calls. */
export function levelExpressions(level: QueryLevel): PgNode[] {
  const out: PgNode[] = [...level.where, ...level.joinQuals.map((j) => j.conjunct), ...level.targets.map((t) => t.node), ...level.orderBy];
  if (level.having) out.push(level.having);
  for (const f of level.from) if (f.kind === 'function') out.push(f.node);
  const n = unwrap(level.node);
  if (level.statement === 'values' && n) out.push(n.body.valuesLists);
  if ((level.statement === 'update' || level.statement === 'delete') && n) out.push(n.body.targetList ?? [], n.body.returningList ?? []);
  return out.filter((x) => x);
}

/**
 * The columns of a table item that the level pins by equality to a value that reads none of its items (a
 * constant, a parameter or an outer reference), in WHERE or in a join's ON (`JOIN li ON li.id = $1`).
 */
export function pinnedColumns(model: QueryModel, level: QueryLevel, item: FromItem): Set<string> {
  const eqCols = new Set<string>();
  for (const c of [...level.where, ...level.joinQuals.map((j) => j.conjunct)]) {
    const e = unwrap(c);
    if (e?.type !== 'A_Expr' || e.body.kind !== 'AEXPR_OP' || nameList(e.body.name).join('') !== '=') continue;
    for (const [col, val] of [
      [e.body.lexpr, e.body.rexpr],
      [e.body.rexpr, e.body.lexpr],
    ]) {
      if (!col?.ColumnRef) continue;
      const ref = model.resolve(level, col);
      if (ref.item !== item) continue;
      // The value must not read this level's items (a constant, parameter or outer reference).
      if (columnRefsOf(val).some((r) => model.resolve(level, r).item?.level === level)) continue;
      eqCols.add(ref.column);
    }
  }
  return eqCols;
}

/**
 * Whether a table item is filtered by equality on every column of its
 * primary key or of a (non-partial) unique index: it returns at most one row.
 */
export function uniquelyFiltered(model: QueryModel, level: QueryLevel, item: FromItem, t: TableInfo): boolean {
  const eqCols = pinnedColumns(model, level, item);
  if (!eqCols.size) return false;
  return t.indexes.some(
    (ix) => (ix.kind === 'primary' || ix.kind === 'unique') && !ix.predicate && ix.keys.length > 0 && ix.keys.every((k) => k.column && eqCols.has(k.column)),
  );
}

