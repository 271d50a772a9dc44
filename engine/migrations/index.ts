/**
 * Index migrations per migration tool: which tools the project uses (the
 * adapters' tools — Prisma Migrate, Drizzle Kit, Knex, Kysely, TypeORM,
 * node-pg-migrate, Sequelize — then the SQL-file tools of sql-tools.ts), where
 * a table's migrations go, and the new index in that tool's format.
 */
import { allAdapters } from '../adapters';
import type { ProjectServices } from '../context';
import type { SchemaModel, TableInfo } from '../schema/types';
import { SCRIPT_EXT } from './files';
import { naturalCompare } from './naming';
import { SQL_TOOLS } from './sql-tools';
import type { IndexMigration, IndexPlan, MigrationHome, MigrationTool, MigrationView } from './types';

export type { IndexMigration, IndexPlan, MigrationHome, MigrationTool, MigrationView } from './types';
export { indexName, tableLabel, createIndexSql } from './naming';

/** Every tool, library tools first: they claim their folders before the SQL-file tools look. */
export function migrationTools(): MigrationTool[] {
  return [...allAdapters.flatMap((a) => a.schema.migrationTools), ...SQL_TOOLS];
}

/**
 * The paths of a view, by the lists they were made of (kept while those are the same objects: the CLI's
 * file lists never change, the server's are new ones after a change). Every fix of a finding needs them,
 * and sorting a 16,000-file monorepo's paths in natural order per finding cost more than its analysis.
 */
const viewPaths = new WeakMap<readonly string[], WeakMap<ReadonlySet<string>, WeakMap<readonly string[], { all: Set<string>; paths: string[] }>>>();
/** The key of `migrationHomes`' memo by the view's paths (one string object, compared in O(1) when it is the same). */
const homesKeys = new WeakMap<readonly string[], WeakMap<readonly string[], string>>();

function pathsOf(files: readonly string[], disk: ReadonlySet<string>, sources: readonly string[]): { all: Set<string>; paths: string[] } {
  let byDisk = viewPaths.get(files);
  if (!byDisk) viewPaths.set(files, (byDisk = new WeakMap()));
  let bySources = byDisk.get(disk);
  if (!bySources) byDisk.set(disk, (bySources = new WeakMap()));
  let hit = bySources.get(sources);
  if (!hit) {
    const all = new Set<string>([...files, ...disk, ...sources]);
    hit = { all, paths: [...all].filter((p) => !p.includes('node_modules/')).sort(naturalCompare) };
    bySources.set(sources, hit);
  }
  return hit;
}

const NO_FILES: readonly string[] = [];
const NO_PATHS: ReadonlySet<string> = new Set();

export function migrationView(project: ProjectServices, schema: SchemaModel): MigrationView {
  const { all, paths } = pathsOf(project.projectFiles?.() ?? NO_FILES, project.pathsOnDisk?.() ?? NO_PATHS, schema.sources);
  return { project, schema, paths, exists: (p) => all.has(p) || project.fileText(p) !== undefined, text: (p) => project.fileText(p), now: project.now?.() };
}

/** Each tool's homes in the project, library tools first (memoised per project state). */
export function migrationHomes(view: MigrationView): MigrationHome[] {
  let bySources = homesKeys.get(view.paths);
  if (!bySources) homesKeys.set(view.paths, (bySources = new WeakMap()));
  let key = bySources.get(view.schema.sources);
  if (key === undefined) bySources.set(view.schema.sources, (key = `${view.paths.join('\n')}\0${view.schema.sources.join('\n')}`));
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

const squash = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '');

/**
 * A project file that lists the home's migrations by name (a map of names to versions, an index
 * importing each one for a Migrator): a new migration it does not list is not run, or fails the
 * project's own checks, so a fix must not create one unreviewed. Candidates are script files beside
 * the migrations that are not migrations, and script files elsewhere whose path names migrations
 * (tests left out) whose own name or folder names migrations; one is a registry when it names at
 * least 3 of the last 5 migrations, compared without case, version prefix or punctuation.
 */
