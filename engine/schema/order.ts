/**
 * Which kind of schema source a file is, the order in which sources are
 * applied, and which part of a migration file is the "up" direction.
 *
 * Order (documented in README "Schema discovery"):
 *   1. schema dumps (`schema.sql`, `structure.sql`, `db/schema.sql`): a dump is
 *      a snapshot, so migrations that exist beside it are applied on top of
 *      it (a migration newer than the dump refines it; an older one repeats
 *      what the dump already holds, which `CREATE TABLE` merging tolerates);
 *   2. migrations, by natural sort of their path: folders and files compare
 *      segment by segment, digit runs as numbers, so `2_x` < `10_x`,
 *      `V2__x` < `V10__x`, Prisma `20240101120000_init/migration.sql`,
 *      Drizzle `0001_x.sql`, Knex/sqlx `20230101_create.sql`;
 *   3. libraries' own schema files (`*.prisma`, AdapterSchema.fileKind), merged after all SQL;
 *   4. the stats snapshot `querylens.stats.json`, then the configuration.
 *
 * Files whose path names another database (`clickhouse/`, `mysql/`, `sqlite`
 * …, as in projects that keep one migration folder per database) are not
 * PostgreSQL sources: buildSchema reports them and applies nothing from them.
 *
 * Down migrations never describe the schema the code runs against and are
 * skipped: `*.down.sql` (golang-migrate, sqlx), `down.sql` (diesel), Flyway
 * undo files `U<version>__*.sql`; in one-file formats the text after
 * `-- +goose Down`, `-- +migrate Down` (sql-migrate) or `-- migrate:down`
 * (dbmate) is ignored. Flyway repeatable migrations (`R__x.sql`) come after
 * the versioned ones.
 */
import { librarySchemaFile } from '../adapters';
import type { SourceFile } from '../types';

/**
 * 'model': a library's own schema file (AdapterSchema.fileKind), applied after all SQL;
 * 'dialect-config': a library's config read only for what it says about other databases.
 */
export type SchemaSourceKind = 'dump' | 'migration' | 'model' | 'stats' | 'down' | 'dialect-config';

export const STATS_FILE_NAME = 'querylens.stats.json';

const DUMP_NAMES = new Set(['schema.sql', 'structure.sql']);

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export function sourceKind(path: string): SchemaSourceKind {
  const base = baseName(path);
  const lower = base.toLowerCase();
  if (lower === STATS_FILE_NAME) return 'stats';
  const own = librarySchemaFile(path);
  if (own) return own.kind === 'model' ? 'model' : 'dialect-config';
  if (lower === 'down.sql' || lower.endsWith('.down.sql') || /^u\d+(?:[._]\d+)*__/i.test(base)) return 'down';
  if (DUMP_NAMES.has(lower)) return 'dump';
  return 'migration';
}

/** Splits into runs of digits and non-digits. */
function chunks(s: string): string[] {
  return s.match(/\d+|\D+/g) ?? [];
}

/** Natural comparison: digit runs compare as numbers (then by length, so `01` sorts after `1`). */
export function naturalCompare(a: string, b: string): number {
  const ca = chunks(a);
  const cb = chunks(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i];
    const y = cb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      // Compare as big numbers without overflow: strip leading zeros, longer is larger.
      const sx = x.replace(/^0+(?=\d)/, '');
      const sy = y.replace(/^0+(?=\d)/, '');
      if (sx.length !== sy.length) return sx.length - sy.length;
      if (sx !== sy) return sx < sy ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    // A numbered name sorts before an unnumbered one in the same folder.
    if (dx !== dy) return dx ? -1 : 1;
    const lx = x.toLowerCase();
    const ly = y.toLowerCase();
    if (lx !== ly) return lx < ly ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

/** Compares two paths segment by segment with natural order. */
export function comparePaths(a: string, b: string): number {
  const sa = a.split('/');
  const sb = b.split('/');
  const n = Math.min(sa.length, sb.length);
  for (let i = 0; i < n; i++) {
    const c = naturalCompare(sa[i], sb[i]);
    if (c !== 0) return c;
  }
  return sa.length - sb.length;
}

const RANK: Record<SchemaSourceKind, number> = { 'dialect-config': -1, dump: 0, migration: 1, model: 3, stats: 4, down: 5 };

/** Flyway applies repeatable migrations (`R__name.sql`) after all versioned ones. */
function rank(path: string, kind: SchemaSourceKind): number {
  return kind === 'migration' && /^R__/.test(baseName(path)) ? 2 : RANK[kind];
}

/** Orders schema sources for application; down migrations are dropped. */
export function orderSchemaFiles<T extends SourceFile>(files: readonly T[]): T[] {
  const keyed = files.filter((f) => sourceKind(f.path) !== 'down').map((f) => ({ f, rank: rank(f.path, sourceKind(f.path)) }));
  // Sort by rank, then path; comparePaths runs only within a rank.
  return keyed.sort((x, y) => x.rank - y.rank || comparePaths(x.f.path, y.f.path)).map((x) => x.f);
}

/**
 * The "up" part of a migration's text: everything before a goose or dbmate
 * down marker. Offsets in the returned text are those of the original.
 */
export function upSection(text: string): string {
  const m = /^[ \t]*--[ \t]*(?:\+goose[ \t]+down|\+migrate[ \t]+down|migrate:down)\b.*$/im.exec(text);
  return m ? text.slice(0, m.index) : text;
}

const FOREIGN_DIALECT = /(?:^|[/_.-])(clickhouse|mysql|mariadb|sqlite3?|mssql|sqlserver|oracle|bigquery|snowflake|duckdb)(?=[/_.-]|$)/i;

const DIALECT_NAMES: Record<string, string> = {
  clickhouse: 'ClickHouse',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  sqlite: 'SQLite',
  sqlite3: 'SQLite',
  mssql: 'SQL Server',
  sqlserver: 'SQL Server',
  oracle: 'Oracle',
  bigquery: 'BigQuery',
  snowflake: 'Snowflake',
  duckdb: 'DuckDB',
};

/** The other database a path names (`db/clickhouse/…`, `migrations/mysql/…`), if any. */
export function foreignDialect(path: string): string | undefined {
  const m = FOREIGN_DIALECT.exec(path);
  return m ? DIALECT_NAMES[m[1].toLowerCase()] : undefined;
}

/**
 * The folder a path names another database with, when a folder does
 * (`db/clickhouse/migrations/01.sql` → `db/clickhouse`; `db/mysql-migrations/x.sql` →
 * `db/mysql-migrations`); undefined when only the file name does (`schema.mysql.sql`).
 */
export function foreignDialectFolder(path: string): string | undefined {
  const parts = path.split('/');
  for (let i = 0; i < parts.length - 1; i++) if (foreignDialect(parts[i])) return parts.slice(0, i + 1).join('/');
  return undefined;
}

/**
 * Blanks psql meta-commands (`\\ir file.sql`, `\\set`, pg_dump's `\\restrict`),
 * which are not SQL, keeping every offset.
 */
export function blankPsqlMeta(text: string): string {
  if (!/^[ \t]*\\/m.test(text)) return text;
  return text.replace(/^[ \t]*\\[^\r\n]*/gm, (m) => ' '.repeat(m.length));
}
