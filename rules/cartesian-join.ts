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
import { type ForeignKeyInfo, type TableInfo, isSchemaChangeSource } from '../engine/schema/types';
import { sqlRangeToFile, sqlToFile, type SqlSite } from '../engine/sources/types';
import { parseSql, scanSql, type PgNode, type SqlToken } from '../engine/sql/parser';
import type { Estimate, Fix } from '../engine/types';
import {
  type FromItem,
  type JoinVia,
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
import { quoteIdent } from '../engine/sql/ident';
import { unwrap } from '../engine/sql/expr';
import { isOpaque } from '../engine/sql/predicates';
import { defineRule } from './define-rule';
import { skipsFile } from './one-off';

class Groups {
  private parent = new Map<FromItem, FromItem>();
  /** The group's root; iterative with path compression (a chain of 10,000 items must not recurse). */
  find(a: FromItem): FromItem {
    let root = a;
    for (let p = this.parent.get(root); p !== undefined && p !== root; p = this.parent.get(root)) root = p;
    for (let x = a; x !== root; ) {
      const next = this.parent.get(x)!;
      this.parent.set(x, root);
      x = next;
    }
    return root;
  }

  /** Items of `items` by group root, computed once per level (a fix asks for its groups' members). */
  members(items: readonly FromItem[]): Map<FromItem, FromItem[]> {
    const out = new Map<FromItem, FromItem[]>();
    for (const it of items) {
      const r = this.find(it);
      const list = out.get(r);
      if (list) list.push(it);
      else out.set(r, [it]);
    }
    return out;
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
  // A FROM item hidden in an interpolation (`FROM ${entryTable()} e`) is an unknown relation, not a second table to pair.
  if (item.unknownName) return false;
  if (item.kind === 'table') {
    const t = item.table ?? ctx.table(item.name ?? '', item.schemaName);
    if (t && ctx.isTiny(t)) return false;
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

/** A condition of the level that reads this item alone (a filter on its rows), in WHERE or in an ON. */
function filteredAlone(model: QueryModel, level: QueryLevel, item: FromItem): boolean {
  return [...level.where, ...level.joinQuals.map((j) => j.conjunct)].some((c) => {
    const read = itemsReferenced(model, level, c);
    return read.size === 1 && read.has(item);
  });
}

/**
 * The rows of one side that survive its own filters: a filtered side keeps an unknown share, so the
 * default number of matching rows (not the whole table) is assumed; a CTE or subquery with a LIMIT
 * keeps at most that many.
 */
function rowsOf(ctx: RuleContext, model: QueryModel, level: QueryLevel, item: FromItem): Count {
  const p = ctx.model.params;
  if (filteredAlone(model, level, item)) {
    return { value: p.defaultMatchingRows, source: 'default', note: `rows of ${itemLabel(item)} left by its filters unknown; default defaultMatchingRows` };
  }
  if (item.kind === 'table') return ctx.tableRows(item.table, item.name);
  const arms = item.kind === 'cte' ? item.cte?.arms : item.kind === 'subquery' ? item.subquery : undefined;
  const limit = arms?.length === 1 && typeof arms[0].limit === 'number' ? arms[0].limit : undefined;
  if (limit !== undefined) return { value: limit, source: 'code', note: `LIMIT of ${itemLabel(item)}` };
  if (arms?.length && arms.every((a) => a.where.length > 0)) {
    return { value: p.defaultMatchingRows, source: 'default', note: `rows of ${itemLabel(item)} left by its WHERE unknown; default defaultMatchingRows` };
  }
  return { value: p.defaultTableRows, source: 'default', note: `rows of ${itemLabel(item)} unknown; the default table size is assumed` };
}

/**
 * A product of row counts is only as good as its inputs: when one side's count is a default, the pairs are
 * not estimated beyond one default table's rows, or the larger count config or statistics give (an hour
 * per call needs statistics saying so).
 */
function capByEvidence(ctx: RuleContext, a: Count, b: Count): [Count, Count] {
  // Not beyond one default table's rows, or the rows of a side the configuration or statistics vouch for.
  const cap = Math.max(ctx.model.params.defaultTableRows, a.source !== 'default' ? a.value : 0, b.source !== 'default' ? b.value : 0);
  if (a.value * b.value <= cap || (a.source !== 'default' && b.source !== 'default')) return [a, b];
  const note = `capped: with a default row count the product is not estimated beyond ${cap} pairs; set tables.<name>.rows`;
  // Shrink the side that is a default (the larger one when both are) so that the product is the cap.
  const shrinkA = a.source === 'default' && (b.source !== 'default' || a.value >= b.value);
  if (shrinkA) return [{ ...a, value: Math.max(1, Math.floor(cap / Math.max(1, b.value))), note: `${a.note ?? ''}; ${note}` }, b];
  return [a, { ...b, value: Math.max(1, Math.floor(cap / Math.max(1, a.value))), note: `${b.note ?? ''}; ${note}` }];
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
  for (const c of [...level.where, ...level.joinQuals.map((j) => j.conjunct)]) {
    // A condition holding an interpolation that may be a name or SQL (`ON ${a.x} = ${b.y}`, `ON ${tagFilter('t')}`)
    // may relate any of the items: an unknown ON is not a missing ON.
    if (isOpaque(model, c)) groups.union(items);
    else groups.union(itemsReferenced(model, level, c));
  }
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
  const sourceSet = new Set(sources);
  const shared: LevelShared = { fixesLeft: MAX_FIXES_PER_LEVEL };
  for (const s of sources) {
    const root = groups.find(s);
    if (firstOfGroup.has(root)) continue;
    firstOfGroup.set(root, s);
    seenRoots.push(root);
    if (seenRoots.length === 1) continue;
    // Pair with the nearest earlier source on the join's left side, else the first source.
    const left = (s.via.leftItems ?? []).filter((l) => sourceSet.has(l) && groups.find(l) !== root);
    const other = left[left.length - 1] ?? firstOfGroup.get(seenRoots[0])!;
    const fix = shared.fixesLeft > 0 ? joinFix(ctx, site, level, groups, s, other, shared) : undefined;
    report(ctx, site, model, level, s, other, fix);
  }
}

// ---------------------------------------------------------------------------
// The fix: the join predicate a foreign key gives.

/**
 * Fixes offered per query level. Each is checked by parsing the edited
 * statement; a generated FROM list of thousands of unrelated tables would
 * otherwise parse the whole statement once per finding (quadratic). Past
 * this many, the findings stand without a fix.
 */
const MAX_FIXES_PER_LEVEL = 20;

/** What the fixes of one level share, computed once: tokens, group members, where the FROM list ends. */
interface LevelShared {
  fixesLeft: number;
  tokens?: SqlToken[];
  members?: Map<FromItem, FromItem[]>;
  fromEnd?: number;
}

const tokensBySite = new WeakMap<SqlSite, SqlToken[]>();

function codeTokens(site: SqlSite): SqlToken[] {
  let t = tokensBySite.get(site);
  if (!t) tokensBySite.set(site, (t = scanSql(site.sql).filter((x) => !/COMMENT/.test(x.name))));
  return t;
}

/** Index of the first token starting at or after `offset` (tokens are in order): binary search. */
function firstTokenFrom(tokens: readonly SqlToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].start >= offset) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface FkLink {
  /** The referencing side (holds `fk.columns`). */
  from: FromItem;
  /** The referenced side. */
  to: FromItem;
  fk: ForeignKeyInfo;
}

function tableOf(ctx: RuleContext, item: FromItem): TableInfo | undefined {
  if (item.kind !== 'table') return undefined;
  return item.table ?? ctx.table(item.name ?? '', item.schemaName);
}

/** Foreign keys from `a` to `b` and from `b` to `a` (a self-join sees each key both ways: ambiguous, as it should be). */
function linksBetween(ctx: RuleContext, a: FromItem, b: FromItem): FkLink[] {
  const ta = tableOf(ctx, a);
  const tb = tableOf(ctx, b);
  if (!ta || !tb) return [];
  const out: FkLink[] = [];
  const refs = (from: TableInfo, to: TableInfo, fk: ForeignKeyInfo): boolean =>
    fk.refSchema === to.schema && fk.refTable === to.name && fk.columns.length > 0 && fk.refColumns.length === fk.columns.length && fk.columns.every((c) => from.columns.size === 0 || from.columns.has(c));
  for (const fk of ta.foreignKeys ?? []) if (refs(ta, tb, fk)) out.push({ from: a, to: b, fk });
  for (const fk of tb.foreignKeys ?? []) if (refs(tb, ta, fk)) out.push({ from: b, to: a, fk });
  return out;
}

/** The name a query level uses for the item's columns, as it must be written. */
function qualifier(item: FromItem): string | undefined {
  const n = item.alias ?? item.name;
  return n ? quoteIdent(n) : undefined;
}

function predicateFor(link: FkLink): string | undefined {
  const qf = qualifier(link.from);
  const qt = qualifier(link.to);
  if (!qf || !qt) return undefined;
  return link.fk.columns.map((c, i) => `${qf}.${quoteIdent(c)} = ${qt}.${quoteIdent(link.fk.refColumns[i])}`).join(' AND ');
}

/** Keywords that end a FROM list (and a WHERE expression) at the level's own depth. */
const CLAUSE_ENDS = new Set(['where', 'group', 'having', 'window', 'order', 'limit', 'offset', 'fetch', 'for', 'union', 'intersect', 'except', 'returning', 'on']);
/** Keywords that end one join's ON expression or right side. */
const JOIN_ENDS = new Set(['join', 'cross', 'inner', 'left', 'right', 'full', 'natural', ',']);

/**
 * Index of the first token at or after `from` that ends the current clause:
 * a `)` closing the level, a `;`, or one of `stops` at depth 0 (`GROUP`/`ORDER`
 * only when `BY` follows, so `WITHIN GROUP (…)` does not count; `ON` only as
 * `ON CONFLICT`). `tokens.length` when the text ends first.
 */
function clauseEnd(tokens: SqlToken[], from: number, stops: Set<string>): number {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i].text.toLowerCase();
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') {
      if (depth === 0) return i;
      depth--;
    } else if (depth === 0) {
      if (t === ';') return i;
      if (!stops.has(t)) continue;
      const next = tokens[i + 1]?.text.toLowerCase();
      if ((t === 'group' || t === 'order') && next !== 'by') continue;
      if (t === 'on' && next !== 'conflict' && !stops.has('join')) continue;
      return i;
    }
  }
  return tokens.length;
}

