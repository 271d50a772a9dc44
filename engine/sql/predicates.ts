/**
 * The predicate model of one query level: every comparison of a table
 * column in WHERE and JOIN … ON (top-level AND conjuncts and the leaves of
 * their OR trees), with what the column is compared to, and what the
 * conditions say about each table's rows (for partial indexes). Read by
 * `access-path.ts`, which decides which predicate drives each table's
 * access, and by rules.
 *
 * Pure, over a QueryModel level; offsets are in the SQL text.
 */
import type { TableInfo } from '../schema/types';
import { normalizeType, predicateText } from '../schema/sql-ddl';
import type { Range } from '../types';
import { exprKey, nameList, unwrap } from './expr';
import { type ColumnPredicate, type PredicateOp, type RowFact, literalList, literalText } from './index-coverage';
import type { PgNode } from './parser';
import { type ColumnRefInfo, type FromItem, type QueryLevel, type QueryModel, columnRefsOf, conjuncts, isAggregateCall, walkLevel } from './query-model';

export type Clause = 'WHERE' | 'JOIN' | 'ORDER BY … LIMIT';

/**
 * What a column is compared to: a constant (literals known), a parameter, a
 * column of an outer level (a correlated subquery: one value per outer row),
 * a subquery, a column of another item of the same level (a join), or an
 * expression of those (`now() - interval '1 day'`).
 */
export type ValueKind = 'constant' | 'param' | 'outer' | 'subquery' | 'column' | 'expr' | 'opaque';

export interface Predicate extends ColumnPredicate {
  item: FromItem;
  table: TableInfo;
  /** Extent of the column side (the bare column or the whole wrapped expression) in the SQL. */
  range: Range;
  clause: Clause;
  /** Part of an OR: it does not constrain other index keys. */
  inOr: boolean;
  /** The top-level conjunct (of WHERE or ON) it came from. */
  conj?: PgNode;
  /** The comparison node itself (a leaf of the conjunct's AND/OR tree). */
  src?: PgNode;
  /** For a join predicate: the item on the other side. */
  other?: FromItem;
  value: ValueKind;
  /** The constants compared to, when `value` is 'constant' (canonical text, casts dropped). */
  literals?: string[];
  /** `IS NULL`. */
  isNull?: boolean;
  /** The value is an interpolation of the source that may be a name or SQL text, not a value: nothing to judge by. */
  opaque?: boolean;
  /** A range bounded on one side only (`created_at < now() - interval '1 day'`). */
  openRange?: boolean;
}

export interface LevelPredicates {
  level: QueryLevel;
  preds: Predicate[];
  /** What the AND-level conditions say about each table item's rows. */
  facts: Map<FromItem, RowFact[]>;
  /** Canonical texts of the level's conjuncts (a partial index predicate repeated word for word). */
  texts: Set<string>;
}

const RANGE_OPS = new Set(['<', '>', '<=', '>=']);

/** JSON operators that take a path or key: their result is an expression over the JSON column. */
const JSON_PATH_OPS = new Set(['->', '->>', '#>', '#>>']);

/** The column side of a comparison: one column of one table item of `level`, bare or inside a function/cast. */
export function columnSide(
  model: QueryModel,
  level: QueryLevel,
  node: PgNode,
): { ref: ColumnRefInfo; wrapped?: string; castTo?: string; range: Range } | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  if (u.type === 'ColumnRef') {
    const ref = model.resolve(level, node);
    if (!ref.item || ref.item.level !== level || ref.column === '*') return undefined;
    return { ref, range: ref.range };
  }
  // A path into a JSON column by constant keys (`"key" ->> 'id'`, `meta #> '{a,b}'`): an expression over that column.
  const jsonPath = u.type === 'A_Expr' && u.body.kind === 'AEXPR_OP' && JSON_PATH_OPS.has(u.body.name?.[0]?.String?.sval) && unwrap(u.body.rexpr)?.type === 'A_Const';
  if (u.type !== 'FuncCall' && u.type !== 'TypeCast' && u.type !== 'CoalesceExpr' && !jsonPath) return undefined;
  const refs = columnRefsOf(node);
  if (refs.length !== 1) return undefined;
  const ref = model.resolve(level, refs[0]);
  if (!ref.item || ref.item.level !== level || ref.inHole || isOpaque(model, node)) return undefined;
  // An aggregate or window call is not a row predicate.
  if (u.type === 'FuncCall' && (u.body.agg_star || u.body.over || isAggregateCall(node))) return undefined;
  const range = model.rangeOf(node);
  const castTo = u.type === 'TypeCast' && unwrap(u.body.arg)?.type === 'ColumnRef' ? normalizeType(u.body.typeName) : undefined;
  return { ref, wrapped: exprKey(node), castTo, range: range.end > range.start ? range : ref.range };
}

