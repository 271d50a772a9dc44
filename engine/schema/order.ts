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
 * undo files `U<version>__*.sql`, Postgrator undo files `<version>.undo.<name>.sql` (its `.do.` files are the migrations); in one-file formats the text after
 * `-- +goose Down`, `-- +migrate Down` (sql-migrate) or `-- migrate:down`
 * (dbmate) is ignored. Flyway repeatable migrations (`R__x.sql`) come after
 * the versioned ones.
 */
import { librarySchemaFile } from '../adapters';
import type { SourceFile } from '../types';
import { quoteIdentAlways } from '../sql/ident';
import { mappedText } from './mapped-text';

/**
 * 'model': a library's own schema file (AdapterSchema.fileKind), applied after all SQL;
 * 'dialect-config': a library's config read only for what it says about other databases;
 * 'ts': a TypeScript/JavaScript schema source, read by the adapters' TypeScript readers
 * (AdapterSchema.tsReaders); it orders as a migration or a declaration by what its reader says.
 */
export type SchemaSourceKind = 'dump' | 'migration' | 'model' | 'stats' | 'down' | 'dialect-config' | 'ts';

export const STATS_FILE_NAME = 'querylens.stats.json';

const DUMP_NAMES = new Set(['schema.sql', 'structure.sql']);

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** A pg_dump (or pg_dumpall) output: its header, whatever the file is called. */
export function isPgDump(text: string | undefined): boolean {
  return text !== undefined && /^--\s*(?:PostgreSQL database (?:cluster )?dump\b|Dumped by pg_dump(?:all)? version)/m.test(text.slice(0, 4000));
}