interface SqlEdit {
  start: number;
  end: number;
  text: string;
  /** An insertion that follows the token before it (maps to the file after an interpolation, not before the next one). */
  after?: boolean;
}

/**
 * A fix adding the join predicate when exactly one foreign key links the two
 * sides (either direction): into the ON of the join that brought `item` in
 * (CROSS JOIN → JOIN … ON, `ON true` replaced, an ON that ignores the table
 * extended), else into WHERE (appended, or put first). The edited SQL is
 * parsed before the fix is offered.
 */
function joinFix(ctx: RuleContext, site: SqlSite, level: QueryLevel, groups: Groups, item: FromItem, other: FromItem, shared: LevelShared): Fix | undefined {
  if (item.kind !== 'table') return undefined;
  const v = item.via;
  if (v.kind === 'join' && (v.natural || v.using)) return undefined;
  const links = fixLinks(ctx, level, groups, item, other, shared);
  if (links.length !== 1) return undefined;
  const link = links[0];
  const pred = predicateFor(link);
  if (!pred) return undefined;
  const tokens = (shared.tokens ??= codeTokens(site));
  if (tokens.length === 0) return undefined;
  // Only candidates with a key count against the level's allowance (each costs a parse below).
  shared.fixesLeft--;
  const edits = v.kind === 'join' ? onEdits(tokens, item, v, pred) : whereEdits(tokens, level, shared, pred, link.fk.columns.length > 1);
  if (!edits) return undefined;
  // The edited statement must still parse (and the SQL text of a TypeScript literal must not need escapes we cannot give).
  const edited = applySqlEdits(site.sql, edits);
  if (parseSql(edited).errors.length > parseSql(site.sql).errors.length) return undefined;
  const fileText = ctx.file.text;
  const quote = site.client === 'sql-file' ? '' : fileText[site.range.start];
  if (site.client !== 'sql-file' && pred.includes('"') && quote !== '`' && quote !== "'") return undefined;
  const fkName = link.fk.name ? ` (foreign key ${link.fk.name})` : '';
  return {
    title: `Join ${itemLabel(item)} to ${itemLabel(item === link.from ? link.to : link.from)} on ${pred}${fkName}`,
    safety: 'suggestion',
    edits: edits.map((e) => {
      const start = sqlToFile(site, e.start, e.after ? 'end' : 'start');
      const end = e.start === e.end ? start : sqlToFile(site, e.end, 'end');
      return { file: ctx.file.path, range: { start, end }, newText: e.text };
    }),
  };
}

