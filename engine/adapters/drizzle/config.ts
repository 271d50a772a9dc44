/**
 * Drizzle Kit configs (`drizzle.config.ts`): which database their migrations are for (`dialect`, or the
 * older `driver`) and which schema files their `out` folder was generated from.
 */
import { blankComments, dirName, joinPath, stringProp } from '../../schema/dialect';
import type { NonPostgresFolder } from '../../schema/types';
import { LineIndex } from '../../text';
import type { SourceFile } from '../../types';
import type { SchemaLinkDecl } from '../types';

const CONFIG_FILE = /(?:^|\/)drizzle\.config\.(?:[cm]?[jt]s)$/;

export function isConfig(path: string): boolean {
  return CONFIG_FILE.test(path);
}

/**
 * Drizzle's modules for databases other than PostgreSQL (`drizzle-orm/sqlite-core`, `drizzle-orm/better-sqlite3`,
 * `drizzle-orm/libsql`, `drizzle-orm/mysql2` …): a client or table from one is not this adapter's to judge as
 * PostgreSQL, so the adapter does not own them (the dialect-neutral root `drizzle-orm` stays).
 */
export const OTHER_DATABASE_MODULE =
  /^drizzle-orm\/(sqlite-core|mysql-core|singlestore-core|gel-core|better-sqlite3|bun-sqlite|libsql|d1|expo-sqlite|op-sqlite|durable-sqlite|sql-js|sqlite-proxy|mysql2|mysql-proxy|planetscale-serverless|tidb-serverless|singlestore|gel)(\/|$)/;

/** drizzle-kit `dialect` values (0.21+), by database. */
const DIALECTS: Record<string, string | null> = {
  postgresql: null,
  sqlite: 'SQLite',
  turso: 'SQLite (Turso)',
  mysql: 'MySQL',
  singlestore: 'SingleStore',
  gel: 'Gel',
};

/** drizzle-kit `driver` values: the database for older configs that name only the driver. */
const DRIVERS: Record<string, string | null> = {
  pg: null,
  pglite: null,
  'aws-data-api': null,
  mysql2: 'MySQL',
  planetscale: 'MySQL',
  'better-sqlite': 'SQLite',
  libsql: 'SQLite',
  turso: 'SQLite (Turso)',
  d1: 'SQLite (Cloudflare D1)',
  'd1-http': 'SQLite (Cloudflare D1)',
  expo: 'SQLite',
  'durable-sqlite': 'SQLite',
};

/** What a Drizzle Kit config says about its database and migration folder. */
export function drizzleConfigDialect(f: SourceFile): NonPostgresFolder | undefined {
  const clean = blankComments(f.text);
  const dialect = stringProp(clean, 'dialect');
  const driver = stringProp(clean, 'driver');
  let database: string | null | undefined;
  let evidence: { value: string; at: number; key: string } | undefined;
  if (dialect) {
    database = DIALECTS[dialect.value.toLowerCase()];
    evidence = { ...dialect, key: 'dialect' };
  } else if (driver) {
    database = DRIVERS[driver.value.toLowerCase()];
    evidence = { ...driver, key: 'driver' };
  }
  // PostgreSQL, a value we do not know, or one computed at run time: nothing to skip.
  if (!database || !evidence) return undefined;
  const out = stringProp(clean, 'out')?.value ?? './drizzle';
  const folder = joinPath(dirName(f.path), out);
  if (folder === undefined) return undefined;
  return {
    folder: folder.replace(/\/+$/, ''),
    database,
    file: f.path,
    line: new LineIndex(f.text).position(evidence.at).line + 1,
    evidence: `${evidence.key}: "${evidence.value}"`,
  };
}

/**
 * A Drizzle Kit config's `schema` (a path, folder or glob, or an array of them) and `out` (default
 * `./drizzle`): the migrations `drizzle-kit generate` writes for those schema files. `schema` is
 * undefined when it is not a literal (computed, imported).
 */
export function drizzleConfigLink(f: SourceFile): SchemaLinkDecl | undefined {
  const clean = blankComments(f.text);
  if (!/\bschema\s*:/.test(clean)) return undefined;
  const out = stringProp(clean, 'out')?.value ?? './drizzle';
  const one = stringProp(clean, 'schema');
  if (one) return { schema: [one.value], out };
  const arr = /(?:^|[\s,{])schema\s*:\s*\[([^\]]*)\]/.exec(clean);
  if (arr && /^\s*(?:(["'`])[^"'`\n]*\1\s*,?\s*)*$/.test(arr[1])) return { schema: [...arr[1].matchAll(/(["'`])([^"'`\n]*)\1/g)].map((m) => m[2]), out };
  return { schema: undefined, out };
}