function readsItem(model: QueryModel, level: QueryLevel, node: PgNode | undefined, item: FromItem): boolean {
  if (!node) return false;
  return columnRefsOf(node).some((r) => {
    const info = model.resolve(level, r);
    return info.item === item || info.candidates.includes(item);
  });
}

/** The leftmost string constant of a pattern (`'%' || $1` → '%'), or undefined when not a constant start. */
function patternStart(node: PgNode): string | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  if (u.type === 'A_Const') return u.body.sval?.sval;
  if (u.type === 'TypeCast') return patternStart(u.body.arg);
  if (u.type === 'A_Expr' && nameList(u.body.name).join('') === '||') return patternStart(u.body.lexpr);
  if (u.type === 'FuncCall' && nameList(u.body.funcname).pop() === 'concat') return patternStart(u.body.args?.[0]);
  return undefined;
}

function isParam(node: PgNode): boolean {
  const u = unwrap(node);
  if (u?.type === 'ParamRef') return true;
  if (u?.type === 'TypeCast') return isParam(u.body.arg);
  return false;
}

/**
 * Whether an expression holds an interpolation that may be more than a value (a `$n` or a placeholder
 * name standing for a name, a fragment, or something unknown): its meaning is not in the text.
 */
export function isOpaque(model: QueryModel, node: PgNode | undefined): boolean {
  if (!node || !model.holes.length) return false;
  let found = false;
  walkLevel(node, (type, body) => {
    if (found || (type !== 'ParamRef' && type !== 'ColumnRef')) return;
    const at: number | undefined = body.location;
    if (at !== undefined && at >= 0 && model.opaqueAt(at, at + 1)) found = true;
  });
  return found;
}

/** What a value expression is, seen from `level`. */
export function valueKind(model: QueryModel, level: QueryLevel, node: PgNode | undefined): { kind: ValueKind; literals?: string[] } {
  if (!node) return { kind: 'expr' };
  if (isOpaque(model, node)) return { kind: 'opaque' };
  const lits = literalList(node);
  if (lits) return { kind: 'constant', literals: lits };
  const u = unwrap(node);
  if (u?.type === 'SubLink') return { kind: 'subquery' };
  if (isParam(node)) return { kind: 'param' };
  // A list of parameters (`IN ($1, $2)`), `ANY($1)`, `ARRAY[$1, $2]`.
  const items: PgNode[] | undefined = Array.isArray(node) ? node : u?.type === 'List' ? u.body.items : u?.type === 'A_ArrayExpr' ? u.body.elements : undefined;
  if (items?.length && items.every((i) => isParam(i) || literalText(i) !== undefined)) return { kind: 'param' };
  const refs = columnRefsOf(node).map((r) => model.resolve(level, r));
  if (refs.some((r) => r.item?.level === level || (!r.item && r.candidates.length))) return { kind: 'column' };
  if (refs.length && refs.every((r) => r.item && r.item.level !== level)) return { kind: 'outer' };
  return { kind: 'expr' };
}

class Collector {
  readonly preds: Predicate[] = [];
  private conj?: PgNode;
  private src?: PgNode;
  private isNull = false;

  constructor(
    readonly model: QueryModel,
    readonly level: QueryLevel,
  ) {}

  private add(
    side: ReturnType<typeof columnSide>,
    op: PredicateOp,
    clause: Clause,
    inOr: boolean,
    value: { kind: ValueKind; literals?: string[] },
    extra: Partial<Predicate> = {},
  ): void {
    if (!side) return;
    const item = side.ref.item!;
    if (item.kind !== 'table') return;
    const table = item.table;
    const col = table?.columns.get(side.ref.column);
    if (!table || !col) return;
    // A cast to the column's own type is no cast at all: PostgreSQL drops it and the plain index applies.
    const wrapped = side.castTo && side.castTo === col.type ? undefined : side.wrapped;
    this.preds.push({
      item,
      table,
      column: side.ref.column,
      wrapped,
      range: side.range,
      op,
      clause,
      inOr,
      conj: this.conj,
      src: this.src,
      value: value.kind,
      literals: value.literals,
      isNull: this.isNull || undefined,
      ...extra,
    });
  }

