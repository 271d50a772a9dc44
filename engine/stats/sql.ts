/**
 * The read-only SQL behind `querylens stats`: one statement per section,
 * each returning one JSON document in a column named `doc`. `stats pull`
 * runs them over a connection; `stats sql` prints them as one psql script
 * for a DBA to run where developers cannot connect; `stats import` turns the
 * script's output into the same snapshot (`snapshotFromSections`).
 *
 * What it reads: pg_class, pg_namespace, pg_stats, pg_index,
 * pg_stat_user_tables, pg_stat_user_indexes, pg_extension, pg_database and,
 * when installed, pg_stat_statements. What it never does: write, take a lock
 * beyond ACCESS SHARE on catalogs, run EXPLAIN ANALYZE, or read a table's
 * rows. pg_stats' most-common values are read only when asked
 * (`--include-values`); histogram bounds never.
 *
 * A role needs: CONNECT; SELECT on the tables (pg_stats shows the columns a
 * role may read), or the pg_read_all_data role; and pg_read_all_stats to see
 * other users' statements in pg_stat_statements. Pure: text in, text out.
 */
import { fingerprintSql, normalizeSql, parseSql } from '../sql/parser';
import { roundSig, type ColumnStats, type IndexStats, type StatementStats, type StatsSnapshot, type TableStats } from './snapshot';

export type SectionName = 'meta' | 'tables' | 'columns' | 'indexes' | 'statements';

export interface StatsSqlOptions {
  includeValues?: boolean;
  /** statement_timeout for each statement, ms. */
  statementTimeoutMs?: number;
  /** lock_timeout, ms. */
  lockTimeoutMs?: number;
}

/** Comment at the head of every statement: pulls leave a trace in pg_stat_statements that the snapshot filters out. */
export const STATS_MARKER = 'querylens-stats';

const USER_SCHEMAS = (col: string) => `${col} NOT IN ('pg_catalog', 'information_schema') AND ${col} !~ '^pg_(toast|temp)'`;

/** Opens the one transaction everything runs in: read only, with timeouts. */
export function beginStatements(o: StatsSqlOptions = {}): string[] {
  return [
    'BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY',
    `SET LOCAL statement_timeout = ${Math.max(1, Math.round(o.statementTimeoutMs ?? 30000))}`,
    `SET LOCAL lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs ?? 2000))}`,
  ];
}

/** The statements of each section (statements: `pgssSchema` is the quoted schema of the extension). */
export function sectionSql(name: SectionName, o: StatsSqlOptions & { pgssSchema?: string } = {}): string {
  const head = `/* ${STATS_MARKER}: ${name} */ `;
  switch (name) {
    case 'meta':
      return `${head}SELECT json_build_object('section', 'meta', 'server_version', current_setting('server_version'), 'pulled_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'extensions', (SELECT coalesce(json_agg(extname ORDER BY extname), '[]'::json) FROM pg_catalog.pg_extension))::jsonb::text AS doc`;
    case 'tables':
      return `${head}SELECT json_build_object('section', 'tables', 'rows', coalesce(json_agg(t ORDER BY t.schema, t.name), '[]'::json))::jsonb::text AS doc FROM (SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples, c.relpages AS relpages, s.seq_scan, s.seq_tup_read, s.idx_scan, s.n_live_tup FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid WHERE c.relkind IN ('r', 'p', 'm') AND ${USER_SCHEMAS('n.nspname')}) t`;
    case 'columns': {
      const values = o.includeValues ? ', most_common_vals::text AS mcv' : '';
      return `${head}SELECT json_build_object('section', 'columns', 'rows', coalesce(json_agg(c ORDER BY c.schema, c.table, c.column), '[]'::json))::jsonb::text AS doc FROM (SELECT DISTINCT ON (schemaname, tablename, attname) schemaname AS schema, tablename AS "table", attname AS "column", null_frac::float8 AS null_frac, n_distinct::float8 AS n_distinct, avg_width, correlation::float8 AS correlation, most_common_freqs::float8[] AS mcf${values} FROM pg_catalog.pg_stats WHERE ${USER_SCHEMAS('schemaname')} ORDER BY schemaname, tablename, attname, inherited DESC) c`;
    }
    case 'indexes':
      return `${head}SELECT json_build_object('section', 'indexes', 'rows', coalesce(json_agg(i ORDER BY i.schema, i.table, i.name), '[]'::json))::jsonb::text AS doc FROM (SELECT n.nspname AS schema, t.relname AS "table", ic.relname AS name, pg_catalog.pg_get_indexdef(x.indexrelid) AS definition, x.indisunique AS "unique", x.indisprimary AS "primary", x.indisvalid AS valid, ic.relpages AS pages, s.idx_scan AS scans FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid JOIN pg_catalog.pg_class t ON t.oid = x.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace LEFT JOIN pg_catalog.pg_stat_user_indexes s ON s.indexrelid = x.indexrelid WHERE ${USER_SCHEMAS('n.nspname')}) i`;
    case 'statements': {
      const schema = o.pgssSchema ?? 'public';
      return `${head}SELECT json_build_object('section', 'statements', 'rows', coalesce(json_agg(s ORDER BY s.total_ms DESC), '[]'::json))::jsonb::text AS doc FROM (SELECT query, calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, rows FROM ${schema}.pg_stat_statements WHERE dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) AND calls > 0 ORDER BY total_exec_time DESC LIMIT 2000) s`;
    }
  }
}

