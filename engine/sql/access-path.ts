/**
 * Access paths: for each table reference of a query level, which predicate
 * lets PostgreSQL reach its rows without reading the whole table, if any.
 *
 * A table is reached
 * - by a **filter**: a predicate on a constant, parameter, outer column or
 *   subquery that an index serves (composite keys completed by the level's
 *   other equalities on the table), or an OR whose every branch is served
 *   (a BitmapOr; a branch repeating a partial index's predicate counts);
 * - by a **join**: an equality with a column of a table that is itself
 *   small (filtered selectively, one row, a VALUES list or a function, a
 *   top-N) or reached, on a column an index serves — composite keys
 *   completed by constants or by other equalities to small tables;
 * - through a **correlated subquery**: `EXISTS (SELECT … WHERE s.k = t.col
 *   AND <selective filter on s>)` lets the planner start from the
 *   subquery's rows and probe `t.col`.
 *
 * Any other predicate on a reached table is a residual filter, evaluated on
 * rows already fetched: it needs no index. A table that is not reached is
 * read whole; the rule reports the predicate an index would serve best.
 */
import type { TableInfo } from '../schema/types';
import { predicateText } from '../schema/sql-ddl';
import { type ColumnPredicate, type IndexCoverage, indexCoverage, textsImply } from './index-coverage';
import { unwrap } from './expr';
import type { PgNode } from './parser';
import { type LevelPredicates, type Predicate, levelPredicates } from './predicates';
import { type FromItem, type QueryLevel, type QueryModel, columnRefsOf, conjuncts, isSingleRow, uniquelyFiltered } from './query-model';
import { type Selectivity, type SelectivityContext, selectivity } from './selectivity';

export type AccessKind = 'filter' | 'or' | 'join' | 'correlated' | 'unique';

export interface ItemAccess {
  item: FromItem;
  table: TableInfo;
  /** This item's predicates (filters, join equalities, OR branches). */
  preds: Predicate[];
  /** How the rows are reached without a scan, or undefined: a scan of the whole table. */
  reached?: { kind: AccessKind; pred?: Predicate };
  /** Few rows come out of this item (a selective filter, one row, reached from a small item): joins from it are probes. */
  small: boolean;
}

export interface LevelAccess {
  predicates: LevelPredicates;
  items: ItemAccess[];
  /** Whether any index of the predicate's table serves it, with the level's equalities and facts. */
  coverage(p: Predicate): IndexCoverage;
  selectivity(p: Predicate): Selectivity;
  /** Columns the item's AND level constrains by equality (constants, parameters, outer columns, equalities to small items). */
  eqColumns(item: FromItem): Set<string>;
  /** Items (of any kind) that yield few rows. */
  small: ReadonlySet<FromItem>;
}

/** Equality to a value fixed for the whole scan (not a column of the same level). */
function isConstantEq(p: Predicate): boolean {
  return p.op === 'eq' && !p.inOr && !p.other && !p.wrapped;
}

