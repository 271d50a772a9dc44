/**
 * A model of one SQL statement's query structure, per query level: the FROM
 * items (tables, CTE references, subqueries, set-returning functions,
 * VALUES), how they are joined, the WHERE conjuncts, the result list, ORDER
 * BY / LIMIT, and the nested levels (CTEs, FROM subqueries, set-operation
 * arms, EXISTS/IN/scalar sublinks). Column references resolve to the FROM
 * item they read, through aliases, the only item, or the schema.
 *
 * Offsets here are UTF-16 offsets in the parsed SQL text (`SqlSite.sql`);
 * rules map them to the file with `sqlRangeToFile`. Extents come from the
 * scanner's tokens: the parser gives only start locations.
 *
 * Pure: built from a parsed statement, its SQL text and (optionally) the
 * schema. With no schema, unqualified columns in multi-table levels stay
 * unresolved rather than guessed.
 */
import type { SchemaModel, TableInfo } from '../schema/types';
import { findTable } from '../schema/types';
import type { HoleKind, SqlHole, SqlSite } from '../sources/types';
import type { Range } from '../types';
import { nameList, unwrap } from './expr';
import { type ParsedStatement, type PgNode, type SqlToken, scanSql } from './parser';
import { quoteIdent } from './ident';

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

/** Set-returning functions common in FROM lists; anything else in FROM is still a function item. */
export const SET_RETURNING_FUNCTIONS = new Set([
  'generate_series',
  'unnest',
  'json_array_elements',
  'jsonb_array_elements',
  'json_array_elements_text',
  'jsonb_array_elements_text',
  'json_each',
  'jsonb_each',
  'json_each_text',
  'jsonb_each_text',
  'json_to_recordset',
  'jsonb_to_recordset',
  'regexp_matches',
  'regexp_split_to_table',
  'string_to_table',
  'generate_subscripts',
  'json_object_keys',
  'jsonb_object_keys',
]);

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