/** Finds pg_stat_statements: its schema (quoted), or '' when the extension is not installed in this database. */
export const PGSS_PROBE_SQL = `/* ${STATS_MARKER}: probe */ SELECT coalesce((SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'), '') AS pgss_schema, EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_stat_statements') AS has_pgss`;

/** The whole read as one psql script (`querylens stats sql`). */
export function statsScript(o: StatsSqlOptions = {}): string {
  return [
    '-- querylens stats: read-only statistics for querylens.stats.json (no table rows are read).',
    `-- Run: psql -X -q -At -f querylens-stats.sql "$DATABASE_URL" > querylens-stats.out`,
    '-- then: querylens stats import querylens-stats.out',
    '-- Reads pg_class, pg_stats (null fraction, distinct values, widths, most-common frequencies' + (o.includeValues ? ' and values' : '; no values') + '),',
    '-- pg_index, pg_stat_user_tables/_indexes and pg_stat_statements when installed. Never writes.',
    '\\set ON_ERROR_STOP on',
    '\\set QUIET on',
    '\\pset tuples_only on',
    '\\pset format unaligned',
    ...beginStatements(o).map((s) => `${s};`),
    `${sectionSql('meta', o)};`,
    `${sectionSql('tables', o)};`,
    `${sectionSql('columns', o)};`,
    `${sectionSql('indexes', o)};`,
    `${PGSS_PROBE_SQL} \\gset`,
    '\\if :has_pgss',
    `${sectionSql('statements', { ...o, pgssSchema: ':pgss_schema' })};`,
    '\\endif',
    'COMMIT;',
    '',
  ].join('\n');
}

/** Reads `stats sql` output: one JSON document per line, each with a `section`; other lines are ignored. */
export function parseSections(text: string): { sections: Partial<Record<SectionName, Record<string, unknown>>>; problems: string[] } {
  const sections: Partial<Record<SectionName, Record<string, unknown>>> = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t.startsWith('{')) return;
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch (e) {
      problems.push(`line ${i + 1}: not JSON (${(e as Error).message})`);
      return;
    }
    const name = (doc as { section?: unknown }).section;
    if (name === 'meta' || name === 'tables' || name === 'columns' || name === 'indexes' || name === 'statements') sections[name] = doc as Record<string, unknown>;
  });
  for (const need of ['meta', 'tables', 'columns', 'indexes'] as const) if (!sections[need]) problems.push(`the ${need} section is missing (was the output of querylens stats sql cut short?)`);
  return { sections, problems };
}

type Row = Record<string, unknown>;
const rowsOf = (doc: Record<string, unknown> | undefined): Row[] => (Array.isArray(doc?.rows) ? (doc!.rows as Row[]) : []);
const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

/** Splits a PostgreSQL array literal (`{a,"b c",NULL}`) into its elements as text. */
export function pgArrayText(s: string): string[] {
  const body = s.trim().replace(/^\{/, '').replace(/\}$/, '');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '\\' && i + 1 < body.length) cur += body[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
      wasQuoted = false;
    } else cur += c;
  }
  if (body.length) out.push(cur);
  void wasQuoted;
  return out;
}

const DML = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt']);
const CATALOG_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

/** Relations a parsed statement names (schema.table or table), catalogs included. */
function relationsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const x of node) relationsOf(x, out);
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const rv = o.RangeVar as { relname?: string; schemaname?: string } | undefined;
    if (rv?.relname) out.push(rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname);
    for (const v of Object.values(o)) if (v && typeof v === 'object') relationsOf(v, out);
  }
  return out;
}

/**
 * Keeps the workload's application statements: one DML statement that parses, names a relation
 * outside the catalogs, and is not querylens' own. Re-normalised (every constant becomes `$n`), so no
 * data value survives even from a statement pg_stat_statements left partly literal.
 */
