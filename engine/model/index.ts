/**
 * The performance model: pure functions from what a rule knows (row counts,
 * row widths, loop iterations) to an Estimate (now vs after the fix, with the
 * assumptions used). No I/O. Parameters come from `params.ts`, overridable in
 * config.
 *
 * Per query:  roundTrip + statementOverhead + scan + transfer
 *   scan      sequential: rowsScanned ÷ seqScanRowsPerMs
 *             index:      lookups × indexDescent + matchingRows × indexRowMs
 *   transfer  rowsReturned × (resultRowMs + columns × resultValueMs)
 *             + rowsReturned × rowBytes × (1 ÷ bandwidth + 1 ÷ decode rate)
 *
 * Per finding, the estimate is this cost for the code as written against the
 * cost after the fix (N+1: N statements vs one batched statement; sequential
 * vs index scan; a cross product vs the joined rows; all columns vs the used
 * ones). Request level: the seed's inference-latency model and Amdahl's law
 * (`amdahlSpeedup`) turn a query's share of a handler into the handler's gain.
 *
 * Where the defaults come from: params.ts. How well the ratios hold against a
 * real PostgreSQL: the benchmark `npm run calibrate` (scripts/calibrate.ts)
 * reports predicted against measured speed-ups (goal: within 2× either way);
 * the db suite (test/db/calibration.test.ts) asserts the load-independent
 * part: statement counts, plan shapes, rows and buffers.
 */
import type { Assumption, AssumptionSource, Estimate } from '../types';
import { type ModelParams, resolveParams } from './params';

export type { ModelParams } from './params';
export { DEFAULT_PARAMS, PARAM_DOCS } from './params';

export interface QueryCostInput {
  /** 'seq' scans the whole table; 'index' descends a B-tree; 'none' touches no table (VALUES, constants). */
  access: 'seq' | 'index' | 'none';
  /** Rows in the table scanned (for 'seq'). */
  tableRows: number;
  /** Rows the query returns (and, for 'index', fetches through the index). */
  rowsReturned: number;
  /** Bytes per returned row. */
  rowBytes: number;
  /** Columns per returned row; default `defaultResultColumns`. */
  columns?: number;
  /** B-tree descents for 'index' (one per key of `= ANY($1)` / `IN (…)`); default 1. */
  lookups?: number;
}

export interface Count {
  value: number;
  source: AssumptionSource;
  note?: string;
  /** The collection is a list written out in the code (an array literal nothing grows): its size is all it will ever be. */
  fixed?: boolean;
}