/** The foreign keys that could join `item` to the rest: for a JOIN, to its left side (all ON sees); else to `other`, or between their groups. */
function fixLinks(ctx: RuleContext, level: QueryLevel, groups: Groups, item: FromItem, other: FromItem, shared: LevelShared): FkLink[] {
  if (item.kind === 'table' && item.via.kind === 'join') {
    return (item.via.leftItems ?? []).filter((l) => groups.find(l) !== groups.find(item)).flatMap((l) => linksBetween(ctx, item, l));
  }
  const links = linksBetween(ctx, item, other);
  if (links.length) return links;
  shared.members ??= groups.members(level.from);
  const mine = shared.members.get(groups.find(item)) ?? [];
  const theirs = shared.members.get(groups.find(other)) ?? [];
  return mine.flatMap((a) => theirs.flatMap((b) => linksBetween(ctx, a, b)));
}

/** The predicate into the ON of the join that brought `item` in: CROSS JOIN → JOIN … ON, `ON true` replaced, an ON that ignores the table extended. */
function onEdits(tokens: SqlToken[], item: FromItem, v: JoinVia, pred: string): SqlEdit[] | undefined {
  const at = firstTokenFrom(tokens, item.range.end);
  if (v.cross) {
    // `CROSS JOIN b x` → `JOIN b x ON …`
    const startIdx = firstTokenFrom(tokens, item.range.start);
    const join = tokens[startIdx - 1];
    const cross = tokens[startIdx - 2];
    if (join?.text.toLowerCase() !== 'join' || cross?.text.toLowerCase() !== 'cross') return undefined;
    const end = clauseEnd(tokens, at, new Set([...CLAUSE_ENDS, ...JOIN_ENDS]));
    return [
      { start: cross.start, end: join.start, text: '' },
      { start: tokens[end - 1].end, end: tokens[end - 1].end, text: ` ON ${pred}`, after: true },
    ];
  }
  if (!v.quals) return undefined;
  const stops = new Set([...CLAUSE_ENDS, ...JOIN_ENDS]);
  stops.delete('on');
  let on = at;
  while (on < tokens.length && tokens[on].text.toLowerCase() !== 'on') on++;
  if (on >= tokens.length - 1) return undefined;
  const end = clauseEnd(tokens, on + 1, stops);
  if (end <= on + 1) return undefined;
  const first = tokens[on + 1];
  const last = tokens[end - 1];
  // `ON true`, `ON 1 = 1`: the constant goes, the predicate takes its place.
  if (columnRefsOf(v.quals).length === 0) return [{ start: first.start, end: last.end, text: pred }];
  const isOr = unwrap(v.quals)?.type === 'BoolExpr' && unwrap(v.quals)?.body.boolop === 'OR_EXPR';
  return [{ start: first.start, end: first.start, text: `(${pred}) AND ${isOr ? '(' : ''}` }, ...(isOr ? [{ start: last.end, end: last.end, text: ')', after: true }] : [])];
}