function isIdentLike(t: SqlToken | undefined): boolean {
  return !!t && /^[A-Za-z_"\u0080-\uffff]/.test(t.text);
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_REST = /[A-Za-z0-9_$\u0080-\uffff]*/y;
const OPERATOR = /[+\-*/<>=~!@#%^&|`?]+/y;
const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const DOLLAR_TAG = /\$([A-Za-z_][A-Za-z_0-9]*)?\$/y;

/**
 * A small lexer that reads PostgreSQL tokens forward from any offset, on
 * demand. Extents of identifiers, calls and casts need only the few tokens
 * after a node's location; scanning the whole statement with the parser's
 * scanner (a WebAssembly round trip) cost more than the parse itself.
 * Strings, quoted identifiers, dollar quotes and comments are single units,
 * so their contents never count as parentheses.
 */
export class LocalLexer {
  private readonly memo = new Map<number, SqlToken | null>();
  constructor(readonly sql: string) {}

  private skipTrivia(p: number): number {
    const s = this.sql;
    for (;;) {
      while (p < s.length && /\s/.test(s[p])) p++;
      if (s.startsWith('--', p)) {
        const nl = s.indexOf('\n', p);
        p = nl < 0 ? s.length : nl + 1;
      } else if (s.startsWith('/*', p)) {
        let depth = 1;
        p += 2;
        while (p < s.length && depth > 0) {
          if (s.startsWith('/*', p)) {
            depth++;
            p += 2;
          } else if (s.startsWith('*/', p)) {
            depth--;
            p += 2;
          } else p++;
        }
      } else return p;
    }
  }

  private quoted(p: number, q: string, backslash: boolean): number {
    const s = this.sql;
    let i = p + 1;
    while (i < s.length) {
      if (backslash && s[i] === '\\') i += 2;
      else if (s[i] === q) {
        if (s[i + 1] === q) i += 2;
        else return i + 1;
      } else i++;
    }
    return s.length;
  }

  private tokenEnd(p: number): number {
    const s = this.sql;
    const c = s[p];
    if (c === "'") return this.quoted(p, "'", false);
    if (c === '"') return this.quoted(p, '"', false);
    if (/[eEbBxXnN]/.test(c) && s[p + 1] === "'") return this.quoted(p + 1, "'", c === 'e' || c === 'E');
    if (c === '$') {
      if (/\d/.test(s[p + 1] ?? '')) {
        let i = p + 1;
        while (/\d/.test(s[i] ?? '')) i++;
        return i;
      }
      DOLLAR_TAG.lastIndex = p;
      const m = DOLLAR_TAG.exec(s);
      if (m) {
        const close = s.indexOf(m[0], p + m[0].length);
        return close < 0 ? s.length : close + m[0].length;
      }
      return p + 1;
    }
    if (IDENT_START.test(c)) {
      IDENT_REST.lastIndex = p + 1;
      IDENT_REST.exec(s);
      return IDENT_REST.lastIndex;
    }
    if (/\d/.test(c) || (c === '.' && /\d/.test(s[p + 1] ?? ''))) {
      NUMBER.lastIndex = p;
      return NUMBER.exec(s) ? NUMBER.lastIndex : p + 1;
    }
    if (c === ':' && s[p + 1] === ':') return p + 2;
    if (c === '*') return p + 1;
    OPERATOR.lastIndex = p;
    if (OPERATOR.exec(s)) {
      // `*` and a following operator run are separate when the star ends a chain (`t.*,`); operators never include `*` first here.
      return OPERATOR.lastIndex;
    }
    return p + 1;
  }

  /** The first token at or after `pos`. */
  next(pos: number): SqlToken | undefined {
    const hit = this.memo.get(pos);
    if (hit !== undefined) return hit ?? undefined;
    const start = this.skipTrivia(pos);
    let tok: SqlToken | null = null;
    if (start < this.sql.length) {
      const end = this.tokenEnd(start);
      tok = { start, end, text: this.sql.slice(start, end), name: '' };
    }
    this.memo.set(pos, tok);
    return tok ?? undefined;
  }

  /** The token starting exactly at `offset`. */
  at(offset: number): SqlToken | undefined {
    if (offset < 0) return undefined;
    const t = this.next(offset);
    return t && t.start === offset ? t : undefined;
  }

  /** The last token of an identifier chain `a.b.c` / `t.*` starting with `t`. */
  chainEnd(t: SqlToken): SqlToken {
    let cur = t;
    for (;;) {
      const dot = this.next(cur.end);
      if (dot?.text !== '.') return cur;
      const n = this.next(dot.end);
      if (!n || !(isIdentLike(n) || n.text === '*')) return cur;
      cur = n;
      if (n.text === '*') return cur;
    }
  }

  /** The `)` matching the `(` token `open` (or the last token when unbalanced). */
  matchParen(open: SqlToken): SqlToken {
    let depth = 0;
    let last = open;
    for (let t: SqlToken | undefined = open; t; t = this.next(t.end)) {
      last = t;
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) return t;
    }
    return last;
  }
}

class Builder {
  private nextId = 0;
  private tokenCache?: SqlToken[];
  private refCache = new Map<PgNode, ColumnRefInfo>();
  readonly model: QueryModel;
  readonly lex: LocalLexer;

  constructor(
    readonly sql: string,
    readonly schema: SchemaModel | undefined,
    statementType: string,
    readonly holes: readonly SqlHole[] = [],
  ) {
    this.lex = new LocalLexer(sql);
    const opaque = holes.filter((h) => h.kind !== 'value');
    this.model = {
      statementType,
      levels: [],
      sql,
      schema,
      holes,
      // A fragment left out after the last token (`… FROM t\n  ${where}\n`) still belongs to the statement: any fragment of the site counts.
      incomplete: opaque.some((h) => h.kind === 'fragment'),
      opaqueAt: (start, end) => opaque.some((h) => (h.start === h.end ? h.start >= start && h.start <= end : h.start < Math.max(end, start + 1) && h.end > start)),
      rangeOf: (n) => this.rangeOf(n),
      resolve: (l, n) => this.resolve(l, n),
      tokens: () => this.tokens(),
    };
  }

  tokens(): SqlToken[] {
    return (this.tokenCache ??= scanSql(this.sql));
  }

  /** Extent of an identifier chain starting exactly at `location`. */
  chainRange(location: number): Range {
    if (location < 0) return { start: 0, end: 0 };
    const t = this.lex.at(location);
    if (!t) return { start: location, end: location };
    return { start: t.start, end: this.lex.chainEnd(t).end };
  }

  rangeOf(node: PgNode): Range {
    const u = unwrap(node);
    if (!u) return { start: 0, end: 0 };
    const b = u.body;
    const lex = this.lex;
    switch (u.type) {
      case 'ColumnRef':
      case 'RangeVar':
        return this.chainRange(b.location ?? -1);
      case 'FuncCall': {
        const t = lex.at(b.location ?? -1);
        if (!t) return { start: b.location ?? 0, end: b.location ?? 0 };
        let last = lex.chainEnd(t);
        const open = lex.next(last.end);
        if (open?.text === '(') last = lex.matchParen(open);
        return { start: t.start, end: last.end };
      }
      case 'TypeCast': {
        const t = lex.at(b.location ?? -1);
        if (t && /^cast$/i.test(t.text)) {
          const open = lex.next(t.end);
          if (open?.text === '(') return { start: t.start, end: lex.matchParen(open).end };
        }
        const arg = this.rangeOf(b.arg);
        const tt = lex.at(b.typeName?.location ?? -1);
        if (!tt) return arg;
        let last = lex.chainEnd(tt);
        const open = lex.next(last.end);
        if (open?.text === '(') last = lex.matchParen(open);
        for (;;) {
          const l = lex.next(last.end);
          const r = l?.text === '[' ? lex.next(l.end) : undefined;
          if (!r || r.text !== ']') break;
          last = r;
        }
        return { start: Math.min(arg.start, tt.start), end: last.end };
      }
      default: {
        const loc = typeof b?.location === 'number' && b.location >= 0 ? b.location : 0;
        return { start: loc, end: loc };
      }
    }
  }

  private newLevel(role: LevelRole, node: PgNode, parent: QueryLevel | undefined, ctes: Map<string, CteDef>): QueryLevel {
    const level: QueryLevel = {
      id: this.nextId++,
      role,
      returnsRows: role === 'top',
      parent,
      node,
      statement: 'select',
      from: [],
      where: [],
      joinQuals: [],
      targets: [],
      orderBy: [],
      groupBy: false,
      distinct: false,
      setArms: [],
      ctes,
      children: [],
      model: this.model,
    };
    level.setArms = [level];
    this.model.levels.push(level);
    if (parent) parent.children.push(level);
    return level;
  }

  /** WITH clause → CTE definitions visible to the statement (and to later CTEs). */
  private withClause(withClause: PgNode | undefined, parent: QueryLevel | undefined, outer: Map<string, CteDef>): Map<string, CteDef> {
    if (!withClause?.ctes?.length) return outer;
    const ctes = new Map(outer);
    const recursive = !!withClause.recursive;
    for (const c of withClause.ctes) {
      const cte = c.CommonTableExpr;
      if (!cte) continue;
      const def: CteDef = { name: cte.ctename, arms: [], recursive, range: this.chainRange(cte.location ?? -1) };
      // A recursive CTE sees itself; a plain one sees only earlier CTEs.
      if (recursive) ctes.set(def.name, def);
      def.arms = this.anyStatement(cte.ctequery, 'cte', parent, ctes);
      ctes.set(def.name, def);
    }
    return ctes;
  }

  /** Builds levels for a SELECT/INSERT/UPDATE/DELETE node; returns the arms of its result (for SELECT). */
  anyStatement(node: PgNode, role: LevelRole, parent: QueryLevel | undefined, ctes: Map<string, CteDef>, origin?: PgNode): QueryLevel[] {
    const u = unwrap(node);
    if (!u) return [];
    switch (u.type) {
      case 'SelectStmt':
        return this.select(u.body, role, parent, ctes, origin);
      case 'InsertStmt': {
        const inner = this.withClause(u.body.withClause, parent, ctes);
        // The SELECT of INSERT … SELECT feeds a table, not the application.
        if (u.body.selectStmt) this.anyStatement(u.body.selectStmt, 'insert-source', parent, inner, origin);
        return [];
      }
      case 'UpdateStmt':
      case 'DeleteStmt':
        return [this.dml(u.type, u.body, parent, ctes, origin)];
      default:
        return [];
    }
  }

  private dml(type: string, b: PgNode, parent: QueryLevel | undefined, outer: Map<string, CteDef>, origin?: PgNode): QueryLevel {
    const ctes = this.withClause(b.withClause, parent, outer);
    const level = this.newLevel('dml', { [type]: b }, parent, ctes);
    level.statement = type === 'UpdateStmt' ? 'update' : 'delete';
    level.origin = origin;
    level.returnsRows = false;
    const target = this.rangeVar({ RangeVar: b.relation }, level, { kind: 'first' }, false);
    if (target) {
      level.from.push(target);
      level.dmlTarget = target;
    }
    const extra: PgNode[] = type === 'UpdateStmt' ? (b.fromClause ?? []) : (b.usingClause ?? []);
    for (const f of extra) this.fromEntry(f, level, { kind: 'list' });
    level.where = conjuncts(b.whereClause);
    // Sublinks are built per conjunct, so each knows the conjunct it sits in.
    for (const c of level.where) this.sublinks(c, level);
    for (const t of b.targetList ?? []) if (t.ResTarget?.val) this.sublinks(t.ResTarget.val, level, t);
    for (const t of b.returningList ?? []) if (t.ResTarget?.val) this.sublinks(t.ResTarget.val, level, t);
    return level;
  }

  private select(b: PgNode, role: LevelRole, parent: QueryLevel | undefined, outer: Map<string, CteDef>, origin?: PgNode): QueryLevel[] {
    const ctes = this.withClause(b.withClause, parent, outer);
    if (b.op && b.op !== 'SETOP_NONE') {
      // Each arm of UNION/INTERSECT/EXCEPT is a level of the same role.
      const arms = [
        ...this.select(b.larg, role, parent, ctes, origin),
        ...this.select(b.rarg, role, parent, ctes, origin),
      ];
      const lim = this.limitOf(b);
      for (const a of arms) {
        a.setArms = arms;
        if (lim !== undefined && a.limit === undefined) a.limit = lim;
      }
      return arms;
    }
    const level = this.newLevel(role, { SelectStmt: b }, parent, ctes);
    level.origin = origin;
    if (b.valuesLists) {
      level.statement = 'values';
      level.valuesRows = b.valuesLists.length;
      for (const row of b.valuesLists) this.sublinks(row, level);
      return [level];
    }
    for (const f of b.fromClause ?? []) this.fromEntry(f, level, { kind: level.from.length === 0 ? 'first' : 'list' });
    level.where = conjuncts(b.whereClause);
    // Sublinks are built per conjunct, so each knows the conjunct it sits in.
    for (const c of level.where) this.sublinks(c, level);
    if (b.havingClause) this.sublinks(b.havingClause, level);
    level.having = b.havingClause;
    level.groupBy = !!b.groupClause?.length;
    level.distinct = !!b.distinctClause;
    for (const t of b.targetList ?? []) {
      const rt = t.ResTarget;
      if (!rt) continue;
      const target: Target = { node: rt.val, name: rt.name };
      const cr = rt.val?.ColumnRef;
      if (cr) {
        const fields = nameList(cr.fields);
        if (fields[fields.length - 1] === '*') {
          const qualifier = fields.length > 1 ? fields.slice(0, -1) : undefined;
          target.star = { qualifier, range: this.chainRange(cr.location ?? -1), items: [] };
        } else if (!target.name) target.name = fields[fields.length - 1];
      }
      level.targets.push(target);
      if (rt.val) this.sublinks(rt.val, level, rt.val);
    }
    for (const s of b.sortClause ?? []) {
      if (s.SortBy?.node) {
        level.orderBy.push(s.SortBy.node);
        this.sublinks(s.SortBy.node, level);
      }
    }
    level.limit = this.limitOf(b);
    // Star expansion needs the FROM items, which exist now.
    for (const t of level.targets) {
      if (!t.star) continue;
      t.star.items = this.starItems(level, t.star.qualifier);
      if ((t.node?.ColumnRef?.location ?? -1) < 0) {
        t.star.implicit = true;
        t.star.range = level.from[0]?.range ?? t.star.range;
      }
    }
    // SELECT … INTO creates a table: its rows do not reach the application.
    if (b.intoClause) level.returnsRows = false;
    return [level];
  }

  private limitOf(b: PgNode): number | 'param' | undefined {
    const lc = b.limitCount;
    if (!lc || b.limitOption === 'LIMIT_OPTION_DEFAULT') return undefined;
    const c = lc.A_Const;
    if (c?.isnull) return undefined;
    if (c?.ival) return Number(c.ival.ival ?? 0);
    return 'param';
  }

  private starItems(level: QueryLevel, qualifier?: string[]): FromItem[] {
    if (!qualifier) return [...level.from];
    return level.from.filter((f) => matchesQualifier(f, qualifier));
  }

  /** Builds levels for sublinks found in `expr` (not inside nested sublinks). */
  private sublinks(expr: PgNode, level: QueryLevel, origin?: PgNode): void {
    const roots = Array.isArray(expr) ? expr : [expr];
    for (const root of roots) {
      walkLevel(root, (type, body) => {
        if (type !== 'SubLink' || !body.subselect) return;
        const arms = this.anyStatement(body.subselect, 'sublink', level, level.ctes, origin ?? root);
        for (const a of arms) a.sublinkType = body.subLinkType;
      });
    }
  }

  /** One entry of a FROM list (a table, a join tree, a subquery ...). */
  private fromEntry(node: PgNode, level: QueryLevel, via: JoinVia): FromItem[] {
    const u = unwrap(node);
    if (!u) return [];
    const b = u.body;
    switch (u.type) {
      case 'RangeVar': {
        const item = this.rangeVar(node, level, via, false);
        if (!item) return [];
        level.from.push(item);
        return [item];
      }
      case 'JoinExpr': {
        const left = this.fromEntry(b.larg, level, via);
        const rightVia: JoinVia = {
          kind: 'join',
          joinType: b.jointype === 'JOIN_LEFT' ? 'left' : b.jointype === 'JOIN_RIGHT' ? 'right' : b.jointype === 'JOIN_FULL' ? 'full' : 'inner',
          natural: !!b.isNatural,
          using: b.usingClause ? nameList(b.usingClause) : undefined,
          quals: b.quals,
          leftItems: left,
        };
        rightVia.cross = !b.quals && !b.isNatural && !b.usingClause;
        const right = this.fromEntry(b.rarg, level, rightVia);
        if (right.length > 1) for (const r of right) if (r.via === rightVia) r.via = { ...rightVia, rightItems: right };
        const joined = right.find((r) => r.via.kind === 'join' && r.via.leftItems === left) ?? right[0];
        if (b.quals) {
          for (const c of conjuncts(b.quals)) {
            if (joined) level.joinQuals.push({ conjunct: c, item: joined });
            this.sublinks(c, level);
          }
        }
        return [...left, ...right];
      }
      case 'RangeSubselect': {
        const item: FromItem = {
          kind: 'subquery',
          index: level.from.length,
          level,
          alias: b.alias?.aliasname,
          refName: b.alias?.aliasname,
          columnAliases: b.alias?.colnames ? nameList(b.alias.colnames) : undefined,
          quoted: false,
          range: { start: 0, end: 0 },
          lateral: !!b.lateral,
          via,
          node,
        };
        level.from.push(item);
        const arms = this.anyStatement(b.subquery, 'from-subquery', level, level.ctes, node);
        item.subquery = arms;
        if (arms.length === 1 && arms[0].statement === 'values') {
          item.kind = 'values';
          item.valuesRows = arms[0].valuesRows;
        }
        item.range = this.subqueryRange(arms[0], item.alias);
        return [item];
      }
      case 'RangeFunction': {
        const names: string[] = [];
        let first: PgNode | undefined;
        for (const f of b.functions ?? []) {
          const call = f.List?.items?.[0];
          first ??= call;
          if (call?.FuncCall) names.push(nameList(call.FuncCall.funcname).filter((n) => n !== 'pg_catalog').join('.').toLowerCase());
        }
        const item: FromItem = {
          kind: 'function',
          index: level.from.length,
          level,
          name: names[0],
          functionNames: names,
          alias: b.alias?.aliasname,
          refName: b.alias?.aliasname ?? names[0],
          columnAliases: b.alias?.colnames ? nameList(b.alias.colnames) : undefined,
          quoted: false,
          range: first ? this.rangeOf(first) : { start: 0, end: 0 },
          // A function in FROM may reference earlier items even without LATERAL.
          lateral: true,
          via,
          node,
        };
        level.from.push(item);
        for (const f of b.functions ?? []) this.sublinks(f, level, node);
        return [item];
      }
      default:
        return [];
    }
  }

  /** A subquery has no location of its own: use its alias token after the closing parenthesis, else its first FROM item. */
  private subqueryRange(arm: QueryLevel | undefined, alias: string | undefined): Range {
    let lower = arm?.from[0]?.range.start;
    if (lower === undefined && arm?.targets[0]) lower = this.rangeOf(arm.targets[0].node).start;
    if (alias && lower !== undefined) {
      // The alias follows the subquery's closing parenthesis (optionally after AS).
      let prev2: SqlToken | undefined;
      let prev: SqlToken | undefined;
      for (let t = this.lex.next(lower); t; t = this.lex.next(t.end)) {
        const isAs = !!prev && /^as$/i.test(prev.text) && prev2?.text === ')';
        if ((t.text === alias || t.text === `"${alias}"`) && (prev?.text === ')' || isAs)) return { start: t.start, end: t.end };
        prev2 = prev;
        prev = t;
      }
    }
    return arm?.from[0]?.range ?? { start: 0, end: 0 };
  }

  private rangeVar(node: PgNode, level: QueryLevel, via: JoinVia, lateral: boolean): FromItem | undefined {
    const rv = node.RangeVar;
    if (!rv) return undefined;
    const range = this.chainRange(rv.location ?? -1);
    const text = this.sql.slice(range.start, range.end);
    const quoted = /"/.test(text);
    const name: string = rv.relname;
    const cte = !rv.schemaname ? level.ctes.get(name) : undefined;
    const item: FromItem = {
      kind: cte ? 'cte' : 'table',
      index: level.from.length,
      level,
      name,
      schemaName: rv.schemaname,
      alias: rv.alias?.aliasname,
      columnAliases: rv.alias?.colnames ? nameList(rv.alias.colnames) : undefined,
      refName: rv.alias?.aliasname ?? name,
      quoted,
      range,
      lateral,
      via,
      node,
    };
    if (cte) item.cte = cte;
    else if (range.end > range.start && this.inHole(range.end - 1)) {
      // `FROM ${table}`: whatever the placeholder spells, the relation is unknown.
      item.unknownName = true;
    } else {
      item.table = findTable(this.schema, name, rv.schemaname);
      // `${schemaVar}."Table"`: the schema comes from a variable (an interpolation rendered as its
      // name), the table is written. When the schema model knows no such schema, the table is the
      // one the model knows by that name (trigger.dev's `${sqlDatabaseSchema}."TaskRun"`).
      if (!item.table && rv.schemaname && this.inHole(range.start) && !schemaKnown(this.schema, rv.schemaname)) item.table = findTable(this.schema, name);
    }
    return item;
  }

  /** Whether an offset of the SQL lies in text substituted for an interpolation that is not a value. */
  private inHole(offset: number): boolean {
    return this.holes.some((h) => h.kind !== 'value' && offset >= h.start && offset < h.end);
  }

  resolve(level: QueryLevel, node: PgNode): ColumnRefInfo {
    const hit = this.refCache.get(node);
    if (hit) return hit;
    const cr = node.ColumnRef ?? node;
    const fields = nameList(cr.fields);
    const column = fields[fields.length - 1];
    const qualifier = fields.length > 1 ? fields.slice(0, -1) : undefined;
    const info: ColumnRefInfo = { node, fields, column, qualifier, range: this.chainRange(cr.location ?? -1), level, candidates: [] };
    if (info.range.end > info.range.start && this.inHole(info.range.end - 1)) info.inHole = true;
    for (let l: QueryLevel | undefined = level; l; l = l.parent) {
      if (qualifier) {
        const found = l.from.find((f) => matchesQualifier(f, qualifier));
        if (found) {
          info.item = found;
          break;
        }
      } else {
        const yes: FromItem[] = [];
        const maybe: FromItem[] = [];
        for (const f of l.from) {
          const cols = fromItemColumns(f);
          if (cols) {
            if (cols.includes(column)) yes.push(f);
          } else maybe.push(f);
        }
        if (yes.length === 1 && maybe.length === 0) info.item = yes[0];
        else if (yes.length === 0 && maybe.length === 1) info.item = maybe[0];
        else if (yes.length + maybe.length > 0) {
          // Ambiguous: PostgreSQL would reject a real ambiguity; without schema knowledge we cannot tell which.
          info.candidates = [...yes, ...maybe];
        }
        if (info.item || info.candidates.length) break;
      }
    }
    this.refCache.set(node, info);
    return info;
  }
}

/** Builds the query model of one parsed statement. Statements without a query part (DDL, plain INSERT … VALUES) give no levels. */
export function buildQueryModel(stmt: ParsedStatement, sql: string, schema?: SchemaModel, holes: readonly (Range & { kind?: HoleKind; expr?: string })[] = []): QueryModel {
  const typed: SqlHole[] = holes.map((h) => ({ start: h.start, end: h.end, kind: h.kind ?? 'name', expr: h.expr ?? '' }));
  const b = new Builder(sql, schema, stmt.type, typed);
  b.anyStatement(stmt.node, 'top', undefined, new Map());
  return b.model;
}

/** Whether the schema model has any table in the named schema. */
function schemaKnown(schema: SchemaModel | undefined, name: string): boolean {
  if (!schema) return false;
  for (const t of schema.tables.values()) if (t.schema === name) return true;
  return false;
}

/** The interpolation holes of a site (`$1` for `${id}`, a placeholder name for `${schema}`, a fragment left out). */
export function siteHoles(site: SqlSite): SqlHole[] {
  return site.holes ?? [];
}

/** `t` / `s.t` of a qualified reference names this item (an alias hides the table's own name, as in PostgreSQL). */
function matchesQualifier(f: FromItem, qualifier: string[]): boolean {
  const q = qualifier[qualifier.length - 1];
  if (f.refName !== q) return false;
  if (qualifier.length < 2) return true;
  const s = qualifier[qualifier.length - 2];
  return !f.alias && (f.schemaName ?? f.table?.schema ?? 'public') === s;
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

export interface SiteQueries {
  site: SqlSite;
  models: QueryModel[];
}

const siteCache = new WeakMap<SqlSite, { schema: SchemaModel; models: QueryModel[] }>();

/**
 * Query models of every parsed statement of a file's SQL sites, cached per
 * site and schema (the project keeps sites per file version and rebuilds the
 * schema object when a schema source changes).
 */
export function fileQueryModels(sites: SqlSite[], schema: SchemaModel): SiteQueries[] {
  const out: SiteQueries[] = [];
  for (const site of sites) {
    const hit = siteCache.get(site);
    if (hit && hit.schema === schema) {
      out.push({ site, models: hit.models });
      continue;
    }
    const holes = siteHoles(site);
    const models = (site.parsed?.statements ?? []).map((st) => buildQueryModel(st, site.sql, schema, holes));
    siteCache.set(site, { schema, models });
    out.push({ site, models });
  }
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
 * Whether a table item is filtered by equality on every column of its
 * primary key or of a (non-partial) unique index: it returns at most one row.
 */
export function uniquelyFiltered(model: QueryModel, level: QueryLevel, item: FromItem, t: TableInfo): boolean {
  const eqCols = new Set<string>();
  for (const c of level.where) {
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
  if (!eqCols.size) return false;
  return t.indexes.some(
    (ix) => (ix.kind === 'primary' || ix.kind === 'unique') && !ix.predicate && ix.keys.length > 0 && ix.keys.every((k) => k.column && eqCols.has(k.column)),
  );
}

