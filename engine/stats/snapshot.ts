/**
 * The statistics snapshot, `querylens.stats.json`: what `querylens stats
 * pull` reads from a database (or `stats import` from the output of `stats
 * sql`), and what the model reads instead of its defaults. Documented by
 * `querylens.stats.schema.json`.
 *
 * It holds numbers about the data, never the data: row and page counts
 * (pg_class), per-column null fraction, distinct values, average width,
 * correlation and the frequencies of the most common values (pg_stats — the
 * values themselves only with `--include-values`), live index definitions
 * with their scan counts (pg_index, pg_stat_user_indexes), table scan counts
 * (pg_stat_user_tables), the normalised statements of pg_stat_statements
 * (constants replaced by `$n`) with calls and times, and, with `--explain`,
 * the planner's generic plan of each statement of the code by fingerprint.
 *
 * Rendering is deterministic (keys sorted, numbers rounded) so the file
 * diffs well in review. Parsing accepts the older hand-written form
 * `{ "tables": { "orders": { "rows": 51234567 } } }` too. Pure.
 */

export const STATS_FORMAT = 1;

export interface ColumnStats {
  /** Fraction of rows where the column is NULL. */
  nullFrac: number;
  /** pg_stats.n_distinct: > 0 a count of distinct values, < 0 minus the fraction of rows (−1: unique). */
  nDistinct: number;
  /** Average width in bytes of the non-null values. */
  avgWidth: number;
  /** Physical order against value order, −1…1. */
  correlation?: number;
  /** Frequencies of the most common values, descending (the values themselves are left out). */
  mostCommonFreqs?: number[];
  /** The most common values, as text: only with `stats pull --include-values`. */
  mostCommonValues?: string[];
}

export interface IndexStats {
  /** pg_get_indexdef: `CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)`. */
  definition: string;
  unique: boolean;
  primary: boolean;
  valid: boolean;
  /** Index scans since the statistics were reset (pg_stat_user_indexes.idx_scan). */
  scans?: number;
  pages?: number;
}

export interface TableStats {
  /** Estimated rows (pg_class.reltuples; n_live_tup when the table was never analysed). */
  rows: number;
  pages?: number;
  /** pg_stat_user_tables: sequential scans, rows they read, index scans, live rows. */
  seqScans?: number;
  seqRowsRead?: number;
  indexScans?: number;
  liveRows?: number;
  columns?: Record<string, ColumnStats>;
  indexes?: Record<string, IndexStats>;
}

/** One normalised statement of pg_stat_statements. Times are execution times on the server, ms. */
export interface StatementStats {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
}

/** A scan node of a plan: `Seq Scan` on a relation, or an index scan through an index. */
export interface PlanScan {
  node: string;
  relation?: string;
  index?: string;
}

/** The planner's generic plan of one statement of the code (`stats pull --explain`), keyed by fingerprint. */
export interface PlanVerdict {
  query: string;
  scans: PlanScan[];
  totalCost: number;
  /** With hypopg: the index querylens proposes, tried hypothetically, and the plan cost with it. */
  hypothetical?: { index: string; used: boolean; totalCost: number };
}

export interface StatsSnapshot {
  $schema?: string;
  format?: number;
  source?: {
    serverVersion?: string;
    pulledAt?: string;
    /** Whether most-common values were included (`--include-values`). */
    includesValues?: boolean;
    /** When pg_stat_statements was last reset: the start of the measured window. */
    statementsSince?: string;
    /** Statements pg_stat_statements hid from this role (`<insufficient privilege>`): grant pg_read_all_stats. */
    hiddenStatements?: number;
  };
  /** Keyed `schema.table`. */
  tables: Record<string, TableStats>;
  statements?: StatementStats[];
  plans?: Record<string, PlanVerdict>;
}

