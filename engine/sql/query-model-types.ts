/**
 * The query model's data types: FROM items and how they joined, CTEs, result
 * targets and stars, query levels, resolved column references, and the
 * model of one statement (see query-model.ts).
 */
import type { SchemaModel, TableInfo } from '../schema/types';
import type { SqlHole } from '../sources/types';
import type { Range } from '../types';
import type { PgNode, SqlToken } from './parser';

export type FromKind = 'table' | 'cte' | 'subquery' | 'function' | 'values';

/** How a FROM item entered its level. */
export interface JoinVia {
  /** 'first': the first item of the FROM list; 'list': a later comma-separated item; 'join': the right side of a JOIN. */
  kind: 'first' | 'list' | 'join';
  joinType?: 'inner' | 'left' | 'right' | 'full';
  /** CROSS JOIN (a join with neither ON, USING nor NATURAL). */
  cross?: boolean;
  natural?: boolean;
  using?: string[];
  /** The ON expression, when there is one. */
  quals?: PgNode;
  /** Items on the left side of the join that brought this item in. */
  leftItems?: FromItem[];
  /** The JoinExpr's right side held several items (a parenthesised join). */
  rightItems?: FromItem[];
}

export interface FromItem {
  kind: FromKind;
  /** Position in the level's FROM order (left to right as written). */
  index: number;
  level: QueryLevel;
  /** Table, CTE or (first) function name as PostgreSQL sees it (unquoted names folded). */
  name?: string;
  schemaName?: string;
  alias?: string;
  /** Column aliases given in `AS x(a, b)`. */
  columnAliases?: string[];
  /** The name by which columns refer to it: alias, else table/CTE name. */
  refName?: string;
  /** The name was written as a quoted identifier. */
  quoted: boolean;
  /** Extent of the reference: the (possibly qualified) name of a table/CTE, the function call, or the subquery's alias. */
  range: Range;
  lateral: boolean;
  table?: TableInfo;
  cte?: CteDef;
  /** For subqueries: every arm of the subquery (several for UNION). */
  subquery?: QueryLevel[];
  functionNames?: string[];
  /** Rows of a VALUES list. */
  valuesRows?: number;
  via: JoinVia;
  node: PgNode;
  /** The name is an interpolation not known statically (`FROM ${table}`): an unknown relation. */
  unknownName?: boolean;
}

export interface CteDef {
  name: string;
  /** Arms of the CTE's query (several for UNION). */
  arms: QueryLevel[];
  recursive: boolean;
  range: Range;
}

export interface StarTarget {
  /** `t` of `t.*` (or `s.t`), absent for a bare `*`. */
  qualifier?: string[];
  /** Extent of `*` or `t.*`. */
  range: Range;
  /** The FROM items the star expands to. */
  items: FromItem[];
  /** `TABLE t`: a star PostgreSQL adds, not written; `range` is then the table name. */
  implicit?: boolean;
}

export interface Target {
  node: PgNode;
  /** The output column name (alias, or the column's own name), when known. */
  name?: string;
  star?: StarTarget;
}

export type LevelRole =
  /** The statement's own SELECT (each arm of a top-level UNION too). */
  | 'top'
  | 'cte'
  | 'from-subquery'
  | 'sublink'
  /** The SELECT feeding INSERT … SELECT. */
  | 'insert-source'
  /** The table-reading part of UPDATE … FROM / DELETE … USING. */
  | 'dml';

export interface QueryLevel {
  id: number;
  role: LevelRole;
  /** Whether this level's result list is sent to the application. */
  returnsRows: boolean;
  /** For sublinks: EXISTS_SUBLINK, ANY_SUBLINK (IN), EXPR_SUBLINK (scalar), ... */
  sublinkType?: string;
  parent?: QueryLevel;
  /** The expression of the parent level this level sits in (a WHERE conjunct, an ON, a target), for sublinks and lateral items. */
  origin?: PgNode;
  node: PgNode;
  statement: 'select' | 'values' | 'update' | 'delete';
  from: FromItem[];
  /** For UPDATE/DELETE: the target relation (also from[0]). */
  dmlTarget?: FromItem;
  /** Top-level AND conjuncts of WHERE. */
  where: PgNode[];
  /** Top-level AND conjuncts of every JOIN … ON, with the item the join brought in. */
  joinQuals: { conjunct: PgNode; item: FromItem }[];
  targets: Target[];
  orderBy: PgNode[];
  /** A constant LIMIT, 'param' for `LIMIT $1`, undefined when there is none. */
  limit?: number | 'param';
  groupBy: boolean;
  /** SELECT DISTINCT / DISTINCT ON. */
  distinct: boolean;
  having?: PgNode;
  /** Rows of a VALUES level. */
  valuesRows?: number;
  /** Arms of the set operation this level belongs to (itself included), or just [itself]. */
  setArms: QueryLevel[];
  /** CTEs visible at this level, innermost first. */
  ctes: Map<string, CteDef>;
  children: QueryLevel[];
  model: QueryModel;
}

export interface ColumnRefInfo {
  node: PgNode;
  fields: string[];
  column: string;
  qualifier?: string[];
  range: Range;
  /** The level whose text holds the reference. */
  level: QueryLevel;
  /** The FROM item it reads, when resolved (may belong to an ancestor level: a correlated reference). */
  item?: FromItem;
  /** When unresolved: the items that might own it (several tables without schema knowledge). */
  candidates: FromItem[];
  /** The reference lies in an interpolation not known statically (`"${col}"`): a column nobody can name. */
  inHole?: boolean;
}

export interface QueryModel {
  statementType: string;
  levels: QueryLevel[];
  sql: string;
  schema?: SchemaModel;
  /** Interpolations of the statement's source not resolved to constant text (SqlSite.holes). */
  holes: readonly SqlHole[];
  /** Part of the statement is SQL text nobody can read (a fragment hole): WHERE-based verdicts are off. */
  incomplete: boolean;
  /** Whether [start, end] overlaps an interpolation that may be more than a value (a name, a fragment, unknown). */
  opaqueAt(start: number, end: number): boolean;
  /** Extent of a node in the SQL text (identifier chains, calls, casts); a zero-length range when unknown. */
  rangeOf(node: PgNode): Range;
  resolve(level: QueryLevel, columnRef: PgNode): ColumnRefInfo;
  tokens(): SqlToken[];
}
