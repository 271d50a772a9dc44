/**
 * The engine's boundary types. Everything here is plain, serialisable data
 * (offsets, strings, numbers): no LSP types, no file handles. Adapters (CLI,
 * server) convert at their edge.
 *
 * Offsets are UTF-16 code-unit offsets into the text of the file they belong
 * to (what JavaScript strings and LSP positions count). The SQL parser counts
 * UTF-8 bytes; `engine/sql/parser.ts` converts once, so nothing past it sees
 * bytes.
 */

export type Severity = 'error' | 'warning' | 'info';
export type SeveritySetting = Severity | 'off';

/** Half-open range [start, end) of UTF-16 offsets in a file's text. */
export interface Range {
  start: number;
  end: number;
}

/** A file as the engine sees it: a project-relative path with `/` separators, and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

export interface RelatedLocation {
  file: string;
  range: Range;
  message: string;
}

export interface TextEdit {
  /** Project-relative path; a path that does not exist yet means "create this file". */
  file: string;
  range: Range;
  newText: string;
}

export type FixSafety = 'safe' | 'suggestion';

export interface Fix {
  title: string;
  /** 'safe' keeps behaviour and is applied by `--fix`; 'suggestion' is offered in the editor only. */
  safety: FixSafety;
  edits: TextEdit[];
  /**
   * Resources the fix takes: two fixes with one key never apply together — in one pass (`per: 'pass'`:
   * the next number of a migration folder, taken again after a re-lint) or in one `--fix` run
   * (`per: 'run'`: at most one new index per table).
   */
  claims?: FixClaim[];
  /** A tool step the fix needs before it takes effect (`drizzle-kit generate`); said where the fix is reported. */
  followUp?: string;
}

export interface FixClaim {
  key: string;
  per: 'pass' | 'run';
}

/**
 * Where an input of an estimate comes from: the code, the configuration, a default (to set), the
 * schema (types, keys), the statistics snapshot (`querylens stats pull`), or the measured workload
 * (pg_stat_statements in the snapshot).
 */
export type AssumptionSource = 'code' | 'config' | 'default' | 'schema' | 'stats' | 'measured';

/** One input of an estimate, and where it came from. */
export interface Assumption {
  name: string;
  value: number | string;
  unit?: string;
  source: AssumptionSource;
  /** Why this value, or what the user should set to make it exact. */
  note?: string;
}

export interface Estimate {
  /** Estimated latency of the code as written, in milliseconds. */
  currentMs: number;
  /** Estimated latency after the fix, in milliseconds. */
  fixedMs: number;
  assumptions: Assumption[];
  /** One line, e.g. "≈ 100 round trips ≈ 160 ms per call; batched ≈ 2 ms". */
  summary: string;
  /**
   * The estimate sums the queries of a whole function (a latency budget), which other
   * findings estimate one by one: reports do not add it to per-query totals.
   */
  aggregate?: true;
}

/**
 * The measured workload of a finding's statement: pg_stat_statements figures from the stats
 * snapshot (`querylens stats pull`), matched by fingerprint (raw SQL) or by the SQL shape the
 * ORM generates. Times are the server's execution time over the snapshot's window.
 */
export interface Measured {
  calls: number;
  meanMs: number;
  totalMs: number;
  rows: number;
  /** How the statement was matched: 'fingerprint' (raw SQL) or 'shape' (table, columns, filters of an ORM call). */
  matchedBy: 'fingerprint' | 'shape';
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  file: string;
  range: Range;
  related: RelatedLocation[];
  estimate?: Estimate;
  /** pg_stat_statements figures for the statement, when the stats snapshot has them. */
  measured?: Measured;
  /** Why the severity is what it is, when it differs from the rule's (e.g. the saving is under minSavingMs). */
  severityReason?: string;
  fixes: Fix[];
  /** Markdown hover text produced by the engine; adapters pass it on unchanged. */
  hover?: string;
  /** The function, route or named query the finding sits in (`GET /features/:id`, `getFeatures`); reports group by it. */
  scope?: string;
  /**
   * Where the code runs when it is not a request path: `background` (a scheduled job, engine/background.ts) or
   * `one-off` (a script run by hand, a seed, a migration; engine/one-off.ts). Rankings put request-path findings
   * first, then background, then one-off (engine/model/impact.ts).
   */
  runsIn?: RunsIn;
}

export interface RunsIn {
  kind: 'background' | 'one-off';
  /** Why: `a scripts/ folder`, `a route apps/web/vercel.json schedules (crons: /api/x)`. */
  reason: string;
}

export type ProblemKind =
  | 'unparseable-sql'
  | 'unparseable-file'
  | 'unreadable-file'
  | 'skipped-file'
  | 'schema'
  | 'rule-crash'
  /** A documented limit was hit (nesting depth, statement size, set-operation arms): that part was not analysed. */
  | 'limit'
  | 'unused-suppression'
  | 'config'
  /** Most calls that look like queries were not recognised: the findings cover only what was (`querylens queries` lists why). */
  | 'unresolved-queries';

/** Input the engine could not use, reported beside findings rather than thrown. */
export interface Problem {
  kind: ProblemKind;
  file: string;
  /** 1-based line where known. */
  line?: number;
  range?: Range;
  message: string;
}

export interface AnalysisResult {
  findings: Finding[];
  problems: Problem[];
  /**
   * When the file runs queries but its package has no schema source: why, which rules stay silent and
   * how to point at a schema (the editor's status bar shows it; the CLI reports it once per package).
   */
  missingSchema?: string;
  /**
   * How many query sites the file's code was recognised to run, and how many calls that look like queries
   * were not (the counts `querylens queries` lists); absent when both are 0.
   */
  reach?: { sites: number; unresolved: number; firstUnresolved?: Range };
}