/** Builds the access model of one level. */
export function levelAccess(model: QueryModel, level: QueryLevel, sel: SelectivityContext): LevelAccess {
  const lp = levelPredicates(model, level);
  const tables = level.from.filter((f): f is FromItem & { table: TableInfo } => f.kind === 'table' && !!f.table);
  const byItem = new Map<FromItem, Predicate[]>();
  for (const p of lp.preds) {
    const list = byItem.get(p.item) ?? [];
    list.push(p);
    byItem.set(p.item, list);
  }
  const small = new Set<FromItem>();
  const reached = new Map<FromItem, { kind: AccessKind; pred?: Predicate }>();
  const eqCols = new Map<FromItem, Set<string>>();
  for (const it of tables) eqCols.set(it, new Set((byItem.get(it) ?? []).filter(isConstantEq).map((p) => p.column)));
  const cache = new Map<Predicate, IndexCoverage>();
  const coverage = (p: Predicate): IndexCoverage => {
    let v = cache.get(p);
    if (!v) {
      v = indexCoverage(p.table, p, { eqColumns: eqCols.get(p.item) ?? new Set(), facts: lp.facts.get(p.item) ?? [], texts: lp.texts });
      // A pattern from a parameter on an indexed column: its prefix is unknown, so make no claim.
      if (!v.served && p.op === 'like-unknown' && p.table.indexes.some((ix) => ix.keys[0]?.column === p.column)) v = { served: true, index: p.table.indexes.find((ix) => ix.keys[0]?.column === p.column)! };
      cache.set(p, v);
    }
    return v;
  };
  const selCache = new Map<Predicate, Selectivity>();
  const selective = (p: Predicate): Selectivity => {
    let s = selCache.get(p);
    if (!s) selCache.set(p, (s = p.opaque ? { selective: false, why: 'compared to a value the source does not show' } : selectivity(p, p.table, sel)));
    return s;
  };

  // Filters: predicates on values fixed for the scan.
  for (const it of tables) {
    const preds = byItem.get(it) ?? [];
    const filters = preds.filter((p) => !p.other);
    const isSelective = (p: Predicate): boolean => selective(p).selective;
    const and = filters.filter((p) => !p.inOr);
    const driver = filterDriver(and, coverage, isSelective, (p) => p.value !== 'subquery');
    if (driver) reached.set(it, { kind: 'filter', pred: driver });
    else if (orServed(lp.preds, filters, coverage, it) && !lowSelectivityOnly(filters.filter((p) => p.inOr), and, coverage, isSelective)) reached.set(it, { kind: 'or' });
    if (uniquelyFiltered(model, level, it, it.table)) {
      small.add(it);
      if (!reached.has(it)) reached.set(it, { kind: 'unique' });
    } else if (filters.some((p) => !p.inOr && p.value !== 'subquery' && selective(p).selective)) small.add(it);
  }
  for (const it of level.from) if (isSmallSource(level, it)) small.add(it);
  // Correlated semi-joins: `EXISTS (… WHERE s.k = t.col AND <selective filter>)` can drive t from s.
  const correlated = correlatedProbes(model, level, sel);
  // Joins: grow the reached/small sets until nothing changes. An item reached through a join depends on
  // the item it was reached from: it cannot in turn make that item small (no circular probes).
  const deps = new Map<FromItem, Set<FromItem>>();
  const usable = (it: FromItem, other: FromItem): boolean => small.has(other) && !deps.get(other)?.has(it);
  for (let changed = true, guard = 0; changed && guard < level.from.length + 2; guard++) {
    changed = false;
    for (const it of tables) {
      if (reached.has(it)) continue;
      const joins = (byItem.get(it) ?? []).filter((p) => p.other && !p.inOr && usable(it, p.other));
      const eq = eqCols.get(it)!;
      const before = eq.size;
      for (const j of joins) eq.add(j.column);
      if (eq.size !== before) cache.clear();
      const probe = joins.find((j) => coverage(j).served) ?? correlated.get(it)?.find((p) => coverage(p).served);
      if (probe) {
        reached.set(it, { kind: probe.other ? 'join' : 'correlated', pred: probe });
        // Every small side whose column went into the probe is an item this one depends on.
        const from = new Set<FromItem>();
        for (const j of joins) {
          from.add(j.other!);
          for (const d of deps.get(j.other!) ?? []) from.add(d);
        }
        deps.set(it, from);
        small.add(it);
        changed = true;
      }
    }
  }
  const items: ItemAccess[] = tables.map((it) => ({ item: it, table: it.table, preds: byItem.get(it) ?? [], reached: reached.get(it), small: small.has(it) }));
  return { predicates: lp, items, coverage, selectivity: selective, eqColumns: (it) => eqCols.get(it) ?? new Set(), small };
}

/**
 * The AND-level filter that drives a table's access through an index, or undefined: none does.
 * An index path is one PostgreSQL would choose only when its constrained prefix holds a selective
 * predicate (a parameter or constant equality on a column that is not low-selectivity, a range
 * bounded on both sides: engine/sql/selectivity.ts, or the statistics snapshot when there is one).
 * A served predicate that keeps many rows (`status = 'SENT'` on an index `(status, scheduled_at)`)
 * drives nothing while a selective predicate of the same AND goes unserved (`contact_book_id = $1`):
 * the planner scans, and that predicate is the one to report (useSend's campaigns by contact book).
 * When nothing selective is unserved, a low-selectivity served predicate still counts as the path
 * (no claim: without statistics we cannot tell that a scan is chosen). Any served selective
 * predicate has its index's earlier keys constrained by equality, each itself served by the same
 * index, so "a selective predicate in the constrained prefix" is "a served selective predicate".
 * `reportable`: which unserved predicates may be the culprit (a `col IN (SELECT …)` never is).
 * Shared by both halves of `unindexed-predicate` (the ORM half calls it with its filters).
 */
export function filterDriver<P extends ColumnPredicate>(
  and: readonly P[],
  coverage: (p: P) => IndexCoverage,
  selective: (p: P) => boolean,
  reportable: (p: P) => boolean = () => true,
): P | undefined {
  const served = and.filter((p) => coverage(p).served);
  if (!served.length) return undefined;
  const driver = served.find(selective);
  if (driver) return driver;
  return and.some((p) => reportable(p) && !coverage(p).served && selective(p)) ? undefined : served[0];
}

/** For messages: why a served predicate that keeps many rows is not the access path (filterDriver). */
export function notDrivingNote(p: ColumnPredicate, v: IndexCoverage, why: string): string {
  return v.served ? ` (${p.wrapped ?? p.column} is served by ${v.index.name}, but ${why}; through that index PostgreSQL still reads all those rows, or it scans the table instead)` : '';
}

