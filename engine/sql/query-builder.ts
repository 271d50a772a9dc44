/**
 * Builds the query model of one parsed statement: levels, FROM items, CTEs,
 * targets, and column resolution through aliases, the only item, or the schema.
 */
import type { SchemaModel } from '../schema/types';
import { findTable } from '../schema/types';
import type { HoleKind, SqlHole } from '../sources/types';
import type { Range } from '../types';
import { nameList, unwrap } from './expr';
import { LocalLexer } from './local-lexer';
import { type ParsedStatement, type PgNode, type SqlToken, scanSql } from './parser';
import { conjuncts, fromItemColumns, walkLevel } from './query-levels';
import type { ColumnRefInfo, CteDef, FromItem, JoinVia, LevelRole, QueryLevel, QueryModel, Target } from './query-model-types';

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
      case 'JoinExpr':
        return this.joinEntry(b, level, via);
      case 'RangeSubselect':
        return [this.subqueryEntry(node, b, level, via)];
      case 'RangeFunction':
        return [this.functionEntry(node, b, level, via)];
      default:
        return [];
    }
  }

  /** A join tree: its left side's items, then its right side's, each right item carrying how it was joined (its ON conjuncts go to joinQuals). */
  private joinEntry(b: PgNode, level: QueryLevel, via: JoinVia): FromItem[] {
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

  /** A subquery in FROM (VALUES lists become a values item). */
  private subqueryEntry(node: PgNode, b: PgNode, level: QueryLevel, via: JoinVia): FromItem {
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
    return item;
  }

  /** A set-returning function (or ROWS FROM list) in FROM. */
  private functionEntry(node: PgNode, b: PgNode, level: QueryLevel, via: JoinVia): FromItem {
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
    return item;
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

/** `t` / `s.t` of a qualified reference names this item (an alias hides the table's own name, as in PostgreSQL). */
function matchesQualifier(f: FromItem, qualifier: string[]): boolean {
  const q = qualifier[qualifier.length - 1];
  if (f.refName !== q) return false;
  if (qualifier.length < 2) return true;
  const s = qualifier[qualifier.length - 2];
  return !f.alias && (f.schemaName ?? f.table?.schema ?? 'public') === s;
}
