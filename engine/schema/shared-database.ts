/**
 * Packages of one repository that declare the same database in two ways: one package's code declares
 * its tables as models or entities (TypeORM entities, Drizzle tables, Sequelize models) and writes no
 * migrations, while another package's migrations create those tables (omnivore: packages/api's TypeORM
 * entities, with `synchronize` off, and packages/db's Postgrator SQL migrations). The database has what
 * the migrations created: their indexes apply to the models' queries, though no package.json dependency
 * links the two packages.
 *
 * The link is made only on evidence that the database is the same: the migrations create (under any
 * schema, when the model names none) at least 90 % of the declared tables, at least three, and of those
 * tables at least 90 % of the declared columns (by name, or by the snake_case name a naming strategy
 * gives); and exactly one package's migrations do. Two services with their own databases share a table
 * name or two (`user`), not the whole model. The configuration decides instead when it says
 * (`schema.links`: `{ "packages/api": ["packages/db"] }`, `[]` for none).
 */
import type { SchemaModel, TableInfo } from './types';

export interface SharedDatabaseHost {
  /** Package folder → the schema sources it owns. */
  owners: ReadonlyMap<string, readonly string[]>;
  /** Whether a schema source declares tables as code or a model file (not a migration, not a dump, not statistics). */
  isDeclaration(path: string): boolean;
  /** Whether a schema source is a statistics snapshot (it describes a database, it creates nothing). */
  isStats(path: string): boolean;
  /** The schema built from these sources. */
  build(sources: readonly string[]): SchemaModel;
  /** The configuration's links (`schema.links`), package folder → package folders, when given. */
  configured?: Readonly<Record<string, readonly string[]>>;
}

const SHARE = 0.9;
const MIN_TABLES = 3;

function snakeCase(s: string): string {
  return s
    .replace(/([A-Z])([A-Z])([a-z])/g, '$1_$2$3')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Whether `created` holds the table a declaration describes: same name, same schema unless the declaration's is the default. */
function twin(created: SchemaModel, t: TableInfo): TableInfo | undefined {
  const same = created.tables.get(`${t.schema}.${t.name}`);
  if (same || t.schema !== 'public') return same?.origin === 'config' ? undefined : same;
  const others = [...created.tables.values()].filter((o) => o.name === t.name && o.origin !== 'config');
  return others.length === 1 ? others[0] : undefined;
}

/** Whether the migrations' schema `created` is the database the declarations `declared` describe (see the module comment). */
export function sameDatabase(declared: SchemaModel, created: SchemaModel): boolean {
  // Tables the configuration names (`tables`: sizes) are in every schema built: no evidence either way.
  const tables = [...declared.tables.values()].filter((t) => t.origin !== 'config');
  let matched = 0;
  let columns = 0;
  let found = 0;
  for (const t of tables) {
    const o = twin(created, t);
    if (!o) continue;
    matched++;
    for (const c of t.columns.keys()) {
      columns++;
      if (o.columns.has(c) || o.columns.has(snakeCase(c))) found++;
    }
  }
  return matched >= MIN_TABLES && matched >= SHARE * tables.length && found >= SHARE * columns;
}

/**
 * For each package whose schema sources are all declarations: the migrations of the one other package
 * that create the same database (or the configured packages' sources), to be read with its own.
 */
export function sharedDatabaseLinks(host: SharedDatabaseHost): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const migrationsOf = (pkg: string): string[] => (host.owners.get(pkg) ?? []).filter((s) => !host.isDeclaration(s) && !host.isStats(s));
  if (host.configured) {
    for (const [pkg, others] of Object.entries(host.configured)) {
      const sources = others.flatMap((o) => [...(host.owners.get(o) ?? [])]).filter((s) => !host.isStats(s));
      if (sources.length) out.set(pkg, sources);
    }
  }
  const withMigrations = [...host.owners.keys()].filter((p) => migrationsOf(p).length);
  const built = new Map<string, SchemaModel>();
  for (const [pkg, sources] of host.owners) {
    if (host.configured && pkg in host.configured) continue;
    const own = sources.filter((s) => !host.isStats(s));
    if (!own.length || !own.every((s) => host.isDeclaration(s))) continue;
    const candidates = withMigrations.filter((p) => p !== pkg);
    if (!candidates.length) continue;
    const declared = host.build(own);
    if (![...declared.tables.values()].some((t) => t.origin !== 'config')) continue;
    const hits = candidates.filter((p) => {
      let created = built.get(p);
      if (!created) built.set(p, (created = host.build(migrationsOf(p))));
      return sameDatabase(declared, created);
    });
    if (hits.length === 1) out.set(pkg, migrationsOf(hits[0]));
  }
  return out;
}