/** Optional inputs of `overFetch`. */
export interface OverFetchOptions {
  /** Columns fetched now and after the fix (default: `defaultResultColumns` and 1 fewer than fetched, at least 1). */
  columnsFetched?: number;
  columnsUsed?: number;
  /** How the rows are found; both sides pay it. Default: an index scan returning `rows`. */
  access?: 'seq' | 'index' | 'none';
  tableRows?: number;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '∞ ms';
  if (ms >= 10000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  if (ms >= 0.01) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

/**
 * A duration rounded to what the model can claim, at the precision
 * `formatMs` prints (so JSON and messages agree): whole ms from 10 ms, one
 * decimal from 1 ms, two from 0.01 ms, 0.1 µs below; whole 0.1 s from 10 s.
 * Machine formats carry this, not `3.5360000000000005`.
 */
export function roundMs(ms: number): number {
  if (!Number.isFinite(ms)) return ms;
  if (ms >= 10000) return Math.round(ms / 100) * 100;
  if (ms >= 10) return Math.round(ms);
  if (ms >= 1) return Math.round(ms * 10) / 10;
  if (ms >= 0.01) return Math.round(ms * 100) / 100;
  return Math.round(ms * 10000) / 10000;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toPrecision(3)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e4) return `${+(n / 1e3).toPrecision(3)}K`;
  return String(Math.round(n));
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KB`;
  return `${Math.round(n)} B`;
}

/** "12×", "3.4×": a speed-up for messages. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '∞×';
  return r >= 10 ? `${Math.round(r)}×` : `${r.toFixed(1)}×`;
}

/**
 * The seed's real-time inference model (`calculate_inference_latency`):
 * end-to-end latency as feature retrieval + network transfer + model time,
 * with the seed's stated rates (100 features per unit of database latency,
 * 50 features per unit of network latency). Kept verbatim so budgets can be
 * reasoned about in the seed's terms; querylens' own per-query model is
 * `CostModel.queryMs`.
 */
export function calculateInferenceLatency(featureCount: number, dbLatencyMs: number, networkLatencyMs: number, modelLatencyMs: number): number {
  const featureRetrievalOverhead = dbLatencyMs * (featureCount / 100);
  const networkOverhead = networkLatencyMs * (featureCount / 50);
  return featureRetrievalOverhead + networkOverhead + modelLatencyMs;
}

/**
 * Amdahl's law: the whole request's speed-up when a part taking `fraction`
 * of its time becomes `partSpeedup` times faster: 1 / ((1 − f) + f / s).
 */
export function amdahlSpeedup(fraction: number, partSpeedup: number): number {
  const f = Math.max(0, Math.min(1, fraction));
  if (!(partSpeedup > 0)) return 1;
  if (!Number.isFinite(partSpeedup)) return f >= 1 ? Infinity : 1 / (1 - f);
  return 1 / (1 - f + f / partSpeedup);
}

/** What fixing one query does to a request with a latency budget. */
export interface BudgetImpact {
  budgetMs: number;
  /** The request's estimated database time (sum over its queries), ms. */
  requestMs: number;
  /** This query's estimate now and after its fix, ms. */
  queryMs: number;
  queryFixedMs: number;
  /** Share of the budget this query uses (may exceed 1). */
  budgetShare: number;
  /** Share of the request's time this query takes (Amdahl's f). */
  requestShare: number;
  /** Amdahl's law: the request's speed-up when this query alone is fixed. */
  requestSpeedup: number;
  /** The request's time after fixing this query. */
  requestFixedMs: number;
}

export function budgetImpact(budgetMs: number, requestMs: number, queryMs: number, queryFixedMs: number): BudgetImpact {
  const total = Math.max(requestMs, queryMs);
  const f = total > 0 ? queryMs / total : 0;
  const s = queryFixedMs > 0 ? queryMs / queryFixedMs : Infinity;
  const speedup = amdahlSpeedup(f, s);
  return {
    budgetMs,
    requestMs: total,
    queryMs,
    queryFixedMs,
    budgetShare: budgetMs > 0 ? queryMs / budgetMs : Infinity,
    requestShare: f,
    requestSpeedup: speedup,
    requestFixedMs: total - queryMs + queryFixedMs,
  };
}

export class CostModel {
  readonly params: ModelParams;
  private readonly fromConfig: Set<string>;

  constructor(overrides?: Record<string, number>) {
    const r = resolveParams(overrides);
    this.params = r.params;
    this.fromConfig = r.fromConfig;
  }

  /** An assumption for a model parameter, marked config or default. */
  param(name: keyof ModelParams, unit?: string): Assumption {
    const fromConfig = this.fromConfig.has(name);
    return {
      name,
      value: this.params[name],
      unit,
      source: fromConfig ? 'config' : 'default',
      note: fromConfig ? undefined : `default; set model.${name} in querylens.config.json`,
    };
  }

  /** True when the user set this parameter in config. */
  isConfigured(name: keyof ModelParams): boolean {
    return this.fromConfig.has(name);
  }

  scanMs(q: QueryCostInput): number {
    const p = this.params;
    if (q.access === 'seq') return q.tableRows / p.seqScanRowsPerMs;
    if (q.access === 'index') return Math.max(1, q.lookups ?? 1) * p.indexDescentMs + q.rowsReturned * p.indexRowMs;
    return 0;
  }

  /** Sending `rows` result rows of `rowBytes` bytes and `columns` values each, and decoding them. */
  transferMs(rows: number, rowBytes: number, columns?: number): number {
    const p = this.params;
    const cols = columns ?? p.defaultResultColumns;
    return rows * (p.resultRowMs + cols * p.resultValueMs) + (rows * rowBytes) / p.bandwidthBytesPerMs + (rows * rowBytes) / p.decodeBytesPerMs;
  }

  /** Latency of one statement, ms. */
  queryMs(q: QueryCostInput): number {
    const p = this.params;
    return p.roundTripMs + p.statementOverheadMs + this.scanMs(q) + this.transferMs(q.rowsReturned, q.rowBytes, q.columns);
  }

  private countAssumption(name: string, c: Count, unit?: string): Assumption {
    return { name, value: c.value, unit, source: c.source, note: c.note };
  }

  /**
   * N queries (one per element) vs one batched query returning all N results.
   * The batched statement pays one round trip but still one B-tree descent per
   * key (`= ANY($1)` on PostgreSQL ≤ 16), so `lookups` = N. A per-element
   * statement whose filter no index serves scans the table every iteration
   * (`tableRows` says how many rows, and where that figure comes from); batched,
   * it scans once.
   */
  nPlusOne(iterations: Count, written: QueryCostInput, rowsPerQuery?: Count, tableRows?: Count): Estimate {
    const n = Math.max(1, iterations.value);
    const { perQuery, cap } = this.capLoopRows(n, iterations, written, rowsPerQuery);
    const one = this.queryMs(perQuery);
    const current = n * one;
    const batched: QueryCostInput = {
      ...perQuery,
      access: perQuery.access === 'seq' ? 'seq' : 'index',
      rowsReturned: perQuery.rowsReturned * n,
      lookups: perQuery.access === 'seq' ? 1 : Math.max(1, perQuery.lookups ?? 1) * n,
    };
    const fixed = Math.min(this.queryMs(batched), current);
    const assumptions: Assumption[] = [
      this.countAssumption('iterations', iterations),
      this.param('roundTripMs', 'ms'),
      this.param('statementOverheadMs', 'ms'),
      rowsPerQuery
        ? { ...this.countAssumption('rowsPerQuery', rowsPerQuery), value: perQuery.rowsReturned, ...(cap && perQuery.rowsReturned !== rowsPerQuery.value ? { note: `${rowsPerQuery.note ?? ''}; ${cap}` } : {}) }
        : { name: 'rowsPerQuery', value: perQuery.rowsReturned, source: 'default', note: 'rows each statement returns' },
    ];
    if (perQuery.access === 'seq') {
      const scanned = tableRows ?? { value: perQuery.tableRows, source: 'default' as const };
      assumptions.push({ ...this.countAssumption('rowsScannedPerQuery', scanned), note: `sequential scan in every iteration (no index serves the filter)${scanned.note ? `; ${scanned.note}` : ''}` });
      assumptions.push(this.param('seqScanRowsPerMs', 'rows/ms'));
    }
    return {
      currentMs: current,
      fixedMs: fixed,
      assumptions,
      summary: `≈ ${formatCount(n)} round trips ≈ ${formatMs(current)} per call${perQuery.access === 'seq' ? ` (each scans ≈ ${formatCount(perQuery.tableRows)} rows${cap ? ` and returns ≤ ${formatCount(perQuery.rowsReturned)}: capped, the table's rows are unknown` : ''})` : cap ? ` (each returns ≤ ${formatCount(perQuery.rowsReturned)} rows: capped, the table's rows are unknown)` : ''}; batched ≈ ${formatMs(fixed)}`,
    };
  }

  /**
   * A loop's rows are only as good as their inputs: when both the loop's size and the rows each query returns rest on
   * defaults (an unknown collection, an unknown table read whole), the rows all iterations return together are not
   * estimated beyond one default table's rows — cartesian-join's cap for pairs, here for iterations × rows. The
   * per-query figure shrinks (an hour per call needs statistics saying so); a loop size or row count that code,
   * config or statistics give is not capped, nor are the rows a scan reads (the same default a single query's scan
   * is priced with).
   */
  private capLoopRows(n: number, iterations: Count, q: QueryCostInput, rows?: Count): { perQuery: QueryCostInput; cap?: string } {
    const cap = this.params.defaultTableRows;
    if (n * q.rowsReturned <= cap || iterations.source !== 'default' || (rows?.source ?? 'default') !== 'default') return { perQuery: q };
    const most = Math.max(1, Math.floor(cap / n));
    return {
      perQuery: { ...q, rowsReturned: most },
      cap: `capped at ${formatCount(most)} rows per query: with a default loop size and row count, ${formatCount(n)} iterations are not estimated to return more than ${formatCount(cap)} rows in all; set tables.<name>.rows or run querylens stats pull`,
    };
  }


  /** A sequential scan of `tableRows` vs an index scan returning `matching` rows. */
  unindexed(tableRows: Count, matching: Count, rowBytes: number, columns?: number): Estimate {
    const seq: QueryCostInput = { access: 'seq', tableRows: tableRows.value, rowsReturned: matching.value, rowBytes, columns };
    const idx: QueryCostInput = { access: 'index', tableRows: tableRows.value, rowsReturned: matching.value, rowBytes, columns };
    const current = this.queryMs(seq);
    const fixed = Math.min(this.queryMs(idx), current);
    return {
      currentMs: current,
      fixedMs: fixed,
      assumptions: [
        this.countAssumption('tableRows', tableRows),
        this.countAssumption('matchingRows', matching),
        this.param('seqScanRowsPerMs', 'rows/ms'),
        this.param('indexDescentMs', 'ms'),
        this.param('roundTripMs', 'ms'),
      ],
      summary: `sequential scan of ≈ ${formatCount(tableRows.value)} rows ≈ ${formatMs(current)}; with an index ≈ ${formatMs(fixed)}`,
    };
  }

  /**
   * rows(a) × rows(b) pairs, each produced by the join and sent to the client,
   * vs the joined rows (a hash join reads each side once).
   */
  cartesian(rowsA: Count, rowsB: Count, joinedRows: Count, rowBytes: number, columns?: number): Estimate {
    const p = this.params;
    const pairs = rowsA.value * rowsB.value;
    const base = p.roundTripMs + p.statementOverheadMs + (rowsA.value + rowsB.value) / p.seqScanRowsPerMs;
    const current = base + pairs * p.joinRowMs + this.transferMs(pairs, rowBytes, columns);
    const fixed = Math.min(base + this.transferMs(joinedRows.value, rowBytes, columns), current);
    return {
      currentMs: current,
      fixedMs: fixed,
      assumptions: [
        this.countAssumption('rowsA', rowsA),
        this.countAssumption('rowsB', rowsB),
        this.countAssumption('joinedRows', joinedRows),
        this.param('joinRowMs', 'ms'),
        this.param('resultRowMs', 'ms'),
      ],
      summary: `≈ ${formatCount(pairs)} row pairs ≈ ${formatMs(current)}; joined ≈ ${formatMs(fixed)}`,
    };
  }

  /** Fetching `bytesAll` per row vs only the `bytesUsed` the code reads. */
  overFetch(rows: Count, bytesAll: number, bytesUsed: number, opts: OverFetchOptions = {}): Estimate {
    const p = this.params;
    const colsAll = opts.columnsFetched ?? p.defaultResultColumns;
    const colsUsed = Math.min(colsAll, opts.columnsUsed ?? Math.max(1, colsAll - 1));
    const find: QueryCostInput = { access: opts.access ?? 'index', tableRows: opts.tableRows ?? rows.value, rowsReturned: rows.value, rowBytes: 0 };
    const base = p.roundTripMs + p.statementOverheadMs + this.scanMs(find);
    const used = Math.min(bytesUsed, bytesAll);
    const current = base + this.transferMs(rows.value, bytesAll, colsAll);
    const fixed = Math.min(base + this.transferMs(rows.value, used, colsUsed), current);
    const wasted = rows.value * Math.max(0, bytesAll - used);
    return {
      currentMs: current,
      fixedMs: fixed,
      assumptions: [
        this.countAssumption('rows', rows),
        { name: 'rowBytesFetched', value: Math.round(bytesAll), unit: 'B', source: 'schema', note: 'from column types' },
        { name: 'rowBytesUsed', value: Math.round(used), unit: 'B', source: 'schema', note: 'columns the code reads' },
        this.param('bandwidthBytesPerMs', 'B/ms'),
        this.param('decodeBytesPerMs', 'B/ms'),
      ],
      summary: `≈ ${formatBytes(wasted)} fetched and unused per call ≈ ${formatMs(current - fixed)} of transfer`,
    };
  }
}