  /** A comparison `col op value` where the value does not read the column's own item. */
  private compare(l: PgNode, r: PgNode | undefined, op: PredicateOp, clause: Clause, inOr: boolean, commutes: boolean, extra: Partial<Predicate> = {}): void {
    const ls = columnSide(this.model, this.level, l);
    const rs = commutes && r ? columnSide(this.model, this.level, r) : undefined;
    const lOk = ls && !readsItem(this.model, this.level, r, ls.ref.item!);
    const rOk = rs && !readsItem(this.model, this.level, l, rs.ref.item!);
    if (lOk && rOk) {
      // Columns of two items compared: a join. Either side may be the one probed through an index.
      if (op !== 'eq') return;
      this.add(ls, op, 'JOIN', inOr, { kind: 'column' }, { ...extra, other: rs.ref.item });
      this.add(rs, op, 'JOIN', inOr, { kind: 'column' }, { ...extra, other: ls.ref.item });
      return;
    }
    const pick = lOk ? { side: ls, value: r } : rOk ? { side: rs, value: l } : undefined;
    if (!pick) return;
    const v = valueKind(this.model, this.level, pick.value);
    if (v.kind === 'opaque') extra = { ...extra, opaque: true };
    // The other side reads a column of this level that no single item owns for sure: not a constant.
    if (v.kind === 'column') return;
    this.add(pick.side, op, clause, inOr, v, extra);
  }

  /** Collects the predicates of one top-level conjunct. */
  conjunct(node: PgNode, clause: Clause): void {
    this.conj = node;
    this.visit(node, clause, false);
    this.conj = undefined;
  }

  private visit(node: PgNode, clause: Clause, inOr: boolean): void {
    const u = unwrap(node);
    if (!u) return;
    const b = u.body;
    this.src = node;
    switch (u.type) {
      case 'BoolExpr':
        if (b.boolop === 'NOT_EXPR') return;
        for (const a of b.args ?? []) for (const c of conjuncts(a)) this.visit(c, clause, inOr || b.boolop === 'OR_EXPR');
        return;
      case 'NullTest':
        if (b.nulltesttype === 'IS_NULL') {
          this.isNull = true;
          this.compare(b.arg, undefined, 'eq', clause, inOr, false);
          this.isNull = false;
        }
        return;
      case 'SubLink':
        // `col IN (SELECT …)`: the column equals one of the subquery's rows.
        if (b.subLinkType === 'ANY_SUBLINK' && b.testexpr && (!b.operName || nameList(b.operName).join('') === '=')) {
          this.add(columnSide(this.model, this.level, b.testexpr), 'eq', clause, inOr, { kind: 'subquery' });
        }
        return;
      case 'A_Expr': {
        const op = nameList(b.name).join('');
        switch (b.kind) {
          case 'AEXPR_OP':
            if (op === '=') this.compare(b.lexpr, b.rexpr, 'eq', clause, inOr, true);
            else if (RANGE_OPS.has(op)) this.compare(b.lexpr, b.rexpr, 'range', clause, inOr, true, { openRange: true });
            return;
          case 'AEXPR_IN':
          case 'AEXPR_OP_ANY':
            if (op === '=') this.compare(b.lexpr, b.rexpr, 'eq', clause, inOr, false);
            return;
          case 'AEXPR_BETWEEN':
          case 'AEXPR_BETWEEN_SYM':
            this.compare(b.lexpr, b.rexpr, 'range', clause, inOr, false);
            return;
          case 'AEXPR_LIKE':
          case 'AEXPR_ILIKE': {
            if (op !== '~~' && op !== '~~*') return;
            const start = patternStart(b.rexpr);
            let kind: PredicateOp;
            if (start === undefined) kind = 'like-unknown';
            else if (start.startsWith('%') || start.startsWith('_')) kind = 'like-leading';
            else if (b.kind === 'AEXPR_ILIKE') return; // ILIKE 'abc%': a B-tree rarely serves it; not reported.
            else kind = 'like-prefix';
            this.compare(b.lexpr, b.rexpr, kind, clause, inOr, false);
            return;
          }
          default:
            return;
        }
      }
      default:
        return;
    }
  }
}

/**
 * Two one-sided ranges on the same column and item in the same AND level
 * (`t >= $1 AND t < $2`) make a bounded range: not open.
 */
