/**
 * `querylens stats pull | sql | import`: the statistics snapshot.
 *
 * pull    connects (DATABASE_URL or --database-url — never a configuration
 *         file, which an untrusted repository could point anywhere), opens
 *         one READ ONLY transaction with statement and lock timeouts, runs
 *         the read-only sections of engine/stats/sql.ts, rolls back, and
 *         writes querylens.stats.json at the project root. `--explain` adds
 *         the planner's generic plan (PREPARE + plan_cache_mode =
 *         force_generic_plan + EXPLAIN without ANALYZE) of each statement of
 *         the code, and with the hypopg extension the plan with the index
 *         querylens proposes, created hypothetically.
 * sql     prints the same sections as one psql script for a DBA.
 * import  reads that script's output and writes the same snapshot.
 *
 * Both print what the snapshot holds, the index drift against the schema
 * sources, and the indexes nobody scans. The snapshot holds no data values
 * (unless --include-values) and nothing of the connection.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client as PgClient } from 'pg';
import {
  type Finding,
  type PlanVerdict,
  type StatsSnapshot,
  beginStatements,
  indexDrift,
  initParser,
  parseSections,
  PGSS_PROBE_SQL,
  planScans,
  renderSnapshot,
  scanSql,
  sectionSql,
  snapshotFromSections,
  statementFingerprint,
  statsScript,
  type SectionName,
} from '../engine';
import type { StatsOptions } from './args';
import { CliError } from './errors';
import { locateProject, makeDirectories } from './files';
import { safeText } from './formats/escape';
import { loadConfig, loadProject, type LintIo } from './lint';

export const STATS_FILE = 'querylens.stats.json';
const SCHEMA_REF = './node_modules/querylens/querylens.stats.schema.json';

/** The URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

function outputPath(io: LintIo, opts: StatsOptions): { root: string; file: string } {
  const { root } = locateProject(io.cwd, opts.config, io.cwd);
  return { root, file: opts.output ? path.resolve(io.cwd, opts.output) : path.join(root, STATS_FILE) };
}

/** Keeps the `$schema` of an existing snapshot (a hand-set one wins), else the package's. */
function schemaRef(file: string): string {
  try {
    const old = JSON.parse(fs.readFileSync(file, 'utf8')) as { $schema?: unknown };
    if (typeof old.$schema === 'string') return old.$schema;
  } catch {
    // No snapshot yet, or not JSON: the default reference.
  }
  return SCHEMA_REF;
}

function write(file: string, snapshot: StatsSnapshot): void {
  try {
    makeDirectories(path.dirname(file));
    fs.writeFileSync(file, renderSnapshot({ $schema: schemaRef(file), ...snapshot }));
  } catch (e) {
    throw new CliError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** What the snapshot holds, the index drift against the schema sources, and unused indexes. */
async function summary(io: LintIo, opts: StatsOptions, root: string, file: string, snapshot: StatsSnapshot): Promise<string> {
  const tables = Object.keys(snapshot.tables).length;
  const columns = Object.values(snapshot.tables).reduce((n, t) => n + Object.keys(t.columns ?? {}).length, 0);
  const indexes = Object.values(snapshot.tables).reduce((n, t) => n + Object.keys(t.indexes ?? {}).length, 0);
  const lines = [
    `querylens: wrote ${path.relative(io.cwd, file) || file}: ${tables} tables, ${columns} columns, ${indexes} indexes` +
      (snapshot.statements ? `, ${snapshot.statements.length} statements from pg_stat_statements` : ', no pg_stat_statements (not installed in this database)') +
      (snapshot.plans ? `, ${Object.keys(snapshot.plans).length} plans` : '') +
      (snapshot.source?.includesValues ? ' (with most-common values: --include-values)' : ''),
  ];
  if (snapshot.source?.hiddenStatements) {
    lines.push(`  ${snapshot.source.hiddenStatements} statements of other roles hidden by pg_stat_statements: grant pg_read_all_stats to see them`);
  }
  const config = loadConfig(io.cwd, locateProject(io.cwd, opts.config, io.cwd).configFile);
  const { project } = await loadProject(root, config, [], io.cwd);
  const schema = project.schema();
  if (schema.tables.size === 0) {
    lines.push('  no schema sources found: index drift not checked');
    return lines.join('\n') + '\n';
  }
  const d = indexDrift(schema, snapshot);
  for (const x of d.liveOnly) lines.push(`  index in the database but in no migration: ${safeText(x.table)} ${safeText(x.index)}: ${safeText(x.definition)}`);
  for (const x of d.migrationsOnly) lines.push(`  index in the migrations but not in the database: ${safeText(x.table)} ${safeText(x.index)}${x.file ? ` (${safeText(x.file)})` : ''}`);
  for (const x of d.unused) lines.push(`  index never scanned since the statistics were reset: ${safeText(x.table)} ${safeText(x.index)}${x.pages !== undefined ? ` (${x.pages} pages)` : ''}`);
  if (d.unknownTables.length) lines.push(`  ${d.unknownTables.length} tables of the database are in no schema source (not compared): ${d.unknownTables.slice(0, 5).map((t) => safeText(t)).join(', ')}${d.unknownTables.length > 5 ? ', …' : ''}`);
  if (!d.liveOnly.length && !d.migrationsOnly.length) lines.push('  indexes: the database and the schema sources agree');
  return lines.join('\n') + '\n';
}

/** One statement's rows' `doc` column. */
async function doc(c: PgClient, sql: string): Promise<Record<string, unknown>> {
  const r = await c.query(sql);
  const text = r.rows[0]?.doc;
  if (typeof text !== 'string') throw new CliError('unexpected answer from the database (no doc column)');
  return JSON.parse(text) as Record<string, unknown>;
}

async function connect(url: string): Promise<PgClient> {
  // Loaded only here: lint, queries and the language server never need a database driver.
  const { Client } = (await import('pg')).default ?? (await import('pg'));
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 10000, application_name: 'querylens stats' });
  try {
    await c.connect();
  } catch (e) {
    throw new CliError(`cannot connect to ${redactUrl(url)}: ${(e as Error).message}`);
  }
  return c;
}