export function migrationRegistry(view: MigrationView, home: MigrationHome): string | undefined {
  if (!home.dir || !home.files.length) return undefined;
  const slugs = home.files
    .slice(-5)
    .map((f) => squash(f.slice(home.dir.length + 1).split('/')[0].replace(/\.[^.]*$/, '').replace(/^V?\d+(?:[._]\d+)*/, '')))
    .filter((s) => s.length >= 6);
  // Three names at least: one or two short ones are too easily met by chance (a table name in a query).
  const need = 3;
  if (slugs.length < need) return undefined;
  const own = new Set(home.files);
  const key = `${home.tool.id}:${home.dir}\0${home.files.join('\n')}\0${view.paths.length}`;
  return view.project.memo('migration-registry', key, () => {
    for (const p of view.paths) {
      if (own.has(p) || !SCRIPT_EXT.test(p) || /\.d\.[cm]?ts$|[./](test|spec)\.[cm]?[jt]s$|(^|\/)(__tests__|tests?)\//.test(p)) continue;
      const dir = p.slice(0, Math.max(0, p.lastIndexOf('/')));
      if (dir !== home.dir && !/migrat/i.test(p.slice(dir.lastIndexOf('/') + 1))) continue;
      const text = view.text(p);
      if (!text) continue;
      const flat = squash(text);
      if (slugs.filter((s) => flat.includes(s)).length >= need) return p;
    }
    return undefined;
  });
}

const CREATE_INDEX = /\bcreate\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?("[^"]+"|\w+)?\s*on\s+(?:only\s+)?((?:"[^"]+"|\w+)\s*\.\s*)?("[^"]+"|\w+)\s*(?:using\s+\w+\s*)?\(([^()]*(?:\([^()]*\)[^()]*)*)\)/gi;
const DROP_INDEX = /\bdrop\s+index\s+(?:concurrently\s+)?(?:if\s+exists\s+)?(?:(?:"[^"]+"|\w+)\s*\.\s*)?("[^"]+"|\w+)/gi;
const unquote = (s: string): string => (s.startsWith('"') ? s.slice(1, -1) : s.toLowerCase());

/**
 * Whether the home's own migration texts create an index on the plan's table whose leading columns are the
 * plan's and no later one drops it: written in SQL anywhere in a migration (also as a string the project
 * queues for a runner of its own, `insert into _db_migration_async … $$create index concurrently …$$`). The
 * schema the rule judged may not have read every migration; a fix must never add a second copy of an index.
 */
export function migrationsCreate(view: MigrationView, home: MigrationHome, plan: IndexPlan): boolean {
  if (plan.kind !== 'plain') return false;
  const table = plan.table.name;
  // Indexes the schema holds were weighed by the rule already (an overlapping partial one makes the fix a suggestion).
  const known = new Set(plan.table.indexes.map((ix) => ix.name.toLowerCase()));
  const live = new Map<string, boolean>();
  for (const f of home.files) {
    const text = view.text(f);
    if (!text || !/index/i.test(text)) continue;
    const events: { at: number; name: string; create: boolean; match?: boolean }[] = [];
    for (const m of text.matchAll(CREATE_INDEX)) {
      if (unquote(m[3]) !== table) continue;
      const cols = m[4].split(',').map((c) => c.trim().split(/\s+/)[0]).map(unquote);
      const name = m[1] ? unquote(m[1]) : `${table}_${cols.join('_')}_idx`.slice(0, 63);
      // A partial index serves only the queries its WHERE implies: not a copy of the plain one.
      const partial = /^\s*(?:include\s*\([^)]*\)\s*)?(?:with\s*\([^)]*\)\s*)?where\b/i.test(text.slice(m.index + m[0].length));
      const match = !known.has(name.toLowerCase()) && !partial && plan.columns.every((c, i) => cols[i] === c);
      events.push({ at: m.index, name, create: true, match });
    }
    for (const m of text.matchAll(DROP_INDEX)) events.push({ at: m.index, name: unquote(m[1]), create: false });
    for (const e of events.sort((a, b) => a.at - b.at)) {
      if (e.create) live.set(e.name, !!e.match);
      else live.delete(e.name);
    }
  }
  return [...live.values()].some(Boolean);
}

/**
 * The new index as the table's migration tool wants it, with the home it goes to and the file that lists its
 * migrations, if any; `exists` when the home's migrations or the tool's model already create it (then there is no
 * fix at all; `declared`: the model declares it but no migration creates it yet, and what to run). Undefined: no
 * tool in sight, or one that cannot write this index mechanically.
 */
export function indexMigration(project: ProjectServices, schema: SchemaModel, plan: IndexPlan): { home: MigrationHome; migration: IndexMigration; registry?: string } | { home: MigrationHome; exists: true; declared?: string } | undefined {
  const view = migrationView(project, schema);
  const home = homeFor(view, migrationHomes(view), plan.table);
  if (!home) return undefined;
  if (migrationsCreate(view, home, plan) || home.tool.hasIndex?.(home, plan, view)) return { home, exists: true };
  const declared = home.tool.declaredIndex?.(home, plan, view);
  if (declared) return { home, exists: true, declared };
  const migration = home.tool.writeIndex(home, plan, view);
  if (!migration) return undefined;
  const registry = migrationRegistry(view, home);
  return registry ? { home, migration, registry } : { home, migration };
}
