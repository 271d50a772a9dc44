/**
 * The fix of `unindexed-predicate` (both halves): the index that would serve
 * the predicate, as a new migration in the project's own naming style, an
 * `@@index` in schema.prisma, or a statement appended to the schema file.
 */
import { adapterOf, LIBRARY_MIGRATION_FOLDERS } from '../engine/adapters';
import type { RuleContext } from '../engine/context';
import type { TableInfo } from '../engine/schema/types';
import { quoteIdent } from '../engine/sql/query-model';
import type { Fix } from '../engine/types';

/** What the index is for: a column, or an expression over it. */
export interface IndexTarget {
  table: TableInfo;
  column: string;
  /** Canonical expression key, for an expression index. */
  wrapped?: string;
}

export type IndexFixKind = 'plain' | 'expression' | 'trgm';

export function tableName(t: TableInfo): string {
  return t.schema && t.schema !== 'public' ? `${t.schema}.${t.name}` : t.name;
}

function qualifiedIdent(t: TableInfo): string {
  return t.schema && t.schema !== 'public' ? `${quoteIdent(t.schema)}.${quoteIdent(t.name)}` : quoteIdent(t.name);
}

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes; generated names are ASCII. */
const MAX_IDENT_BYTES = 63;

function plainIndexName(table: string, expr: string, suffix: string): string {
  return `idx_${table}_${expr}${suffix}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable tag for names that must differ. */
function hashTag(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * `idx_<table>_<column>`, unless that name is not unique: longer than 63
 * bytes (PostgreSQL would cut it, and cut names collide), already an index or
 * table name in the schema, or also the name another (table, column) of the
 * schema would get (`acct` + `roles_kind` and `acct_roles` + `kind`). Then the
 * name is cut and tagged with a hash of the table and expression, so every
 * fix of one run names a different index and a second `--fix` finds its
 * index in place (a name that replaced another in the model kept every run
 * writing new migrations).
 */
function indexName(ctx: RuleContext, t: TableInfo, p: IndexTarget, fix: IndexFixKind): string {
  const expr = fix === 'expression' && p.wrapped ? p.wrapped.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') : p.column;
  const suffix = fix === 'trgm' ? '_trgm' : '';
  const plain = plainIndexName(t.name, expr, suffix);
  const sameSchema = [...ctx.schema.tables.values()].filter((o) => (o.schema ?? 'public') === (t.schema ?? 'public'));
  const taken = (name: string) => sameSchema.some((o) => o.name.toLowerCase() === name || o.indexes.some((i) => i.name.toLowerCase() === name));
  const ambiguous = sameSchema.some(
    (o) => plain.startsWith(plainIndexName(o.name, '', '')) && [...o.columns.keys()].some((c) => (o !== t || c !== p.column) && plainIndexName(o.name, c, suffix) === plain),
  );
  if (plain.length <= MAX_IDENT_BYTES && !ambiguous && !taken(plain)) return plain;
  const identity = `${t.schema ?? 'public'}.${t.name}\0${fix}\0${fix === 'expression' ? (p.wrapped ?? p.column) : p.column}`;
  for (let n = 0; ; n++) {
    const tag = `_${hashTag(n ? `${identity}\0${n}` : identity)}`;
    const name = plain.slice(0, MAX_IDENT_BYTES - tag.length) + tag;
    if (!taken(name)) return name;
  }
}

function createIndexSql(name: string, t: TableInfo, p: IndexTarget, fix: IndexFixKind): string {
  const on = qualifiedIdent(t);
  if (fix === 'trgm') {
    return `CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE INDEX CONCURRENTLY ${name} ON ${on} USING gin (${quoteIdent(p.column)} gin_trgm_ops);\n`;
  }
  if (fix === 'expression' && p.wrapped) {
    const e = /^[a-z_.]+\(.*\)$/i.test(p.wrapped) ? p.wrapped : `(${p.wrapped})`;
    return `CREATE INDEX CONCURRENTLY ${name} ON ${on} (${e});\n`;
  }
  return `CREATE INDEX CONCURRENTLY ${name} ON ${on} (${quoteIdent(p.column)});\n`;
}

/** Folders of migrations: `migration(s)/` and the libraries' own (AdapterSchema.migrationFolders). */
const MIGRATION_DIR = new RegExp(`(^|/)(${['migrations?', ...LIBRARY_MIGRATION_FOLDERS.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))].join('|')})(/|$)`);

/** Where the project keeps migrations, and the next file name there (same prefix style, next number). */
function nextMigrationPath(sources: string[], slug: string, definedIn?: string, onDisk: ReadonlySet<string> = new Set()): string | undefined {
  const applied = sources.filter((s) => MIGRATION_DIR.test(s) && s.endsWith('.sql'));
  if (!applied.length) return undefined;
  // Numbers come from every migration on disk, applied or skipped (too large, not UTF-8, another
  // dialect, unreadable): a skipped one keeps its number.
  const skipped = [...onDisk].filter((s) => MIGRATION_DIR.test(s) && s.endsWith('.sql') && !applied.includes(s));
  let migrations = skipped.length ? [...applied, ...skipped].sort(naturalCompare) : applied;
  // Several migration folders (a monorepo): use the one that created the table.
  if (definedIn && migrations.includes(definedIn)) {
    const folderOf = (f: string): string => f.replace(/\/[^/]+$/, '').replace(/\/\d+_[^/]*$/, '');
    const home = folderOf(definedIn);
    migrations = migrations.filter((m) => folderOf(m) === home);
  }
  const last = migrations[migrations.length - 1];
  // Folder per migration: prisma/migrations/20240101000000_init/migration.sql.
  const folder = /^(.*)\/(\d+)_[^/]*\/([^/]+\.sql)$/.exec(last);
  if (folder) {
    const [, dir, , file] = folder;
    const nums = migrations.map((m) => (m.startsWith(`${dir}/`) ? /^(\d+)_/.exec(m.slice(dir.length + 1))?.[1] : undefined)).filter((x): x is string => !!x);
    return `${dir}/${nextNumber(nums)}_${slug}/${file}`;
  }
  const slash = last.lastIndexOf('/');
  const dir = slash >= 0 ? last.slice(0, slash) : '';
  const base = last.slice(slash + 1);
  const m = /^(V?)(\d+)(__|_|-)/.exec(base);
  const inDir = migrations.filter((s) => s.lastIndexOf('/') === slash && s.startsWith(dir));
  const prefix = dir ? `${dir}/` : '';
  if (m) {
    const nums = inDir.map((s) => /^(?:V?)(\d+)(?:__|_|-)/.exec(s.slice(slash + 1))?.[1]).filter((x): x is string => !!x);
    return `${prefix}${m[1]}${nextNumber(nums)}${m[3]}${slug}.sql`;
  }
  return `${prefix}${slug}.sql`;
}

/** Path order with digit runs compared as numbers (V2 < V10), as migrations apply. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** A path that names no existing file: the next free `_2`, `_3` … before the extension. */
function freePath(path: string, onDisk: ReadonlySet<string>, sources: readonly string[]): string {
  const exists = (p: string) => onDisk.has(p) || sources.includes(p);
  if (!exists(path)) return path;
  const dot = path.lastIndexOf('.');
  for (let n = 2; ; n++) {
    const candidate = `${path.slice(0, dot)}_${n}${path.slice(dot)}`;
    if (!exists(candidate)) return candidate;
  }
}

/** The number after the largest of `nums`, keeping the zero padding of the widest. */
function nextNumber(nums: string[]): string {
  let max = 0n;
  let width = 1;
  for (const n of nums) {
    if (BigInt(n) > max) max = BigInt(n);
    width = Math.max(width, n.length);
  }
  return (max + 1n).toString().padStart(width, '0');
}

export function migrationFix(ctx: RuleContext, p: IndexTarget, fix: IndexFixKind): Fix | undefined {
  const t = p.table;
  const name = indexName(ctx, t, p, fix);
  // A table declared in a library's model file: the index belongs there (`@@index` in schema.prisma), and the
  // library's migration tool turns it into a plain B-tree index.
  if (fix === 'plain' && t.origin !== 'sql' && t.origin !== 'config') {
    const own = adapterOf(t.origin).schema.indexFix(ctx.project, t, p.column);
    if (own) return own;
  }
  const sql = createIndexSql(name, t, p, fix);
  const onDisk = ctx.project.pathsOnDisk?.() ?? new Set<string>();
  const next = nextMigrationPath(ctx.schema.sources, `add_${name}`, t.definedAt?.file, onDisk);
  const path = next && freePath(next, onDisk, ctx.schema.sources);
  if (path) {
    return {
      title: `Create migration ${path} with CREATE INDEX CONCURRENTLY ${name}`,
      // A new migration with a plain B-tree index changes no query's result and touches no existing
      // file: safe for --fix. Expression and trigram indexes (an extension, an opclass) stay suggestions.
      safety: fix === 'plain' ? 'safe' : 'suggestion',
      edits: [{ file: path, range: { start: 0, end: 0 }, newText: sql }],
    };
  }
  // No migrations folder: a schema file (schema.sql, structure.sql) gets the statement appended.
  const file = t.definedAt?.file ?? ctx.schema.sources.find((s) => s.endsWith('.sql'));
  if (!file || !file.endsWith('.sql')) return undefined;
  const text = ctx.project.fileText(file);
  if (text === undefined) return undefined;
  return {
    title: `Append CREATE INDEX CONCURRENTLY ${name} to ${file}`,
    safety: 'suggestion',
    edits: [{ file, range: { start: text.length, end: text.length }, newText: `${text.endsWith('\n') || text === '' ? '' : '\n'}\n${sql}` }],
  };
}

