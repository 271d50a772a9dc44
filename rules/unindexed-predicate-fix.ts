/**
 * The fix of `unindexed-predicate` (both halves): the index that would serve
 * the predicate, written as the project's migration tool expects it
 * (engine/migrations: a new migration in the tool's format, `@@index` in
 * schema.prisma, `index()` in a Drizzle table), and whether it is safe.
 *
 * Safe (applied by `--fix`) only for a plain B-tree index that no existing
 * index overlaps, on a table not known to be small, for a selective
 * predicate; otherwise the same edits are a suggestion whose title says why,
 * and a low-selectivity predicate gets no index fix at all. Every index fix
 * claims its table for the whole `--fix` run (one new index per table per run)
 * and its migration folder for one pass (numbers stay in sequence).
 */
import type { RuleContext } from '../engine/context';
import { indexMigration, indexName, tableLabel } from '../engine/migrations';
import { createIndexSql } from '../engine/migrations/naming';
import type { SchemaModel, TableInfo } from '../engine/schema/types';
import { indexText } from '../engine/sql/index-coverage';
import type { Fix, FixClaim } from '../engine/types';

/** What the index is for: a column, or an expression over it. */
export interface IndexTarget {
  table: TableInfo;
  column: string;
  /** Canonical expression key, for an expression index. */
  wrapped?: string;
  /** Further key columns after `column`, for a composite plain index. */
  also?: string[];
}

export type IndexFixKind = 'plain' | 'expression' | 'trgm';

export const tableName = tableLabel;

/** Below this many rows (config or statistics snapshot) a sequential scan costs about what an index lookup does. */
export const SMALL_TABLE_ROWS = 10_000;

/** Whether any index of the schema uses a trigram operator class (so pg_trgm is installed where the project runs). */
function hasTrigram(schema: SchemaModel | undefined): boolean {
  return !!schema && [...schema.tables.values()].some((t) => t.indexes.some((ix) => ix.keys.some((k) => /trgm/.test(k.opclass ?? ''))));
}

/** Why a new index on the column would not be safe to add unreviewed, or undefined. */
export function unsafeIndexReason(t: TableInfo, column: string, kind: IndexFixKind, schema?: SchemaModel): string | undefined {
  // An index that already starts with the column (partial, another method, or a composite whose later keys
  // the query does not constrain): a second one overlaps it; extending or matching it is a judgement.
  // An expression or trigram index answers other predicates than a plain one: only plain indexes overlap.
  const overlap = kind === 'plain' ? t.indexes.find((ix) => ix.keys[0]?.column === column) : undefined;
  if (overlap) return `index ${indexText(overlap)} already starts with ${column}${overlap.predicate ? ' (partial)' : ''}: a second index would overlap it`;
  if (kind === 'trgm' && !hasTrigram(schema)) return 'the project has no trigram index yet: the pg_trgm extension must be installable on its database (CREATE EXTENSION pg_trgm)';
  if (t.rows !== undefined && t.rows < SMALL_TABLE_ROWS) return `${tableLabel(t)} holds about ${t.rows} rows (${t.rowsSource ?? 'config'}): a scan is about as cheap as an index`;
  return undefined;
}

/**
 * The index fix, or `pending`: the tool's model already declares the index and no migration creates it yet (a
 * Drizzle table's `index(…)` before `drizzle-kit generate`): the finding says so and offers no second one.
 */
export function migrationFix(ctx: RuleContext, p: IndexTarget, kind: IndexFixKind): { fix?: Fix; pending?: string } {
  const t = p.table;
  const columns = kind === 'plain' ? [p.column, ...(p.also ?? [])] : [p.column];
  const name = indexName(ctx.schema, t, columns.join('_'), kind, p.wrapped);
  const plan = { table: t, columns, kind, expression: p.wrapped, name };
  const unsafe = unsafeIndexReason(t, p.column, kind, ctx.schema);
  const claims: FixClaim[] = [{ key: `index:${t.schema ?? 'public'}.${t.name}`, per: 'run' }];
  const found = indexMigration(ctx.project, ctx.schema, plan);
  // The project's migrations or its model already create this index (where the schema did not see it): no fix.
  if (found && 'exists' in found) return found.declared ? { pending: found.declared } : {};
  if (found) {
    const { home, migration, registry } = found;
    if (migration.edits.some((e) => e.range.start === 0 && e.range.end === 0 && ctx.project.fileText(e.file) === undefined)) claims.push({ key: `migrations:${home.tool.id}:${home.dir}`, per: 'pass' });
    // A folder whose migrations another file lists by name: the new file must be added there by hand.
    const why = [unsafe, registry && `${registry} lists the migrations of ${home.dir} by name; add the new one there too, or it is not run`].filter(Boolean).join('; ') || undefined;
    // A plain B-tree index changes no query's result and only adds a file or a schema line: safe for --fix,
    // unless something above says a reviewer should decide. Expression and trigram indexes stay suggestions.
    const safe = kind === 'plain' && !why;
    return {
      fix: {
        title: why ? `${migration.title} — review first: ${why}` : migration.title,
        safety: safe ? 'safe' : 'suggestion',
        edits: migration.edits,
        claims,
        ...(migration.followUp ? { followUp: migration.followUp } : {}),
      },
    };
  }
  // No migration tool in sight: a schema file (schema.sql, structure.sql) gets the statement appended, as a suggestion.
  const file = t.definedAt?.file ?? ctx.schema.sources.find((s) => s.endsWith('.sql'));
  if (!file || !file.endsWith('.sql')) return {};
  const text = ctx.project.fileText(file);
  if (text === undefined) return {};
  const sql = createIndexSql(plan, { concurrently: false });
  return {
    fix: {
      title: `Append CREATE INDEX ${name} to ${file}${unsafe ? ` — review first: ${unsafe}` : ''}`,
      safety: 'suggestion',
      edits: [{ file, range: { start: text.length, end: text.length }, newText: `${text.endsWith('\n') || text === '' ? '' : '\n'}\n${sql}` }],
      claims,
    },
  };
}