export function sourceKind(path: string, text?: string): SchemaSourceKind {
  const base = baseName(path);
  const lower = base.toLowerCase();
  if (lower === STATS_FILE_NAME) return 'stats';
  const own = librarySchemaFile(path);
  if (own) return own.kind === 'model' ? 'model' : 'dialect-config';
  if (/\.(?:[cm]?[jt]s|[jt]sx)$/.test(lower)) return 'ts';
  if (lower === 'down.sql' || lower.endsWith('.down.sql') || /^u\d+(?:[._]\d+)*__/i.test(base) || /^\d+\.undo(?:\.|$)/.test(lower)) return 'down';
  if (DUMP_NAMES.has(lower) || isPgDump(text)) return 'dump';
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

const RANK: Record<SchemaSourceKind, number> = { 'dialect-config': -1, dump: 0, migration: 1, ts: 1, model: 3, stats: 4, down: 5 };

/** Flyway applies repeatable migrations (`R__name.sql`) after all versioned ones. */
function rank(path: string, kind: SchemaSourceKind): number {
  return kind === 'migration' && /^R__/.test(baseName(path)) ? 2 : RANK[kind];
}

/**
 * Tools that order their migrations by plain string comparison of names, not by number: Prisma
 * (folder names: `202310122339_x` before `20230912150657_init`), and the TypeScript migration tools
 * (Knex, Kysely, node-pg-migrate, Umzug sort file names). Both paths must sit in the same folder.
 */
function lexicalMigrations(a: string, b: string): number | undefined {
  const pa = /^(.*\/)?migrations\/([^/]+)\/migration\.sql$/.exec(a);
  const pb = pa && /^(.*\/)?migrations\/([^/]+)\/migration\.sql$/.exec(b);
  if (pa && pb && pa[1] === pb[1]) return pa[2] < pb[2] ? -1 : pa[2] > pb[2] ? 1 : 0;
  const ts = /\.(?:[cm]?[jt]s)$/;
  if (ts.test(a) && ts.test(b)) {
    const da = a.lastIndexOf('/');
    const db = b.lastIndexOf('/');
    if (a.slice(0, da) === b.slice(0, db)) {
      const x = a.slice(da + 1).replace(ts, '');
      const y = b.slice(db + 1).replace(ts, '');
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
  return undefined;
}

/** Compares two schema sources of the same rank: each tool's own order where known, else natural order. */
export function compareSources(a: string, b: string): number {
  return lexicalMigrations(a, b) || comparePaths(a, b);
}

/**
 * Orders schema sources for application; down migrations are dropped. `kindOf` overrides the kind a
 * path alone gives (content: a pg_dump anywhere; TypeScript sources: migration or declaration).
 */
export function orderSchemaFiles<T extends SourceFile>(files: readonly T[], rankOf?: (f: T) => number | undefined, orderKeyOf?: (f: T) => string | undefined): T[] {
  const keyed = files
    .filter((f) => sourceKind(f.path, f.text) !== 'down')
    .map((f) => ({ f, rank: rankOf?.(f) ?? rank(f.path, sourceKind(f.path, f.text)), key: orderKeyOf?.(f) }));
  // Sort by rank, then the tool's own order key (a migration's timestamp) when both have one, then path.
  return keyed.sort((x, y) => x.rank - y.rank || (x.key !== undefined && y.key !== undefined ? compareKeys(x.key, y.key) : 0) || compareSources(x.f.path, y.f.path)).map((x) => x.f);
}

/** Numeric order keys compare as numbers (by length, then digits); others as strings. */
function compareKeys(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Ranks for TypeScript sources: migrations with the other migrations, declarations with schema.prisma.
 * Migrations a tool orders by its own key across folders (TypeORM: the class name's timestamp) come
 * after the path-ordered ones, in the order of that key.
 */
export const TS_RANK = { migration: 1, keyedMigration: 1.5, declaration: 3 } as const;

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

/**
 * psql variables in a SQL file (`:SCHEMA_NAME`, `:'role'` as a literal, `:"name"` as an identifier),
 * outside strings, quoted identifiers, comments and dollar quotes. With a value from config
 * (`schema.variables`) the variable is replaced by it; without one by a placeholder of the same
 * length (its own name; nothing for a schema qualifier), so the statement still parses and, say,
 * `CREATE TABLE :SCHEMA.users` still makes a table `users`, found through the search path. Returns undefined when there is none; else the new text and, when lengths
 * changed, the mapping of its offsets back to the file.
 */
export function substitutePsqlVariables(text: string, values: Readonly<Record<string, string>>): { text: string; offsetOf?: (i: number) => number } | undefined {
  if (!/(?:^|[^:\w]):['"]?[A-Za-z_]/.test(text)) return undefined;
  const pieces = psqlVariablePieces(text, values);
  if (!pieces.length) return undefined;
  const joined: { text: string; file: number; exact: boolean }[] = [];
  let last = 0;
  for (const p of pieces) {
    joined.push({ text: text.slice(last, p.from), file: last, exact: true }, { text: p.text, file: p.from, exact: false });
    last = p.to;
  }
  joined.push({ text: text.slice(last), file: last, exact: true });
  const out = mappedText(joined);
  return out.text.length === text.length ? { text: out.text } : out;
}

/** Where `substitutePsqlVariables` replaces text (file offsets) and with what, skipping strings, quoted names, comments and dollar quotes. */
function psqlVariablePieces(text: string, values: Readonly<Record<string, string>>): { from: number; to: number; text: string }[] {
  const pieces: { from: number; to: number; text: string }[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '-' && text[i + 1] === '-') {
      const e = text.indexOf('\n', i);
      i = e < 0 ? n : e;
    } else if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      i = j + 1;
    } else if (c === '$') {
      const m = /^\$([A-Za-z_]\w*)?\$/.exec(text.slice(i, i + 64));
      if (m && !(i > 0 && /\w/.test(text[i - 1]))) {
        const e = text.indexOf(m[0], i + m[0].length);
        i = e < 0 ? n : e + m[0].length;
      } else i++;
    } else if (c === ':' && text[i + 1] !== ':' && (i === 0 || (text[i - 1] !== ':' && !/[\w\]]/.test(text[i - 1])))) {
      const m = /^:(?:'([A-Za-z_]\w*)'|"([A-Za-z_]\w*)"|([A-Za-z_]\w*))/.exec(text.slice(i, i + 200));
      if (!m) {
        i++;
        continue;
      }
      const name = m[1] ?? m[2] ?? m[3];
      const value = values[name];
      let rep: string;
      if (m[1] !== undefined) rep = value !== undefined ? `'${value.replace(/'/g, "''")}'` : ` '${name}'`;
      else if (m[2] !== undefined) rep = value !== undefined ? quoteIdentAlways(value) : ` "${name}"`;
      else if (value === undefined && text[i + m[0].length] === '.') {
        // An unset variable naming the schema (`:SCHEMA.users`): the table as the search path finds it.
        pieces.push({ from: i, to: i + m[0].length + 1, text: ' '.repeat(m[0].length + 1) });
        i += m[0].length + 1;
        continue;
      } else rep = value ?? ` ${name}`;
      pieces.push({ from: i, to: i + m[0].length, text: rep });
      i += m[0].length;
    } else i++;
  }
  return pieces;
}