/** Bytes per value of a PostgreSQL column type, for transfer estimates. */
export function typeWidth(type: string, params: ModelParams): number {
  const t = type.toLowerCase().replace(/\(.*\)$/, '').replace(/\[\]$/, '[]');
  if (t.endsWith('[]')) return params.largeColumnBytes / 4;
  switch (t) {
    case 'bool':
    case 'boolean':
      return 1;
    case 'int2':
    case 'smallint':
      return 2;
    case 'int4':
    case 'int':
    case 'integer':
    case 'float4':
    case 'real':
    case 'date':
    case 'serial':
      return 4;
    case 'int8':
    case 'bigint':
    case 'bigserial':
    case 'float8':
    case 'double precision':
    case 'timestamp':
    case 'timestamptz':
    case 'time':
    case 'money':
      return 8;
    case 'uuid':
    case 'interval':
      return 16;
    case 'numeric':
    case 'decimal':
      return 12;
    case 'json':
    case 'jsonb':
    case 'bytea':
    case 'xml':
    case 'tsvector':
    case 'vector':
      return params.largeColumnBytes;
    default:
      return params.textWidthBytes;
  }
}

/**
 * Column types whose values are large enough that fetching them unread is waste worth flagging; an array of one
 * (`jsonb[]`, Prisma `Json[]`) too. An array of scalars (`text[]` tags, `int4[]` ids) is not: its size is the
 * list's, unknown without statistics.
 */