export function applicationStatement(query: string): string | undefined {
  if (query.includes(STATS_MARKER)) return undefined;
  const outcome = parseSql(query);
  if (outcome.errors.length || outcome.statements.length !== 1) return undefined;
  const st = outcome.statements[0];
  if (!DML.has(st.type)) return undefined;
  const rels = relationsOf(st.node);
  if (!rels.length || rels.every((r) => CATALOG_SCHEMAS.has(r.split('.')[0]) || r.startsWith('pg_'))) return undefined;
  const normal = normalizeSql(query);
  return normal ?? undefined;
}

/** The snapshot from the sections' documents (the same for `stats pull` and `stats import`). */
export function snapshotFromSections(sections: Partial<Record<SectionName, Record<string, unknown>>>, o: { includeValues?: boolean } = {}): StatsSnapshot {
  const meta = sections.meta ?? {};
  const tables: Record<string, TableStats> = {};
  const key = (schema: unknown, name: unknown) => `${String(schema)}.${String(name)}`;
  for (const r of rowsOf(sections.tables)) {
    const reltuples = n(r.reltuples) ?? -1;
    const live = n(r.n_live_tup);
    // reltuples is −1 for a table never vacuumed or analysed (PostgreSQL 14+): the live-row counter then.
    const rows = reltuples >= 0 ? reltuples : (live ?? 0);
    const t: TableStats = { rows, pages: n(r.relpages) };
    if (n(r.seq_scan) !== undefined) t.seqScans = n(r.seq_scan);
    if (n(r.seq_tup_read) !== undefined) t.seqRowsRead = n(r.seq_tup_read);
    if (n(r.idx_scan) !== undefined) t.indexScans = n(r.idx_scan);
    if (live !== undefined) t.liveRows = live;
    tables[key(r.schema, r.name)] = t;
  }
  for (const r of rowsOf(sections.columns)) {
    const t = tables[key(r.schema, r.table)];
    if (!t) continue;
    const c: ColumnStats = { nullFrac: n(r.null_frac) ?? 0, nDistinct: n(r.n_distinct) ?? 0, avgWidth: n(r.avg_width) ?? 0 };
    if (n(r.correlation) !== undefined) c.correlation = n(r.correlation);
    if (Array.isArray(r.mcf)) c.mostCommonFreqs = (r.mcf as unknown[]).map((x) => roundSig(n(x) ?? 0));
    if (o.includeValues && typeof r.mcv === 'string') c.mostCommonValues = pgArrayText(r.mcv);
    (t.columns ??= {})[String(r.column)] = c;
  }
  for (const r of rowsOf(sections.indexes)) {
    const t = tables[key(r.schema, r.table)];
    if (!t) continue;
    const ix: IndexStats = { definition: String(r.definition), unique: r.unique === true, primary: r.primary === true, valid: r.valid !== false };
    if (n(r.scans) !== undefined) ix.scans = n(r.scans);
    if (n(r.pages) !== undefined) ix.pages = n(r.pages);
    (t.indexes ??= {})[String(r.name)] = ix;
  }
  const snapshot: StatsSnapshot = {
    source: { serverVersion: typeof meta.server_version === 'string' ? meta.server_version : undefined, pulledAt: typeof meta.pulled_at === 'string' ? meta.pulled_at : undefined, includesValues: !!o.includeValues },
    tables,
  };
  if (sections.statements) {
    const merged = new Map<string, StatementStats>();
    let hidden = 0;
    for (const r of rowsOf(sections.statements)) {
      const q = typeof r.query === 'string' ? r.query : '';
      if (q === '<insufficient privilege>') {
        hidden++;
        continue;
      }
      const text = applicationStatement(q);
      if (!text) continue;
      const calls = n(r.calls) ?? 0;
      const totalMs = n(r.total_ms) ?? 0;
      const prev = merged.get(text);
      // Statements that normalise to the same text (one per role or per top-level flag) are one workload entry.
      if (prev) {
        prev.calls += calls;
        prev.totalMs += totalMs;
        prev.rows += n(r.rows) ?? 0;
        prev.meanMs = prev.calls ? prev.totalMs / prev.calls : 0;
      } else merged.set(text, { query: text, calls, totalMs, meanMs: n(r.mean_ms) ?? (calls ? totalMs / calls : 0), rows: n(r.rows) ?? 0 });
    }
    // The heaviest 500 keep the file small; the order on disk is by text (diff-friendly).
    snapshot.statements = [...merged.values()].sort((a, b) => b.totalMs - a.totalMs).slice(0, 500);
    if (hidden) snapshot.source!.hiddenStatements = hidden;
  }
  return snapshot;
}

/** Fingerprint of a statement for matching code to workload and plans (undefined when it does not parse). */
export function statementFingerprint(sql: string): string | undefined {
  return fingerprintSql(sql);
}
