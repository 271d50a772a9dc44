/**
 * Parameters of the performance model. Each default says where it comes from:
 *   - "seed": the domain source (/work/shared/seed: the inference-latency
 *     model, the case study's budgets and measured gains);
 *   - "PostgreSQL docs": a documented planner or protocol fact;
 *   - "calibrated": measured by THIS project's `npm run calibrate`
 *     (scripts/calibrate.ts and the same tables timed one statement
 *     shape at a time) on a throw-away PostgreSQL 15 cluster over loopback
 *     with the `pg` client, one core per query, SCHED_FIFO so the shared
 *     machine's other load does not count, medians of repeated runs. The
 *     figures quoted are from those runs (test-results/calibration.md).
 * Users override any of them in `querylens.config.json` under `model`.
 */
export interface ModelParams {
  /** Client↔server round trip per statement, ms. Set it from your own p50 `SELECT 1` to the database. */
  roundTripMs: number;
  /** Parse + plan + executor start-up per statement on a warm backend, ms. */
  statementOverheadMs: number;
  /** Rows a sequential scan filters per ms on one core, table in shared buffers. */
  seqScanRowsPerMs: number;
  /** One B-tree descent (root to leaf, inner pages cached), ms. */
  indexDescentMs: number;
  /** Per row fetched through an index (leaf entry + heap visit), ms. */
  indexRowMs: number;
  /** Per result row: protocol DataRow framing and building the row object in the client, ms. */
  resultRowMs: number;
  /** Per result value (one column of one row): length header and decoding in the client, ms. */
  resultValueMs: number;
  /** Network bandwidth for result bytes (the wire), bytes per ms. */
  bandwidthBytesPerMs: number;
  /** Result bytes the server's output functions and the client's decoding (text, JSON.parse) get through per ms. */
  decodeBytesPerMs: number;
  /** Per row pair a join produces before its filter (nested loop without a join qual), ms. */
  joinRowMs: number;
  /** Rows assumed in a table whose size is not configured. */
  defaultTableRows: number;
  /** Iterations assumed for a loop whose collection size the code does not tell. */
  defaultLoopIterations: number;
  /** Rows an equality predicate on a non-unique column matches, when nothing else is known. */
  defaultMatchingRows: number;
  /** Columns in a result row when the query's select list is not known. */
  defaultResultColumns: number;
  /** Average width in bytes of a text/varchar column whose length is unknown. */
  textWidthBytes: number;
  /** Average width in bytes of a json/jsonb/bytea column, or of text "known to be long". */
  largeColumnBytes: number;
}

export const DEFAULT_PARAMS: ModelParams = {
  // Seed: the inference model's `network_latency_ms` input. 0.5 ms is a typical
  // same-availability-zone RTT; calibration measured 0.15 ms for `SELECT 1` over
  // loopback with node-pg (that run overrides this with its own measurement).
  roundTripMs: 0.5,
  // Calibrated: one single-row primary-key lookup took 0.20 ms with a 0.145 ms `SELECT 1`
  // when repeated in a tight loop (≈ 0.06 ms over the round trip); interleaved with other
  // statements, as in a real handler, short statements took 0.15–0.25 ms over it (caches
  // no longer warm): 0.12 ms. PostgreSQL docs ("Overview of PostgreSQL Internals"): every
  // statement is parsed, planned and executed, however small.
  statementOverheadMs: 0.12,
  // Calibrated: a filter over 500K rows (4 columns) took 24.7 ms ≈ 20K rows/ms on one
  // core (max_parallel_workers_per_gather = 0). Parallel seq scans divide this by workers.
  seqScanRowsPerMs: 20000,
  // Calibrated: `id = ANY($1)` with 100 keys took 0.73–1.2 ms (interleaved runs); PostgreSQL
  // (≤ 16) descends the B-tree once per array element (PostgreSQL docs, "Index Scans",
  // ScalarArrayOpExpr): ≈ 6.8 µs per key, of which ≈ 1 µs is decoding the row, so ≈ 6 µs per descent.
  indexDescentMs: 0.006,
  // Calibrated: 500 consecutive primary-key rows of a wide table, two columns, took 0.87 ms:
  // ≈ 1.3 µs per row, 0.6 µs of it decoding, so ≈ 0.5 µs per heap visit.
  indexRowMs: 0.0005,
  // Calibrated: node-pg decoded 10K–300K one-column rows at 0.41–0.53 µs per row and
  // four-column rows (int/text) at 1.06–1.37 µs: ≈ 0.2 µs per row plus ≈ 0.2 µs per value.
  // (timestamptz values cost more, ≈ 2 µs each: Date parsing.)
  resultRowMs: 0.0002,
  resultValueMs: 0.0002,
  // 1 Gbit/s wire (seed: "network overhead for feature transfer"). Over loopback the
  // wire is a memory copy; the calibration sets this to 1e9 there, like roundTripMs.
  bandwidthBytesPerMs: 125000,
  // Calibrated: 500 rows of 1.7 KB jsonb took 2.7–3.9 ms more than the same rows' two
  // narrow columns ≈ 220 000–320 000 B/ms (jsonb output + JSON.parse); as text 244 000.
  // 300 000 sits at the upper end: the interleaved runs (the calibration's method) gave
  // 280 000–320 000. Together with a 1 Gbit/s wire: ≈ 88 000 B/ms end to end.
  decodeBytesPerMs: 300000,
  // Calibrated: `count(*)` over a 300 × 1000 cross join took 11 ms ≈ 0.04 µs per pair.
  joinRowMs: 0.00004,
  // A mid-sized production table; set `tables.<name>.rows` for real figures.
  defaultTableRows: 100000,
  // Typical page size of a list endpoint; the code's LIMIT/take or array length wins when known.
  defaultLoopIterations: 100,
  // A selective equality on a non-unique, indexed-worthy column (high cardinality, seed:
  // "Missing indexes on high-cardinality columns").
  defaultMatchingRows: 10,
  defaultResultColumns: 4,
  // PostgreSQL docs, "Character Types": short strings have a 1-byte header; 32 B is a
  // name/email-sized value.
  textWidthBytes: 32,
  // PostgreSQL docs, "TOAST": values over ≈ 2 KB get compressed/moved out of line, so
  // 2 KB is the size at which wide columns start to dominate a row.
  largeColumnBytes: 2048,
};