export function isLargeType(type: string): boolean {
  const t = type.toLowerCase().replace(/\[\]$/, '');
  return t === 'json' || t === 'jsonb' || t === 'bytea' || t === 'xml' || t === 'tsvector' || t.startsWith('vector');
}

/**
 * Names of a column that holds a document, not a label: a post's `content`, an album's `about`, a user's `bio`,
 * a track's `lyrics`, a comment's `text`, a base64 `screenshot` (`bodyHtml`, `contentMarkdown`: the suffix).
 * Matched on the name lower-cased without `_`.
 */
const DOCUMENT_NAME = /^(about|bio|biography|body|content|contents|credits|description|html|lyrics|markdown|text|transcript|screenshot|thumbnail)$|.(body|content|html|markdown)$/;

/**
 * A long text column: unbounded text (`text`, `citext`; Prisma `String`) named as a document (DOCUMENT_NAME).
 * Its width is unknown without statistics, but such a column holds paragraphs, not a word: over-fetching counts
 * it as large (estimated at half of largeColumnBytes), as it does jsonb. A `varchar` has a declared bound and is
 * not one; with pg_stats' avg_width in the stats snapshot the measured width decides (columnWidth).
 */
export function isLongText(c: { name: string; type: string }): boolean {
  const t = c.type.toLowerCase();
  return (t === 'text' || t === 'citext') && DOCUMENT_NAME.test(c.name.toLowerCase().replace(/_/g, ''));
}
