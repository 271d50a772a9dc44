/**
 * Parameters of the performance model. Each default says where it comes from:
 *   - "seed": the domain source (/work/shared/seed: the inference-latency
 *     model, the case study's budgets and measured gains);
 *   - "PostgreSQL docs": a documented planner or protocol fact;
 *   - "calibrated": measured by THIS project's `npm run test:db`
 *     (test/db/calibration.test.ts) on a throw-away PostgreSQL 15 cluster over
 *     loopback with the `pg` client, one core per query, median of repeated
 *     runs. The figures quoted are from that run (test-results/calibration.md).
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
  /** Effective result throughput (wire + server output functions + client decoding), bytes per ms. */
  bandwidthBytesPerMs: number;
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
  // Calibrated: 100 single-row primary-key lookups took 22.5 ms with a 0.147 ms
  // `SELECT 1`; the remainder per statement is ≈ 0.07 ms (PostgreSQL docs, "Planner/
  // Optimizer": every statement is parsed, planned and executed, even a trivial one).
  statementOverheadMs: 0.07,
  // Calibrated: a filter over 500K rows (4 columns) took 24.6 ms ≈ 20K rows/ms on one
  // core (max_parallel_workers_per_gather = 0). Parallel seq scans divide this by workers.
  seqScanRowsPerMs: 20000,
  // Calibrated: `id = ANY($1)` with 100 keys took 0.79 ms; PostgreSQL (≤ 16) descends
  // the B-tree once per array element (PostgreSQL docs, "Index Scans", ScalarArrayOpExpr),
  // giving ≈ 4 µs per descent with inner pages cached.
  indexDescentMs: 0.004,
  // Calibrated: 500 consecutive rows through the primary key took 0.45 ms in all;
  // scattered rows cost more (one heap page each), which the 4 µs descent covers for lookups.
  indexRowMs: 0.0002,
  // Calibrated: node-pg decoded 10K–300K one-column rows at 0.45–0.7 µs per row and
  // four-column rows at 1.0–1.4 µs: ≈ 0.2 µs per row plus ≈ 0.2 µs per value.
  resultRowMs: 0.0002,
  resultValueMs: 0.0002,
  // Calibrated: 500 rows of 1.7 KB jsonb (855 KB) took 10.5 ms more than two narrow
  // columns ≈ 81 000 B/ms (jsonb output + JSON.parse bound); 10 MB of text came at
  // 104 000 B/ms. On a real 1 Gbit/s link the wire alone is 125 000 B/ms, so set
  // ≈ 50 000 there.
  bandwidthBytesPerMs: 80000,
  // Calibrated: `count(*)` over a 300 × 1000 cross join took 12 ms ≈ 0.04 µs per pair.
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
  bandwidthBytesPerMs: 'effective result throughput (bytes/ms)',
  joinRowMs: 'per row pair produced by a join without a join predicate (ms)',
  defaultTableRows: 'rows of a table whose size is not configured',
  defaultLoopIterations: 'iterations of a loop whose collection size is unknown',
  defaultMatchingRows: 'rows matched by an equality on a non-unique column',
  defaultResultColumns: 'columns in a result row when the select list is unknown',
  textWidthBytes: 'average width of a text column (bytes)',
  largeColumnBytes: 'average width of a json/jsonb/bytea/long-text column (bytes)',
};

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