export interface SnapshotProblem {
  message: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function parseColumn(v: unknown): ColumnStats | undefined {
  if (!isObject(v)) return undefined;
  const nullFrac = num(v.nullFrac);
  const nDistinct = num(v.nDistinct);
  const avgWidth = num(v.avgWidth);
  if (nullFrac === undefined || nDistinct === undefined || avgWidth === undefined) return undefined;
  const c: ColumnStats = { nullFrac, nDistinct, avgWidth };
  if (num(v.correlation) !== undefined) c.correlation = num(v.correlation);
  if (Array.isArray(v.mostCommonFreqs) && v.mostCommonFreqs.every((x) => num(x) !== undefined)) c.mostCommonFreqs = v.mostCommonFreqs as number[];
  if (Array.isArray(v.mostCommonValues) && v.mostCommonValues.every((x) => typeof x === 'string')) c.mostCommonValues = v.mostCommonValues as string[];
  return c;
}

function parseIndex(v: unknown): IndexStats | undefined {
  if (!isObject(v) || typeof v.definition !== 'string') return undefined;
  const ix: IndexStats = { definition: v.definition, unique: v.unique === true, primary: v.primary === true, valid: v.valid !== false };
  if (num(v.scans) !== undefined) ix.scans = num(v.scans);
  if (num(v.pages) !== undefined) ix.pages = num(v.pages);
  return ix;
}

/** Parses a snapshot's text; what cannot be used is reported, never thrown. */
export function parseSnapshot(text: string): { snapshot?: StatsSnapshot; problems: SnapshotProblem[] } {
  const problems: SnapshotProblem[] = [];
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return { problems: [{ message: `stats snapshot is not valid JSON: ${e instanceof Error ? e.message : String(e)}` }] };
  }
  if (!isObject(data) || !isObject(data.tables)) {
    return { problems: [{ message: 'stats snapshot must look like { "tables": { "orders": { "rows": 51234567 } } } (querylens stats pull writes one)' }] };
  }
  if (data.format !== undefined && data.format !== STATS_FORMAT) problems.push({ message: `stats snapshot format ${String(data.format)} is newer than this querylens reads (${STATS_FORMAT}); read as far as it matches` });
  const snapshot: StatsSnapshot = { tables: {} };
  if (typeof data.format === 'number') snapshot.format = data.format;
  if (isObject(data.source)) snapshot.source = data.source as StatsSnapshot['source'];
  for (const [key, v] of Object.entries(data.tables)) {
    const rows = isObject(v) ? num(v.rows) : undefined;
    if (!isObject(v) || rows === undefined || rows < 0) {
      problems.push({ message: `stats snapshot: tables.${key}.rows must be a non-negative number` });
      continue;
    }
    const t: TableStats = { rows };
    for (const k of ['pages', 'seqScans', 'seqRowsRead', 'indexScans', 'liveRows'] as const) if (num(v[k]) !== undefined) t[k] = num(v[k]);
    if (isObject(v.columns)) {
      t.columns = {};
      for (const [c, cv] of Object.entries(v.columns)) {
        const col = parseColumn(cv);
        if (col) t.columns[c] = col;
        else problems.push({ message: `stats snapshot: tables.${key}.columns.${c} needs nullFrac, nDistinct and avgWidth numbers; ignored` });
      }
    }
    if (isObject(v.indexes)) {
      t.indexes = {};
      for (const [n, iv] of Object.entries(v.indexes)) {
        const ix = parseIndex(iv);
        if (ix) t.indexes[n] = ix;
      }
    }
    snapshot.tables[key] = t;
  }
  if (Array.isArray(data.statements)) {
    snapshot.statements = [];
    for (const s of data.statements) {
      if (!isObject(s) || typeof s.query !== 'string') continue;
      const calls = num(s.calls);
      const totalMs = num(s.totalMs);
      if (calls === undefined || totalMs === undefined) continue;
      snapshot.statements.push({ query: s.query, calls, totalMs, meanMs: num(s.meanMs) ?? (calls ? totalMs / calls : 0), rows: num(s.rows) ?? 0 });
    }
  }
  if (isObject(data.plans)) {
    snapshot.plans = {};
    for (const [fp, p] of Object.entries(data.plans)) {
      if (!isObject(p) || typeof p.query !== 'string' || !Array.isArray(p.scans)) continue;
      const scans = p.scans.filter((x): x is PlanScan => isObject(x) && typeof x.node === 'string');
      const verdict: PlanVerdict = { query: p.query, scans, totalCost: num(p.totalCost) ?? 0 };
      const h = p.hypothetical;
      if (isObject(h) && typeof h.index === 'string' && typeof h.used === 'boolean') verdict.hypothetical = { index: h.index, used: h.used, totalCost: num(h.totalCost) ?? 0 };
      snapshot.plans[fp] = verdict;
    }
  }
  return { snapshot, problems };
}

/** Rounds to `digits` significant digits (diff-friendly: reltuples and frequencies jitter in their last digits). */
export function roundSig(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

function roundMs(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Copies an object with its keys sorted, recursively (arrays keep their order). */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = sortedKeys(v[k]);
  return out;
}

/**
 * The snapshot as written to disk: keys sorted, rows and frequencies to 4
 * significant digits, times to µs, statements sorted by their text.
 */
export function renderSnapshot(s: StatsSnapshot): string {
  const tables: Record<string, TableStats> = {};
  for (const [k, t] of Object.entries(s.tables)) {
    const columns: Record<string, ColumnStats> | undefined = t.columns
      ? Object.fromEntries(
          Object.entries(t.columns).map(([c, v]) => [
            c,
            {
              ...v,
              nullFrac: roundSig(v.nullFrac),
              nDistinct: roundSig(v.nDistinct),
              correlation: v.correlation === undefined ? undefined : roundSig(v.correlation),
              mostCommonFreqs: v.mostCommonFreqs?.map((f) => roundSig(f)),
            },
          ]),
        )
      : undefined;
    tables[k] = { ...t, rows: Math.round(t.rows), columns };
  }
  const statements = s.statements
    ?.map((x) => ({ ...x, totalMs: roundMs(x.totalMs), meanMs: roundMs(x.meanMs) }))
    .sort((a, b) => (a.query < b.query ? -1 : a.query > b.query ? 1 : 0));
  const plans = s.plans ? Object.fromEntries(Object.entries(s.plans).map(([k, p]) => [k, { ...p, totalCost: roundMs(p.totalCost) }])) : undefined;
  const doc = sortedKeys({ ...s, format: STATS_FORMAT, tables, statements, plans }) as Record<string, unknown>;
  // `$schema` first, for editors; the rest sorted.
  const { $schema, ...rest } = doc;
  return JSON.stringify($schema !== undefined ? { $schema, ...rest } : rest, null, 2) + '\n';
}
