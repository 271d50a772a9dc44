/**
 * Parameters of the performance model. Each default says where it comes from.
 * Users override any of them in `querylens.config.json` under `model`.
 * `test/db/calibration.test.ts` measures the ratios these produce against a
 * real PostgreSQL; defaults marked "calibrated" were tuned from that run.
 */
export interface ModelParams {
  /** Client↔server round trip per statement, ms. Default: same-zone network RTT (~0.5 ms); set it from your own p50 ping to the database. */
  roundTripMs: number;
  /** Parse + plan + executor start-up per statement, ms (PostgreSQL simple-query protocol on a warm backend). */
  statementOverheadMs: number;
  /** Rows a sequential scan filters per ms on one core with the table in shared buffers. */
  seqScanRowsPerMs: number;
  /** Cost of descending a B-tree (3–4 levels, cached), ms. */
  indexDescentMs: number;
  /** Cost per row fetched through an index (heap visit), ms. */
  indexRowMs: number;
  /** Network/protocol bandwidth for result rows, bytes per ms (1 Gbit/s ≈ 125 000 bytes/ms). */
  bandwidthBytesPerMs: number;
  /** Rows assumed in a table whose size is not configured. */
  defaultTableRows: number;
  /** Iterations assumed for a loop whose collection size the code does not tell. */
  defaultLoopIterations: number;
  /** Rows an equality predicate on a non-unique column matches, when nothing else is known. */
  defaultMatchingRows: number;
  /** Average width in bytes of a text/varchar column whose length is unknown. */
  textWidthBytes: number;
  /** Average width in bytes of a json/jsonb/bytea column, or of text "known to be long". */
  largeColumnBytes: number;
  /** Per-row cost of producing a joined row pair in a nested loop, ms. */
  joinRowMs: number;
}

export const DEFAULT_PARAMS: ModelParams = {
  // Typical same-availability-zone RTT; loopback is ~0.05 ms. The seed's network_latency_ms input.
  roundTripMs: 0.5,
  // PostgreSQL docs, "Query planning" overhead for a simple statement; order of 20–100 µs.
  statementOverheadMs: 0.05,
  // A seq scan with a simple qual processes tens of millions of tuples per second per core.
  seqScanRowsPerMs: 20000,
  // B-tree of height 3–4 with inner pages cached: a few buffer hits.
  indexDescentMs: 0.02,
  // One heap-page visit per matching row, mostly cached.
  indexRowMs: 0.002,
  // 1 Gbit/s.
  bandwidthBytesPerMs: 125000,
  // A mid-sized production table; set `tables.<name>.rows` for real figures.
  defaultTableRows: 100000,
  // Typical page size of a list endpoint; set from the code (LIMIT/take) where possible.
  defaultLoopIterations: 100,
  defaultMatchingRows: 10,
  textWidthBytes: 32,
  largeColumnBytes: 2048,
  joinRowMs: 0.0002,
};

export const PARAM_DOCS: Record<keyof ModelParams, string> = {
  roundTripMs: 'client↔database round trip per statement (ms)',
  statementOverheadMs: 'parse + plan + executor start per statement (ms)',
  seqScanRowsPerMs: 'rows a sequential scan filters per ms',
  indexDescentMs: 'B-tree descent (ms)',
  indexRowMs: 'per matching row fetched through an index (ms)',
  bandwidthBytesPerMs: 'result transfer bandwidth (bytes/ms)',
  defaultTableRows: 'rows of a table whose size is not configured',
  defaultLoopIterations: 'iterations of a loop whose collection size is unknown',
  defaultMatchingRows: 'rows matched by an equality on a non-unique column',
  textWidthBytes: 'average width of a text column (bytes)',
  largeColumnBytes: 'average width of a json/jsonb/bytea/long-text column (bytes)',
  joinRowMs: 'per joined row pair in a nested loop (ms)',
};

export function resolveParams(overrides: Record<string, number> | undefined): { params: ModelParams; fromConfig: Set<string> } {
  const params = { ...DEFAULT_PARAMS };
  const fromConfig = new Set<string>();
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (k in params && typeof v === 'number') {
      (params as unknown as Record<string, number>)[k] = v;
      fromConfig.add(k);
    }
  }
  return { params, fromConfig };
}
