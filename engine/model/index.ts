/**
 * The performance model: pure functions from what a rule knows (row counts,
 * row widths, loop iterations) to an Estimate (now vs after the fix, with the
 * assumptions used). No I/O. Parameters come from `params.ts`, overridable in
 * config.
 *
 * Per query:  roundTrip + statementOverhead + scan + transfer
 *   scan      sequential: rowsScanned ÷ seqScanRowsPerMs
 *             index:      indexDescent + matchingRows × indexRowMs
 *   transfer  rowsReturned × rowBytes ÷ bandwidth
 */
import type { Assumption, AssumptionSource, Estimate } from '../types';
import { type ModelParams, resolveParams } from './params';

export type { ModelParams } from './params';

export interface QueryCostInput {
  /** 'seq' scans the whole table; 'index' descends a B-tree; 'none' touches no table (VALUES, constants). */
  access: 'seq' | 'index' | 'none';
  /** Rows in the table scanned (for 'seq'). */
  tableRows: number;
  /** Rows the query returns (and, for 'index', fetches through the index). */
  rowsReturned: number;
  /** Bytes per returned row. */
  rowBytes: number;
}

export interface Count {
  value: number;
  source: AssumptionSource;
  note?: string;
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

/**
 * The seed's real-time inference model: end-to-end latency as feature
 * retrieval + network transfer + model time, with its stated rates
 * (100 features per ms of database time, 50 features per ms of network).
 */
export function calculateInferenceLatency(featureCount: number, dbLatencyMs: number, networkLatencyMs: number, modelLatencyMs: number): number {
  const featureRetrievalOverhead = dbLatencyMs * (featureCount / 100);
  const networkOverhead = networkLatencyMs * (featureCount / 50);
  return featureRetrievalOverhead + networkOverhead + modelLatencyMs;
}

/**
 * Amdahl's law: the whole request's speed-up when a part taking `fraction`
 * of its time becomes `partSpeedup` times faster.
 */
export function amdahlSpeedup(fraction: number, partSpeedup: number): number {
  const f = Math.max(0, Math.min(1, fraction));
  if (!(partSpeedup > 0)) return 1;
  return 1 / (1 - f + f / partSpeedup);
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

  scanMs(q: QueryCostInput): number {
    const p = this.params;
    if (q.access === 'seq') return q.tableRows / p.seqScanRowsPerMs;
    if (q.access === 'index') return p.indexDescentMs + q.rowsReturned * p.indexRowMs;
    return 0;
  }

  transferMs(rows: number, rowBytes: number): number {
    return (rows * rowBytes) / this.params.bandwidthBytesPerMs;
  }

  /** Latency of one statement, ms. */
  queryMs(q: QueryCostInput): number {
    const p = this.params;
    return p.roundTripMs + p.statementOverheadMs + this.scanMs(q) + this.transferMs(q.rowsReturned, q.rowBytes);
  }

  private countAssumption(name: string, c: Count, unit?: string): Assumption {
    return { name, value: c.value, unit, source: c.source, note: c.note };
  }

  /** N queries (one per element) vs one batched query returning all N results. */
  nPlusOne(iterations: Count, perQuery: QueryCostInput): Estimate {
    const n = Math.max(1, iterations.value);
    const one = this.queryMs(perQuery);
    const current = n * one;
    const batched: QueryCostInput = {
      ...perQuery,
      access: perQuery.access === 'seq' ? 'seq' : 'index',
      rowsReturned: perQuery.rowsReturned * n,
    };
    const fixed = this.queryMs(batched);
    return {
      currentMs: current,
      fixedMs: Math.min(fixed, current),
      assumptions: [
        this.countAssumption('iterations', iterations),
        this.param('roundTripMs', 'ms'),
        this.param('statementOverheadMs', 'ms'),
        { name: 'rowsPerQuery', value: perQuery.rowsReturned, source: 'default' },
      ],
      summary: `≈ ${formatCount(n)} round trips ≈ ${formatMs(current)} per call; batched ≈ ${formatMs(fixed)}`,
    };
  }

  /** A sequential scan of `tableRows` vs an index scan returning `matching` rows. */
  unindexed(tableRows: Count, matching: Count, rowBytes: number): Estimate {
    const seq: QueryCostInput = { access: 'seq', tableRows: tableRows.value, rowsReturned: matching.value, rowBytes };
    const idx: QueryCostInput = { access: 'index', tableRows: tableRows.value, rowsReturned: matching.value, rowBytes };
    const current = this.queryMs(seq);
    const fixed = this.queryMs(idx);
    return {
      currentMs: current,
      fixedMs: Math.min(fixed, current),
      assumptions: [
        this.countAssumption('tableRows', tableRows),
        this.countAssumption('matchingRows', matching),
        this.param('seqScanRowsPerMs', 'rows/ms'),
        this.param('indexDescentMs', 'ms'),
      ],
      summary: `sequential scan of ≈ ${formatCount(tableRows.value)} rows ≈ ${formatMs(current)}; with an index ≈ ${formatMs(fixed)}`,
    };
  }

  /** rows(a) × rows(b) pairs vs the joined rows. */
  cartesian(rowsA: Count, rowsB: Count, joinedRows: Count, rowBytes: number): Estimate {
    const p = this.params;
    const pairs = rowsA.value * rowsB.value;
    const current = p.roundTripMs + p.statementOverheadMs + pairs * p.joinRowMs + this.transferMs(pairs, rowBytes);
    const fixed =
      p.roundTripMs + p.statementOverheadMs + (rowsA.value + rowsB.value) / p.seqScanRowsPerMs + this.transferMs(joinedRows.value, rowBytes);
    return {
      currentMs: current,
      fixedMs: Math.min(fixed, current),
      assumptions: [
        this.countAssumption('rowsA', rowsA),
        this.countAssumption('rowsB', rowsB),
        this.countAssumption('joinedRows', joinedRows),
        this.param('joinRowMs', 'ms'),
      ],
      summary: `≈ ${formatCount(pairs)} row pairs ≈ ${formatMs(current)}; joined ≈ ${formatMs(fixed)}`,
    };
  }

  /** Fetching `bytesAll` per row vs only the `bytesUsed` the code reads. */
  overFetch(rows: Count, bytesAll: number, bytesUsed: number): Estimate {
    const p = this.params;
    const base = p.roundTripMs + p.statementOverheadMs;
    const current = base + this.transferMs(rows.value, bytesAll);
    const fixed = base + this.transferMs(rows.value, Math.min(bytesUsed, bytesAll));
    const wasted = rows.value * Math.max(0, bytesAll - bytesUsed);
    return {
      currentMs: current,
      fixedMs: Math.min(fixed, current),
      assumptions: [
        this.countAssumption('rows', rows),
        { name: 'rowBytesFetched', value: Math.round(bytesAll), unit: 'B', source: 'schema' },
        { name: 'rowBytesUsed', value: Math.round(bytesUsed), unit: 'B', source: 'schema' },
        this.param('bandwidthBytesPerMs', 'B/ms'),
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

/** Column types whose values are large enough that fetching them unread is waste worth flagging. */
export function isLargeType(type: string): boolean {
  const t = type.toLowerCase();
  return t === 'json' || t === 'jsonb' || t === 'bytea' || t === 'xml' || t === 'tsvector' || t.startsWith('vector');
}