/** The predicate into WHERE: put first in an existing WHERE (its OR parenthesised), else a WHERE appended after the FROM list. */
function whereEdits(tokens: SqlToken[], level: QueryLevel, shared: LevelShared, pred: string, composite: boolean): SqlEdit[] | undefined {
  // The end of the FROM list: past every item of the level.
  const fromEnd = (shared.fromEnd ??= level.from.reduce((m, f) => Math.max(m, f.range.end), 0));
  const startIdx = firstTokenFrom(tokens, fromEnd);
  const stop = startIdx >= tokens.length ? tokens.length : clauseEnd(tokens, startIdx, CLAUSE_ENDS);
  const stopTok = tokens[stop];
  if (stopTok?.text.toLowerCase() === 'where') {
    const end = clauseEnd(tokens, stop + 1, new Set([...CLAUSE_ENDS].filter((k) => k !== 'where')));
    if (end <= stop + 1) return undefined;
    const first = tokens[stop + 1];
    const last = tokens[end - 1];
    const isOr = level.where.length === 1 && unwrap(level.where[0])?.type === 'BoolExpr' && unwrap(level.where[0])?.body.boolop === 'OR_EXPR';
    return [{ start: first.start, end: first.start, text: `(${pred}) AND ${isOr ? '(' : ''}` }, ...(isOr ? [{ start: last.end, end: last.end, text: ')', after: true }] : [])];
  }
  const prev = tokens[stop - 1];
  if (!prev) return undefined;
  return [{ start: prev.end, end: prev.end, text: ` WHERE ${composite ? `(${pred})` : pred}`, after: true }];
}

