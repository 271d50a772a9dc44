/**
 * Projects (or parts of them) that are not PostgreSQL, read from their own
 * configuration: a Drizzle Kit config (`drizzle.config.ts|js|mjs|cjs`) with
 * `dialect: 'sqlite' | 'turso' | 'mysql' | 'singlestore'` (or, in older
 * configs, a `driver:` of those databases) makes its `out` folder (default
 * `drizzle/`, beside the config) another database's migrations; a Prisma
 * schema whose datasource provider is not PostgreSQL does the same for the
 * `migrations/` folder beside it.
 *
 * The schema layer skips those folders with one problem each, and the
 * project does not lint their `.sql` files as PostgreSQL (see
 * `nonPostgresFolder` in types.ts).
 */
import { LineIndex } from '../text';
import type { SourceFile } from '../types';
import type { NonPostgresFolder } from './types';

export type { NonPostgresFolder };

const DRIZZLE_CONFIG = /(?:^|\/)drizzle\.config\.(?:[cm]?[jt]s)$/;

export function isDrizzleConfig(path: string): boolean {
  return DRIZZLE_CONFIG.test(path);
}

/** drizzle-kit `dialect` values (0.21+), by database. */
const DRIZZLE_DIALECTS: Record<string, string | null> = {
  postgresql: null,
  sqlite: 'SQLite',
  turso: 'SQLite (Turso)',
  mysql: 'MySQL',
  singlestore: 'SingleStore',
  gel: 'Gel',
};

/** drizzle-kit `driver` values: the database for older configs that name only the driver. */
const DRIZZLE_DRIVERS: Record<string, string | null> = {
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

const PRISMA_PROVIDERS: Record<string, string> = {
  sqlite: 'SQLite',
  mysql: 'MySQL',
  sqlserver: 'SQL Server',
  mongodb: 'MongoDB',
};

function blankComments(text: string): string {
  return text.replace(/(["'`])(?:\\.|(?!\1)[^\\\n])*\1|\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, (m) => (/^["'`]/.test(m) ? m : m.replace(/[^\n]/g, ' ')));
}

function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Joins a folder and a relative path (`./drizzle`, `../db/out`, `migrations/`), or undefined for an absolute one. */
export function joinPath(dir: string, rel: string): string | undefined {
  if (rel.startsWith('/') || /^[A-Za-z]:[\\/]/.test(rel)) return undefined;
  const parts = dir ? dir.split('/') : [];
  for (const seg of rel.replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}

/** A string property `key: "value"` of a config object literal (comments ignored). */
function stringProp(clean: string, key: string): { value: string; at: number } | undefined {
  const m = new RegExp(`(?:^|[\\s,{])${key}\\s*:\\s*(["'\`])([^"'\`\\n]*)\\1`).exec(clean);
  return m ? { value: m[2], at: m.index + m[0].indexOf(key) } : undefined;
}

/** What a Drizzle Kit config says about its database and migration folder. */
export function drizzleConfigDialect(f: SourceFile): NonPostgresFolder | undefined {
  const clean = blankComments(f.text);
  const dialect = stringProp(clean, 'dialect');
  const driver = stringProp(clean, 'driver');
  let database: string | null | undefined;
  let evidence: { value: string; at: number; key: string } | undefined;
  if (dialect) {
    database = DRIZZLE_DIALECTS[dialect.value.toLowerCase()];
    evidence = { ...dialect, key: 'dialect' };
  } else if (driver) {
    database = DRIZZLE_DRIVERS[driver.value.toLowerCase()];
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

/** The migrations folder of a Prisma schema for another database (`provider = "sqlite"`). */
export function prismaProviderFolders(f: SourceFile): NonPostgresFolder[] {
  const clean = blankComments(f.text);
  const ds = /(?:^|\n)[ \t]*datasource\s+\w+\s*\{([^}]*)\}/.exec(clean);
  if (!ds) return [];
  const p = /\bprovider\s*=\s*"([^"]*)"/.exec(ds[1]);
  const database = p ? PRISMA_PROVIDERS[p[1].toLowerCase()] : undefined;
  if (!p || !database) return [];
  const at = ds.index + ds[0].indexOf(ds[1]) + p.index;
  const line = new LineIndex(f.text).position(at).line + 1;
  const dir = dirName(f.path);
  const out: NonPostgresFolder[] = [];
  const evidence = `provider = "${p[1]}"`;
  out.push({ folder: dir ? `${dir}/migrations` : 'migrations', database, file: f.path, line, evidence });
  // Multi-file schemas (`prisma/schema/*.prisma`) keep their migrations beside the schema folder.
  if (/(?:^|\/)schema$/.test(dir)) {
    const parent = dirName(dir);
    out.push({ folder: parent ? `${parent}/migrations` : 'migrations', database, file: f.path, line, evidence });
  }
  return out;
}

/** Every folder the project's own configuration declares to hold another database's SQL. */
export function nonPostgresFolders(files: readonly SourceFile[]): NonPostgresFolder[] {
  const out: NonPostgresFolder[] = [];
  for (const f of files) {
    if (isDrizzleConfig(f.path)) {
      const d = drizzleConfigDialect(f);
      if (d) out.push(d);
    } else if (f.path.toLowerCase().endsWith('.prisma')) out.push(...prismaProviderFolders(f));
  }
  return out;
}
