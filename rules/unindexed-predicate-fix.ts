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

function indexName(t: TableInfo, p: IndexTarget, fix: IndexFixKind): string {
  const expr = fix === 'expression' && p.wrapped ? p.wrapped.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') : p.column;
  const n = `idx_${t.name}_${expr}${fix === 'trgm' ? '_trgm' : ''}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return n.slice(0, 63);
}

function createIndexSql(t: TableInfo, p: IndexTarget, fix: IndexFixKind): string {
  const name = indexName(t, p, fix);
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
function nextMigrationPath(sources: string[], slug: string, definedIn?: string): string | undefined {
  let migrations = sources.filter((s) => MIGRATION_DIR.test(s) && s.endsWith('.sql'));
  if (!migrations.length) return undefined;
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
  const name = indexName(t, p, fix);
  // A table declared in a library's model file: the index belongs there (`@@index` in schema.prisma), and the
  // library's migration tool turns it into a plain B-tree index.
  if (fix === 'plain' && t.origin !== 'sql' && t.origin !== 'config') {
    const own = adapterOf(t.origin).schema.indexFix(ctx.project, t, p.column);
    if (own) return own;
  }
  const sql = createIndexSql(t, p, fix);
  const path = nextMigrationPath(ctx.schema.sources, `add_${name}`, t.definedAt?.file);
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

