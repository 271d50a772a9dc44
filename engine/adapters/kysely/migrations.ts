/**
 * Kysely migrations: modules exporting `up(db: Kysely<…>)`/`down`, read by a `Migrator` (usually through
 * `FileMigrationProvider`) and applied in name order. On PostgreSQL the Migrator runs pending migrations
 * inside a transaction (transactional DDL; `disableTransactions` is a Migrator-wide setting), where
 * CREATE INDEX CONCURRENTLY fails: the index is a plain `createIndex`, with a note about the lock.
 */
import { jsString, lockNote } from '../../migrations/naming';
import { scriptTool, sortedAfter } from '../kit/migrations';
import { qualifiedName, typeArgument } from '../kit/migration-text';

export const kyselyMigrations = scriptTool({
  id: 'kysely',
  displayName: 'Kysely',
  evidence: 'migrations exporting up(db: Kysely<…>)',
  name: /^[0-9].*/,
  // `up(db: Kysely<…>)`, or a `Migration` object (`export const x: Migration = { up: async (db) => … }`) imported from kysely.
  content: /\bKysely\s*<|\bfrom\s+['"]kysely['"]/,
  fileName: (names, slug, now) => sortedAfter(names, slug, now),
  render: (plan, file) => {
    if (plan.kind !== 'plain') return undefined;
    const t = typeArgument(file.sample, /\bKysely<\s*([\w$.]+)\s*>/, 'any');
    const cols = plan.columns.length === 1 ? `.column(${jsString(plan.columns[0])})` : `.columns([${plan.columns.map(jsString).join(', ')}])`;
    const note = `// ${lockNote(plan, "Kysely's Migrator runs migrations in a transaction on PostgreSQL, where CONCURRENTLY fails")}`;
    const up = `db.schema.createIndex(${jsString(plan.name)}).ifNotExists().on(${jsString(qualifiedName(plan.table))})${cols}.execute()`;
    const dropName = plan.table.schema && plan.table.schema !== 'public' ? `${plan.table.schema}.${plan.name}` : plan.name;
    const down = `db.schema.dropIndex(${jsString(dropName)}).ifExists().execute()`;
    const text =
      file.style === 'cjs'
        ? `${note}\nexports.up = async function (db) {\n  await ${up};\n};\n\nexports.down = async function (db) {\n  await ${down};\n};\n`
        : file.ts
          ? `import type { Kysely } from 'kysely';\n\n${note}\nexport async function up(db: Kysely<${t}>): Promise<void> {\n  await ${up};\n}\n\nexport async function down(db: Kysely<${t}>): Promise<void> {\n  await ${down};\n}\n`
          : `${note}\nexport async function up(db) {\n  await ${up};\n}\n\nexport async function down(db) {\n  await ${down};\n}\n`;
    return { text, concurrently: false, how: 'plain: Kysely runs migrations in a transaction' };
  },
});