function applySqlEdits(sql: string, edits: SqlEdit[]): string {
  let out = sql;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** The estimate of the product, or undefined when a side is a table nothing tells the size of (not in the schema, no configured rows). */
function productEstimate(ctx: RuleContext, model: QueryModel, level: QueryLevel, item: FromItem, other: FromItem): Estimate | undefined {
  if ([item, other].some((i) => unseenTable(ctx, i))) return undefined;
  const [rowsA, rowsB] = capByEvidence(ctx, rowsOf(ctx, model, level, other), rowsOf(ctx, model, level, item));
  // A key join returns about as many rows as the larger side; a filtered side bounds it.
  const filtered = filteredAlone(model, level, other) || filteredAlone(model, level, item);
  const joined: Count = filtered
    ? { value: Math.min(rowsA.value, rowsB.value), source: 'default', note: 'assumes a key join returning about as many rows as the filtered side' }
    : { value: Math.max(rowsA.value, rowsB.value), source: 'default', note: 'assumes a key join returning about as many rows as the larger side' };
  const bytes = rowBytes(ctx, other.table) + rowBytes(ctx, item.table);
  return ctx.model.cartesian(rowsA, rowsB, joined, bytes);
}

/** A table the schema does not know and the configuration gives no row count for: its size is unknown. */
function unseenTable(ctx: RuleContext, item: FromItem): boolean {
  return item.kind === 'table' && !item.table && ctx.tableRows(undefined, item.name).source === 'default';
}

function report(ctx: RuleContext, site: SqlSite, model: QueryModel, level: QueryLevel, item: FromItem, other: FromItem, fix: Fix | undefined): void {
  // Never priced from defaults alone: a table the schema does not know has a size nobody can tell.
  const estimate = productEstimate(ctx, model, level, item, other);
  const unseen = [other, item].filter((i) => unseenTable(ctx, i)).map(itemLabel);
  const size = unseen.length ? ` Size unknown: ${unseen.join(' and ')} ${unseen.length > 1 ? 'are' : 'is'} not in the schema.` : '';
  const reason = reasonFor(item, other);
  const message = `Cartesian product: ${reason}; every row of ${itemLabel(other)} pairs with every row of ${itemLabel(item)}. Add the join predicate (or use LATERAL / a one-row subquery if the pairing is intended).${size}`;
  ctx.report({
    message: message.charAt(0).toUpperCase() + message.slice(1),
    range: sqlRangeToFile(site, item.range),
    related: [
      { file: ctx.file.path, range: sqlRangeToFile(site, other.range), message: `${itemLabel(other)}: one side of the product` },
      { file: ctx.file.path, range: sqlRangeToFile(site, item.range), message: `${itemLabel(item)}: the other side, joined without a predicate` },
    ],
    estimate,
    fixes: fix ? [fix] : [],
  });
}

const EXAMPLE_SCHEMA =
  'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\nCREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric NOT NULL);\n';

export default defineRule({
  id: 'cartesian-join',
  meta: {
    summary: 'Two tables in one query with no predicate relating them: every row pairs with every row.',
    defaultSeverity: 'warning',
    fix: 'sometimes',
    languages: ['sql', 'ts'],
    needsSchema: 'the join fixes, which need foreign keys',
    docs: {
      what:
        'Flags a query level where two row sources (tables, or CTEs/subqueries that read tables and may return several rows) are not related by any predicate: `FROM a, b` without a WHERE condition joining them, `CROSS JOIN` of two tables, `JOIN … ON true`, or an `ON` clause that does not mention the joined table. Predicates count wherever they are: ON, USING, NATURAL, WHERE, and correlated EXISTS/IN subqueries that mention both sides. Not flagged: `CROSS JOIN LATERAL` and other lateral subqueries, set-returning functions (`generate_series`, `unnest`, `jsonb_array_elements` …), `VALUES` lists, CTEs or subqueries that return one row (an aggregate without GROUP BY, `LIMIT 1`, a SELECT without FROM such as a `params` CTE), sets that read no table, tables declared `tiny` in the configuration and reference tables the application never writes, a side reduced to one row by a primary-key or unique lookup, and anything the source hides: an `ON` or `WHERE` condition holding an interpolation that may be a name or SQL text (`ON ${a.fields.id} = ${b.fields.userId}`, `ON ${tagFilter()}`) may relate any of the tables — an unknown `ON` is not a missing `ON` — a FROM item hidden in an interpolation (`FROM ${table()} t`) is an unknown relation, and a statement with a fragment built elsewhere (`${whereClause}` on a line of its own) is not judged. One-off code is skipped (its statements run once, not per request): migrations written as code, data migrations, scripts run by hand, upgrades and alterations, seeds and backfills — by folder (`scripts/`, `migration(s)/`, `data-migrations/`, `manual-migrations/`, `seed(s)/`, `backfill(s)/`, `upgrade(s)/`, `oneoffs/`, `temp/`, `tmp/` …), by file name (`seed*`, `backfill*`, `migrate*`, `upgrade*`, `alter*`), and files that package.json scripts run only outside the application (`\"db:report\": \"tsx src/dev/report.ts\"`, while `start`/`dev`/`serve` run application code), and scripts that export nothing, define no function and await their queries at top level (unless an application script runs them); `oneOff.include` / `oneOff.exclude` globs in querylens.config.json add to or override the detection, and the rule option `includeOneOffScripts: true` lints one-off code too. Test files are skipped unless `lintTests`.',
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
      fixSafety:
        'When exactly one foreign key of the schema links the two sides (in either direction), a **suggestion** adds the join predicate it gives, with the aliases as written: `FROM a, b` gets `WHERE a.fk = b.pk` (before GROUP BY / ORDER BY / LIMIT), or `(a.fk = b.pk) AND ` at the start of an existing WHERE (the old condition in parentheses when it is an OR); `CROSS JOIN b` becomes `JOIN b ON a.fk = b.pk`; `JOIN b ON true` has the constant replaced; an ON that ignores the joined table gets the predicate in front. Composite keys give every column pair. The edited statement is parsed before the fix is offered. It is a suggestion, never applied by `--fix`: the key is the likely join, not a certain one. No fix when no key or several keys relate the tables (two keys to `users`, a self-reference in a self-join), or for CTEs and subqueries. The finding points at both table references.',
      estimate:
        'rowsA, rowsB: the rows of each side that survive its own filters — a side with a filter (in WHERE or in its ON) of unknown selectivity keeps **default** defaultMatchingRows = 10; a CTE or subquery with a literal LIMIT keeps that many; otherwise the whole table (`tables.<name>.rows` in querylens.config.json; **default** defaultTableRows = 100 000). A product is only as good as its inputs: when one side is a default count, the pairs are capped at defaultTableRows (or at the larger count config or statistics give), so no estimate says an hour per call without statistics saying so. joinedRows: rows after a key join, **default** the filtered side when one is filtered, else the larger side; joinRowMs (**default** 0.0002 ms per pair); row width from the column types of both tables (**default** 4 × textWidthBytes when unknown). Current = pairs × joinRowMs + transfer of the pairs; fixed = one scan of each side + transfer of the joined rows. A side that is a table the schema does not know (and `tables.<name>.rows` does not size) leaves the product unpriced: the finding says its size is unknown rather than price it from defaults alone, and is `info` (no saving vouches for a warning).',
      whenNotToUse:
        'Deliberate products of two small sets (a calendar × a handful of categories) are fine: declare the small table `tiny` in the configuration, or suppress the line with `-- querylens-disable-next-line cartesian-join -- reason`.',
    },
  },
  check(ctx) {
    // The schema these queries run against is another database's (SchemaModel.otherDatabase): not judged as PostgreSQL.
    if (isSchemaChangeSource(ctx.schema, ctx.file.path) || skipsFile(ctx) || ctx.schema.otherDatabase) return;
    for (const { site, models } of fileQueryModels(ctx.sqlSites(), ctx.schema)) {
      // SQL text nobody can read (a fragment built elsewhere) may hold the join condition.
      for (const model of models) if (!model.incomplete) for (const level of model.levels) checkLevel(ctx, site, model, level);
    }
  },
});
