/**
 * Index migrations per migration tool: which tools the project uses (the
 * adapters' tools — Prisma Migrate, Drizzle Kit, Knex, Kysely, TypeORM,
 * node-pg-migrate, Sequelize — then the SQL-file tools of sql-tools.ts), where
 * a table's migrations go, and the new index in that tool's format.
 */
import { allAdapters } from '../adapters';
import type { ProjectServices } from '../context';
import type { SchemaModel, TableInfo } from '../schema/types';
import { naturalCompare } from './naming';
import { SQL_TOOLS } from './sql-tools';
import type { IndexMigration, IndexPlan, MigrationHome, MigrationTool, MigrationView } from './types';

export type { IndexMigration, IndexPlan, MigrationHome, MigrationTool, MigrationView } from './types';
export { indexName, tableLabel, createIndexSql } from './naming';

/** Every tool, library tools first: they claim their folders before the SQL-file tools look. */
export function migrationTools(): MigrationTool[] {
  return [...allAdapters.flatMap((a) => a.schema.migrationTools), ...SQL_TOOLS];
}

export function migrationView(project: ProjectServices, schema: SchemaModel): MigrationView {
  const all = new Set<string>([...(project.projectFiles?.() ?? []), ...(project.pathsOnDisk?.() ?? []), ...schema.sources]);
  const paths = [...all].filter((p) => !p.includes('node_modules/')).sort(naturalCompare);
  return { project, schema, paths, exists: (p) => all.has(p) || project.fileText(p) !== undefined, text: (p) => project.fileText(p) };
}

/** Each tool's homes in the project, library tools first (memoised per project state). */
export function migrationHomes(view: MigrationView): MigrationHome[] {
  const key = `${view.paths.join('\n')}\0${view.schema.sources.join('\n')}`;
  return view.project.memo('migration-homes', key, () => {
    const claimed = new Set<string>();
    const homes: MigrationHome[] = [];
    for (const tool of migrationTools()) {
      let found: MigrationHome[] = [];
      try {
        found = tool.detect(view, claimed);
      } catch {
        // A tool that cannot read the project claims nothing.
      }
      for (const h of found) {
        homes.push(h);
        for (const f of h.files) claimed.add(f);
      }
    }
    return homes;
  });
}

/** Where an index on `table` goes: the home its tool claims, the home holding its definition, or the project's only home. */
export function homeFor(view: MigrationView, homes: readonly MigrationHome[], table: TableInfo): MigrationHome | undefined {
  for (const h of homes) if (h.tool.owns?.(h, table, view)) return h;
  const def = table.definedAt?.file;
  if (def) {
    const h = homes.find((x) => x.files.includes(def));
    if (h) return h;
  }
  const dirs = new Set(homes.map((h) => `${h.tool.id}:${h.dir}`));
  return dirs.size === 1 ? homes[0] : undefined;
}

/** The new index as the table's migration tool wants it, with the home it goes to. */
export function indexMigration(project: ProjectServices, schema: SchemaModel, plan: IndexPlan): { home: MigrationHome; migration: IndexMigration } | undefined {
  const view = migrationView(project, schema);
  const home = homeFor(view, migrationHomes(view), plan.table);
  if (!home) return undefined;
  const migration = home.tool.writeIndex(home, plan, view);
  return migration && { home, migration };
}