/** An OR served branch by branch whose every branch keeps many rows, beside a selective AND filter no index serves: not an access path (see filterDriver). */
function lowSelectivityOnly(orPreds: readonly Predicate[], and: readonly Predicate[], coverage: (p: Predicate) => IndexCoverage, selective: (p: Predicate) => boolean): boolean {
  return orPreds.length > 0 && !orPreds.some(selective) && and.some((p) => p.value !== 'subquery' && !coverage(p).served && selective(p));
}

/**
 * Whether an OR conjunct of the item is served branch by branch (a BitmapOr): every branch has a
 * served predicate on the item (recursively through AND parts), or repeats a partial index's
 * predicate (the planner scans that whole partial index for the branch: langfuse's monitor
 * scheduler, `next_run_at IS NULL OR next_run_at <= $1 OR (last_published_at IS NOT NULL AND …)`).
 */
function orServed(all: Predicate[], filters: Predicate[], coverage: (p: Predicate) => IndexCoverage, item: FromItem): boolean {
  const ors = new Set(filters.filter((p) => p.inOr && p.conj).map((p) => p.conj!));
  if (!ors.size) return false;
  const leafServed = (node: PgNode): boolean => all.some((p) => p.src === node && p.item === item && !p.other && coverage(p).served);
  const partials = filters[0].table.indexes.filter((ix) => ix.predicate).map((ix) => ix.predicate!);
  const partialServes = (node: PgNode): boolean => {
    if (!partials.length) return false;
    const texts = new Set(conjuncts(node).map((n) => predicateText(n)));
    texts.add(predicateText(node));
    return partials.some((pr) => textsImply(texts, pr));
  };
  const served = (node: PgNode, depth: number): boolean => {
    if (depth > 8) return false;
    const u = unwrap(node);
    if (u?.type === 'BoolExpr' && u.body.boolop === 'OR_EXPR') {
      const args: PgNode[] = u.body.args ?? [];
      return args.length > 0 && (args.every((a) => served(a, depth + 1)) || partialServes(node));
    }
    if (u?.type === 'BoolExpr' && u.body.boolop === 'AND_EXPR') return conjuncts(node).some((a) => served(a, depth + 1)) || partialServes(node);
    return leafServed(node) || partialServes(node);
  };
  for (const conj of ors) if (served(conj, 0)) return true;
  return false;
}

/** Items that return few rows by nature: VALUES, functions, one-row or filtered CTEs/subqueries, or any item of a top-N level. */
function isSmallSource(level: QueryLevel, it: FromItem): boolean {
  if (level.limit !== undefined || it.kind === 'function' || it.kind === 'values') return true;
  const arms = it.kind === 'cte' ? it.cte?.arms : it.kind === 'subquery' ? it.subquery : undefined;
  return !!arms?.length && arms.every((a) => isSingleRow(a) || a.where.length > 0 || a.limit !== undefined);
}

/**
 * Correlated EXISTS / IN subqueries with a selective filter of their own:
 * for each outer item, equalities `inner.k = outer.col` turned into
 * predicates on `outer.col` (value 'subquery'). They give the outer item an
 * access path when an index serves `outer.col`; they are never reported.
 */
function correlatedProbes(model: QueryModel, level: QueryLevel, sel: SelectivityContext): Map<FromItem, Predicate[]> {
  const out = new Map<FromItem, Predicate[]>();
  for (const child of level.children) {
    if (child.role !== 'sublink' || (child.sublinkType !== 'EXISTS_SUBLINK' && child.sublinkType !== 'ANY_SUBLINK')) continue;
    // Only a sublink that is a whole WHERE conjunct restricts the outer rows by itself (not under OR or NOT).
    if (!child.origin || !level.where.includes(child.origin) || unwrap(child.origin)?.type !== 'SubLink') continue;
    const inner = levelPredicates(model, child);
    const selectiveInner = inner.preds.some((p) => !p.other && !p.inOr && p.value !== 'outer' && selectivity(p, p.table, sel).selective);
    if (!selectiveInner) continue;
    for (const w of child.where) {
      const u = unwrap(w);
      if (u?.type !== 'A_Expr' || u.body.kind !== 'AEXPR_OP') continue;
      for (const [a, b] of [
        [u.body.lexpr, u.body.rexpr],
        [u.body.rexpr, u.body.lexpr],
      ]) {
        const outerRef = unwrap(a)?.type === 'ColumnRef' ? model.resolve(child, a) : undefined;
        const innerRefs = columnRefsOf(b).map((r) => model.resolve(child, r));
        if (!outerRef?.item || outerRef.item.level !== level || outerRef.item.kind !== 'table' || !outerRef.item.table) continue;
        if (!innerRefs.length || !innerRefs.every((r) => r.item?.level === child)) continue;
        const table = outerRef.item.table;
        if (!table.columns.has(outerRef.column)) continue;
        const p: Predicate = { item: outerRef.item, table, column: outerRef.column, op: 'eq', range: outerRef.range, clause: 'WHERE', inOr: false, value: 'subquery' };
        const list = out.get(outerRef.item) ?? [];
        list.push(p);
        out.set(outerRef.item, list);
      }
    }
  }
  return out;
}