function closeRanges(preds: Predicate[]): void {
  const ranges = preds.filter((p) => p.op === 'range' && p.openRange && !p.inOr);
  for (const p of ranges) {
    if (ranges.some((q) => q !== p && q.item === p.item && q.column === p.column && q.wrapped === p.wrapped && rangeSide(q) !== rangeSide(p))) p.openRange = false;
  }
}

/** '<' for an upper bound on the column, '>' for a lower bound. */
function rangeSide(p: Predicate): '<' | '>' | undefined {
  const u = unwrap(p.src);
  if (u?.type !== 'A_Expr') return undefined;
  const op = nameList(u.body.name).join('');
  const columnLeft = columnSideStart(u.body.lexpr) === p.range.start;
  const lt = op.startsWith('<');
  return lt === columnLeft ? '<' : '>';
}

function columnSideStart(node: PgNode): number | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  if (u.type === 'ColumnRef') return u.body.location;
  const refs = columnRefsOf(node);
  return refs.length === 1 ? unwrap(refs[0])?.body.location : undefined;
}

/** Row facts of one item from its AND-level predicates and tests (for partial-index implication). */
function itemFacts(model: QueryModel, level: QueryLevel, preds: Predicate[], conjs: PgNode[]): Map<FromItem, RowFact[]> {
  const out = new Map<FromItem, RowFact[]>();
  const push = (item: FromItem, f: RowFact): void => {
    const list = out.get(item) ?? [];
    list.push(f);
    out.set(item, list);
  };
  for (const p of preds) {
    if (p.inOr || p.wrapped) continue;
    if (p.isNull) push(p.item, { column: p.column, kind: 'null' });
    else if (p.op === 'eq') push(p.item, { column: p.column, kind: 'eq', literals: p.value === 'constant' ? p.literals : undefined });
    else push(p.item, { column: p.column, kind: 'not-null' });
  }
  // Tests the predicate list does not hold: `col IS NOT NULL`, a bare boolean column, `NOT col`, `col IS TRUE`.
  for (const c of conjs) {
    const u = unwrap(c);
    let target: PgNode | undefined;
    let fact: Omit<RowFact, 'column'> | undefined;
    if (u?.type === 'NullTest' && u.body.nulltesttype === 'IS_NOT_NULL') [target, fact] = [u.body.arg, { kind: 'not-null' }];
    else if (u?.type === 'ColumnRef') [target, fact] = [c, { kind: 'eq', literals: ['true'] }];
    else if (u?.type === 'BoolExpr' && u.body.boolop === 'NOT_EXPR' && unwrap(u.body.args?.[0])?.type === 'ColumnRef') [target, fact] = [u.body.args[0], { kind: 'eq', literals: ['false'] }];
    else if (u?.type === 'BooleanTest' && (u.body.booltesttype === 'IS_TRUE' || u.body.booltesttype === 'IS_FALSE'))
      [target, fact] = [u.body.arg, { kind: 'eq', literals: [u.body.booltesttype === 'IS_TRUE' ? 'true' : 'false'] }];
    if (!target || !fact || unwrap(target)?.type !== 'ColumnRef') continue;
    const ref = model.resolve(level, target);
    if (ref.item?.level === level && ref.item.kind === 'table') push(ref.item, { column: ref.column, ...fact });
  }
  return out;
}

/**
 * Whether a conjunct is a condition we cannot read: a bare parameter (`WHERE ${condition}` spliced in
 * whole, a `.sql` file's `$1`), or anything holding an interpolation that may be more than a value.
 */
export function isOpaqueCondition(model: QueryModel, node: PgNode): boolean {
  const u = unwrap(node);
  if (u?.type === 'ParamRef' || (u?.type === 'TypeCast' && unwrap(u.body.arg)?.type === 'ParamRef')) return true;
  return isOpaque(model, node);
}

/** The predicates of one level (comparisons holding an interpolation that may be more than a value carry `opaque`). */
export function levelPredicates(model: QueryModel, level: QueryLevel): LevelPredicates {
  const c = new Collector(model, level);
  for (const w of level.where) c.conjunct(w, 'WHERE');
  for (const j of level.joinQuals) c.conjunct(j.conjunct, 'JOIN');
  closeRanges(c.preds);
  const conjs = [...level.where, ...level.joinQuals.map((j) => j.conjunct)];
  const texts = new Set(level.where.map((w) => predicateText(w)));
  const whole = unwrap(level.node)?.body.whereClause;
  if (whole) texts.add(predicateText(whole));
  return { level, preds: c.preds, facts: itemFacts(model, level, c.preds, conjs), texts };
}