export const PARAM_DOCS: Record<keyof ModelParams, string> = {
  roundTripMs: 'client↔database round trip per statement (ms)',
  statementOverheadMs: 'parse + plan + executor start per statement (ms)',
  seqScanRowsPerMs: 'rows a sequential scan filters per ms',
  indexDescentMs: 'one B-tree descent (ms)',
  indexRowMs: 'per matching row fetched through an index (ms)',
  resultRowMs: 'per result row: protocol framing and client row object (ms)',
  resultValueMs: 'per result value decoded by the client (ms)',
  bandwidthBytesPerMs: 'network bandwidth for result bytes (bytes/ms)',
  decodeBytesPerMs: 'result bytes decoded per ms (server output + client parsing)',
  joinRowMs: 'per row pair produced by a join without a join predicate (ms)',
  defaultTableRows: 'rows of a table whose size is not configured',
  defaultLoopIterations: 'iterations of a loop whose collection size is unknown',
  defaultMatchingRows: 'rows matched by an equality on a non-unique column',
  defaultResultColumns: 'columns in a result row when the select list is unknown',
  textWidthBytes: 'average width of a text column (bytes)',
  largeColumnBytes: 'average width of a json/jsonb/bytea/long-text column (bytes)',
};

/**
 * Accepted range of each parameter, inclusive. Outside it the arithmetic
 * stops meaning anything (1e308 ms round trips overflow sums to Infinity,
 * a zero rate divides by zero): the config is rejected with the key named.
 * `exclusiveMin` marks rates that must be positive.
 */
export const PARAM_RANGES: Record<keyof ModelParams, { min: number; max: number; exclusiveMin?: boolean }> = {
  roundTripMs: { min: 0, max: 60_000 },
  statementOverheadMs: { min: 0, max: 60_000 },
  seqScanRowsPerMs: { min: 0, max: 1e9, exclusiveMin: true },
  indexDescentMs: { min: 0, max: 1000 },
  indexRowMs: { min: 0, max: 1000 },
  resultRowMs: { min: 0, max: 1000 },
  resultValueMs: { min: 0, max: 1000 },
  bandwidthBytesPerMs: { min: 0, max: 1e12, exclusiveMin: true },
  decodeBytesPerMs: { min: 0, max: 1e12, exclusiveMin: true },
  joinRowMs: { min: 0, max: 1000 },
  defaultTableRows: { min: 0, max: 1e13 },
  defaultLoopIterations: { min: 0, max: 1e9 },
  defaultMatchingRows: { min: 0, max: 1e13 },
  // PostgreSQL's limit of columns per table.
  defaultResultColumns: { min: 1, max: 1600 },
  // PostgreSQL's largest field value: 1 GB.
  textWidthBytes: { min: 0, max: 1_073_741_824 },
  largeColumnBytes: { min: 0, max: 1_073_741_824 },
};

/** Why a value is out of range for a parameter (or an unknown parameter), undefined when accepted. */
export function paramValueError(name: string, v: unknown): string | undefined {
  const r = (PARAM_RANGES as Record<string, { min: number; max: number; exclusiveMin?: boolean } | undefined>)[name];
  if (!r || !Object.prototype.hasOwnProperty.call(PARAM_RANGES, name)) return `unknown model parameter (known: ${Object.keys(PARAM_RANGES).join(', ')})`;
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a finite number';
  if (r.exclusiveMin ? !(v > r.min) : !(v >= r.min)) return `must be ${r.exclusiveMin ? 'greater than' : 'at least'} ${r.min}, got ${v}`;
  if (v > r.max) return `must be at most ${r.max}, got ${v}`;
  return undefined;
}

/** Largest row count a table may be configured with (tables.<name>.rows). */
export const MAX_TABLE_ROWS = 1e13;

export function resolveParams(overrides: Record<string, number> | undefined): { params: ModelParams; fromConfig: Set<string> } {
  const params = { ...DEFAULT_PARAMS };
  const fromConfig = new Set<string>();
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (k in params && typeof v === 'number' && Number.isFinite(v) && v >= 0) {
      (params as unknown as Record<string, number>)[k] = v;
      fromConfig.add(k);
    }
  }
  return { params, fromConfig };
}
