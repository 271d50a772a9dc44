/**
 * Selectivity from statistics: the share of a table's rows a predicate keeps,
 * computed the way PostgreSQL's planner does for a value it does not know
 * (a `$n` parameter, which is what the code sends), from the stats snapshot's
 * pg_stats figures. Without statistics for the column: undefined, and the
 * caller keeps its structural answer (engine/sql/selectivity.ts) or default.
 *
 * Formulas (PostgreSQL src/backend/utils/adt/selfuncs.c):
 *   col = $1     var_eq_non_const: (1 − null_frac) ÷ n_distinct, capped by
 *                the most common value's frequency;
 *   col IN (k)   k × that (scalararraysel sums the elements), at most 1;
 *   IS NULL      null_frac; IS NOT NULL 1 − null_frac;
 *   <, >, …      DEFAULT_INEQ_SEL = 1/3 (no histogram bounds in the snapshot:
 *                they would be data values);
 *   LIKE         DEFAULT_MATCH_SEL = 0.005.
 * n_distinct < 0 is minus a fraction of the rows (−1: every value distinct).
 *
 * `statsVerdict` answers "is an index worth it?" with the cost model's own
 * scan and index-row costs, so the answer agrees with the estimate the
 * finding shows. `matchingRows` multiplies the filters' selectivities
 * (independence, as the planner assumes). `fanOut` is rows of a child table
 * per distinct parent key. Pure.
 */
import { findColumn, type TableInfo } from '../schema/types';
import type { ColumnStats } from '../stats/snapshot';
import type { AssumptionSource } from '../types';
import { type Count, formatCount } from './index';
import type { ModelParams } from './params';

/** How a predicate compares a column (the ops of ORM filters and SQL predicates). */
export type PredicateOp = 'eq' | 'in' | 'range' | 'like-prefix' | 'like-contains' | 'like-leading' | 'like-unknown' | 'null' | 'not-null' | 'ne' | string;

export interface Fraction {
  value: number;
  source: AssumptionSource;
  note: string;
}

/** PostgreSQL's DEFAULT_INEQ_SEL and DEFAULT_MATCH_SEL (selfuncs.h). */
const DEFAULT_INEQ_SEL = 1 / 3;
const DEFAULT_MATCH_SEL = 0.005;

/** The snapshot's statistics of a column, found by its database name or (Prisma) field name. */
export function columnStats(table: TableInfo | undefined, column: string): ColumnStats | undefined {
  const cols = table?.stats?.columns;
  if (!cols) return undefined;
  if (cols[column]) return cols[column];
  const info = findColumn(table, column);
  return info ? cols[info.name] : undefined;
}

/** Distinct non-null values of a column: n_distinct as a count (a negative n_distinct is a fraction of the rows). */
export function distinctValues(cs: ColumnStats, rows: number): number {
  const d = cs.nDistinct >= 0 ? cs.nDistinct : -cs.nDistinct * rows;
  return Math.max(1, d);
}