export async function runStats(opts: StatsOptions, io: LintIo): Promise<number> {
  if (opts.action === 'sql') {
    io.stdout.write(statsScript({ includeValues: opts.includeValues, statementTimeoutMs: opts.statementTimeoutMs }));
    return 0;
  }
  // The statements of pg_stat_statements are parsed (normalised again, catalog ones dropped).
  await initParser();
  const { root, file } = outputPath(io, opts);
  let snapshot: StatsSnapshot;
  if (opts.action === 'import') {
    const src = path.resolve(io.cwd, opts.file!);
    let text: string;
    try {
      text = fs.readFileSync(src, 'utf8');
    } catch (e) {
      throw new CliError(`${opts.file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const { sections, problems } = parseSections(text);
    if (problems.length) throw new CliError(`${opts.file}: not the output of querylens stats sql: ${problems.join('; ')}`);
    snapshot = snapshotFromSections(sections, { includeValues: opts.includeValues || sectionsHaveValues(sections) });
  } else {
    const url = opts.databaseUrl ?? io.env.DATABASE_URL;
    if (!url) throw new CliError('stats pull: no database: set DATABASE_URL or pass --database-url (querylens never reads a connection from a configuration file)');
    snapshot = await pull(url, opts, io, root);
  }
  write(file, snapshot);
  (io.stderr ?? io.stdout).write(await summary(io, opts, root, file, snapshot));
  return 0;
}

function sectionsHaveValues(sections: Partial<Record<SectionName, Record<string, unknown>>>): boolean {
  const rows = sections.columns?.rows;
  return Array.isArray(rows) && rows.some((r) => typeof (r as { mcv?: unknown }).mcv === 'string');
}

async function pull(url: string, opts: StatsOptions, io: LintIo, root: string): Promise<StatsSnapshot> {
  const c = await connect(url);
  try {
    const o = { includeValues: opts.includeValues, statementTimeoutMs: opts.statementTimeoutMs };
    for (const s of beginStatements(o)) await c.query(s);
    const sections: Partial<Record<SectionName, Record<string, unknown>>> = {};
    for (const name of ['meta', 'tables', 'columns', 'indexes'] as const) sections[name] = await doc(c, sectionSql(name, o));
    const probe = (await c.query(PGSS_PROBE_SQL)).rows[0] as { pgss_schema: string; has_pgss: boolean };
    if (probe.has_pgss) sections.statements = await doc(c, sectionSql('statements', { ...o, pgssSchema: probe.pgss_schema }));
    const snapshot = snapshotFromSections(sections, { includeValues: opts.includeValues });
    if (opts.explain) {
      const extensions = Array.isArray(sections.meta?.extensions) ? (sections.meta!.extensions as string[]) : [];
      snapshot.plans = await explainProject(c, io, opts, root, extensions.includes('hypopg'));
    }
    return snapshot;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`stats pull: ${(e as Error).message}`);
  } finally {
    try {
      await c.query('ROLLBACK');
    } catch {
      // The connection may be gone; nothing was written either way.
    }
    await c.end().catch(() => undefined);
  }
}

/** Highest `$n` of a statement (how many parameters EXECUTE must pass). */
function paramCount(sql: string): number {
  let max = 0;
  for (const t of scanSql(sql)) if (t.name === 'PARAM') max = Math.max(max, Number(t.text.slice(1)) || 0);
  return max;
}

/** The hypothetical-index form of a proposed fix: `CREATE INDEX CONCURRENTLY x ON t (c);` → `CREATE INDEX ON t (c)`. */
export function hypotheticalIndex(fixText: string): string | undefined {
  const m = /CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(IF\s+NOT\s+EXISTS\s+)?("[^"]+"|\S+)\s+ON\s+([^;]+);?/i.exec(fixText);
  if (!m) return undefined;
  return `CREATE ${m[1] ?? ''}INDEX ON ${m[5].trim()}`;
}

/**
 * The generic plan of every statement of the code (SELECT, UPDATE, DELETE that read a table), by
 * fingerprint. In the pull's read-only transaction; each statement under a savepoint, so one that
 * does not prepare (a table the database lacks) costs only itself.
 */
async function explainProject(c: PgClient, io: LintIo, opts: StatsOptions, root: string, hypopg: boolean): Promise<Record<string, PlanVerdict>> {
  const config = loadConfig(io.cwd, locateProject(io.cwd, opts.config, io.cwd).configFile);
  const paths = opts.paths.length ? opts.paths : [path.relative(io.cwd, root) || '.'];
  const { project, analysed } = await loadProject(root, config, paths, io.cwd);
  await c.query('SET LOCAL plan_cache_mode = force_generic_plan');
  const plans: Record<string, PlanVerdict> = {};
  let n = 0;
  for (const f of analysed) {
    let findings: Finding[] = [];
    if (hypopg) findings = project.analyze(f, ['unindexed-predicate']).findings;
    for (const site of project.sqlSites(f)) {
      for (const st of site.parsed?.statements ?? []) {
        if (!/^(SelectStmt|UpdateStmt|DeleteStmt)$/.test(st.type)) continue;
        const sql = site.sql.slice(st.start, st.end);
        const fp = statementFingerprint(sql);
        if (!fp || plans[fp]) continue;
        const name = `querylens_q${n++}`;
        const args = paramCount(sql);
        const execute = `EXECUTE ${name}${args ? `(${Array.from({ length: args }, () => 'NULL').join(', ')})` : ''}`;
        await c.query('SAVEPOINT querylens_explain');
        try {
          await c.query(`PREPARE ${name} AS ${sql}`);
          const before = await explainJson(c, execute);
          const verdict: PlanVerdict = { query: sql, ...before };
          // The index querylens proposes for this statement, tried without building it.
          const proposal = hypopg ? findings.find((x) => x.range.start >= site.range.start && x.range.end <= site.range.end)?.fixes.flatMap((x) => x.edits).map((e) => hypotheticalIndex(e.newText)).find(Boolean) : undefined;
          if (proposal) {
            await c.query('SELECT * FROM hypopg_create_index($1)', [proposal]);
            // A hypothetical index invalidates no cached plan: prepare again so the planner sees it.
            await c.query(`DEALLOCATE ${name}`);
            await c.query(`PREPARE ${name} AS ${sql}`);
            const after = await explainJson(c, execute);
            verdict.hypothetical = { index: proposal, used: after.scans.some((s) => s.index?.startsWith('<')), totalCost: after.totalCost };
            await c.query('SELECT hypopg_reset()');
          }
          plans[fp] = verdict;
          await c.query(`DEALLOCATE ${name}`);
          await c.query('RELEASE SAVEPOINT querylens_explain');
        } catch {
          await c.query('ROLLBACK TO SAVEPOINT querylens_explain');
        }
      }
    }
  }
  return plans;
}

async function explainJson(c: PgClient, execute: string): Promise<{ scans: PlanVerdict['scans']; totalCost: number }> {
  const r = await c.query(`EXPLAIN (FORMAT JSON, VERBOSE) ${execute}`);
  const plan = (r.rows[0]['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0].Plan;
  return planScans(plan);
}