/** The share of rows `column op $n` keeps, from the snapshot's pg_stats; undefined without statistics. */
export function statsSelectivity(table: TableInfo | undefined, column: string, op: PredicateOp, opts: { inCount?: number } = {}): Fraction | undefined {
  const cs = columnStats(table, column);
  if (!table || !cs) return undefined;
  const rows = table.rows ?? table.stats?.rows ?? 0;
  const nd = distinctValues(cs, rows);
  const maxMcf = cs.mostCommonFreqs?.length ? Math.max(...cs.mostCommonFreqs) : undefined;
  const eq = Math.min((1 - cs.nullFrac) / nd, maxMcf ?? 1);
  const ndText = cs.nDistinct < 0 ? `${formatCount(nd)} distinct (n_distinct ${cs.nDistinct})` : `${formatCount(nd)} distinct`;
  const note = (what: string) => `pg_stats of ${table.name}.${column}: ${what}`;
  switch (op) {
    case 'eq':
      return { value: eq, source: 'stats', note: note(`${ndText}, null_frac ${+cs.nullFrac.toPrecision(3)}${maxMcf !== undefined && eq === maxMcf ? `, capped by the most common value's frequency ${+maxMcf.toPrecision(3)}` : ''}`) };
    case 'in': {
      const k = Math.max(1, opts.inCount ?? 1);
      return { value: Math.min(1, k * eq), source: 'stats', note: note(`${k} value${k === 1 ? '' : 's'} of ${ndText}`) };
    }
    case 'null':
      return { value: cs.nullFrac, source: 'stats', note: note(`null_frac ${+cs.nullFrac.toPrecision(3)}`) };
    case 'not-null':
      return { value: 1 - cs.nullFrac, source: 'stats', note: note(`null_frac ${+cs.nullFrac.toPrecision(3)}`) };
    case 'ne':
      return { value: Math.max(0, 1 - cs.nullFrac - eq), source: 'stats', note: note(`all but one of ${ndText}`) };
    case 'range':
      return { value: DEFAULT_INEQ_SEL * (1 - cs.nullFrac), source: 'stats', note: note('an inequality with an unknown bound keeps 1/3 of the rows (PostgreSQL DEFAULT_INEQ_SEL)') };
    default:
      if (op.startsWith('like')) return { value: DEFAULT_MATCH_SEL, source: 'stats', note: note('a pattern match keeps 0.5 % of the rows (PostgreSQL DEFAULT_MATCH_SEL)') };
      return undefined;
  }
}

/**
 * Whether an index on the column pays for a predicate that keeps `fraction`
 * of `rows` rows: fetching the matches through an index (a descent plus a
 * heap visit per row) against filtering every row in a sequential scan,
 * with the cost model's parameters. The planner's own crossover is near
 * here too (random against sequential page reads).
 */
export function indexWorthIt(fraction: number, rows: number, params: Pick<ModelParams, 'seqScanRowsPerMs' | 'indexDescentMs' | 'indexRowMs'>): boolean {
  const seq = rows / params.seqScanRowsPerMs;
  const idx = params.indexDescentMs + fraction * rows * params.indexRowMs;
  return idx < seq;
}

/**
 * The statistics' verdict on a predicate for `unindexed-predicate`: selective (an index pays) or
 * not, with the figures; undefined when the snapshot has no statistics for the column.
 */
export function statsVerdict(
  table: TableInfo,
  column: string,
  op: PredicateOp,
  params: Pick<ModelParams, 'seqScanRowsPerMs' | 'indexDescentMs' | 'indexRowMs'>,
): { selective: true; fraction: Fraction } | { selective: false; why: string; fraction: Fraction } | undefined {
  const f = statsSelectivity(table, column, op);
  if (!f || table.rows === undefined) return undefined;
  if (indexWorthIt(f.value, table.rows, params)) return { selective: true, fraction: f };
  const kept = f.value * table.rows;
  return {
    selective: false,
    fraction: f,
    why: `the statistics say it keeps ≈ ${formatCount(kept)} of ${formatCount(table.rows)} rows (${+(f.value * 100).toPrecision(2)} %): reading them through an index would cost more than the scan (${f.note})`,
  };
}

/** One filter of a query: a column and how it is compared. */
export interface FilterUse {
  column: string;
  op?: PredicateOp;
  inCount?: number;
}

/**
 * Rows one execution keeps after its filters, from statistics where the snapshot has them
 * (independent filters multiply, as in the planner); undefined when no filter column has statistics.
 */
export function matchingRows(table: TableInfo | undefined, filters: FilterUse[]): Count | undefined {
  if (!table || table.rows === undefined || !filters.length) return undefined;
  let fraction = 1;
  const notes: string[] = [];
  for (const f of filters) {
    const s = statsSelectivity(table, f.column, f.op ?? 'eq', { inCount: f.inCount });
    if (!s) continue;
    fraction *= s.value;
    notes.push(s.note);
  }
  if (!notes.length) return undefined;
  return { value: Math.max(1, fraction * table.rows), source: 'stats', note: `${formatCount(table.rows)} rows × ${+fraction.toPrecision(3)}; ${notes.join('; ')}` };
}

/**
 * Rows of `child` per distinct value of its column(s) `fk`: the fan-out of a one-to-many relation, which is
 * how many elements a loop over "the children of one parent" walks. Undefined without statistics.
 */
export function fanOut(child: TableInfo | undefined, fk: string[]): Count | undefined {
  if (!child || child.rows === undefined || !fk.length) return undefined;
  let fraction = 1;
  const parts: string[] = [];
  for (const c of fk) {
    const cs = columnStats(child, c);
    if (!cs) return undefined;
    const nd = distinctValues(cs, child.rows);
    fraction *= (1 - cs.nullFrac) / nd;
    parts.push(`${formatCount(nd)} distinct ${c}`);
  }
  const value = Math.max(1, fraction * child.rows);
  return { value, source: 'stats', note: `fan-out of ${child.name}.${fk.join(', ')}: ${formatCount(child.rows)} rows over ${parts.join(', ')} ≈ ${+value.toPrecision(3)} per key (stats snapshot)` };
}

/**
 * Rows a filter on `column` keeps, for an `unindexed-predicate` estimate: from the statistics when
 * the snapshot has them, else the query's LIMIT when smaller than the default, else
 * `defaultMatchingRows`; never more than the LIMIT.
 */
export function predicateMatching(table: TableInfo, column: string, op: PredicateOp, limit: number | undefined, params: Pick<ModelParams, 'defaultMatchingRows'>, limitWord = 'LIMIT'): Count {
  const f = op === 'order' ? undefined : statsSelectivity(table, column, op);
  if (f && table.rows !== undefined) {
    const kept = Math.max(1, f.value * table.rows);
    if (limit !== undefined && limit < kept) return { value: limit, source: 'code', note: `${limitWord} of the query (the filter keeps ≈ ${formatCount(kept)} rows)` };
    return { value: kept, source: 'stats', note: `rows matching: ${formatCount(table.rows)} × ${+f.value.toPrecision(3)}; ${f.note}` };
  }
  if (limit !== undefined && (op === 'order' || limit < params.defaultMatchingRows)) return { value: limit, source: 'code', note: `${limitWord} of the query` };
  return { value: params.defaultMatchingRows, source: 'default', note: 'rows matching the predicate; default defaultMatchingRows (run querylens stats pull for the real figure)' };
}
