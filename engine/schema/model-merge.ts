/**
 * Merging what models declare (schema.prisma models, TypeORM entities, Drizzle tables …) over what the
 * migrations built. The migration is the truth for columns and indexes (it is what the database has);
 * the model contributes its name, its field names and the relations the SQL does not declare.
 *
 * Two things a model cannot say, because the library's runtime configuration decides them:
 *   - the schema of a table declared without one (TypeORM's DataSource `schema`, a connection's
 *     `search_path`): when every table the migrations create lives outside `public` and exactly one of
 *     them has the declared name, the declaration is that table (as `unqualifiedAlias` does for SQL);
 *   - the column a field maps to under a naming strategy (TypeORM's `SnakeNamingStrategy`, Sequelize's
 *     `underscored`): a field whose own name is no column of the migration's table, while its
 *     snake_case spelling is, names that column.
 */
import { tableKey } from './sql-ddl';
import type { ForeignKeyInfo, SchemaModel, TableInfo } from './types';

export interface DeclaredTables {
  schema: SchemaModel;
  /** What each declaration says about its keys, kept apart: migrations run while the tables sit in the model (a rename follows keys). */
  keys: Map<TableInfo, ForeignKeyInfo[] | undefined>;
  /** Declared tables whose schema the declaration names (not moved to another schema). */
  explicitSchema: Set<TableInfo>;
}

/** `userId` → `user_id`, `HTTPServer` → `http_server`. */
function snakeCase(s: string): string {
  return s
    .replace(/([A-Z])([A-Z])([a-z])/g, '$1_$2$3')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * The table a migration created for a declaration that names no schema, in another schema than the
 * declaration's default: only when no migration created any table in the declaration's schema, and
 * exactly one in another schema bears its name.
 */
function schemaTwin(model: SchemaModel, t: TableInfo, declared: ReadonlySet<TableInfo>): TableInfo | undefined {
  let hit: TableInfo | undefined;
  for (const o of model.tables.values()) {
    if (declared.has(o)) continue;
    if (o.schema === t.schema) return undefined;
    if (o.name !== t.name) continue;
    if (hit) return undefined;
    hit = o;
  }
  return hit;
}

/** Tables a migration created anew take the declarations' names; tables it dropped stay dropped. */
export function mergeDeclarations(model: SchemaModel, declared: DeclaredTables): void {
  const seeds = new Set(declared.schema.tables.values());
  /** `public.x` → the schema its twin lives in. */
  const moved = new Map<string, string>();
  const merges: { t: TableInfo; schema: string }[] = [];
  for (const t of declared.schema.tables.values()) {
    const key = tableKey(t.schema, t.name);
    const cur = model.tables.get(key);
    if (cur && cur !== t) merges.push({ t, schema: t.schema });
    else if (cur === t && !declared.explicitSchema.has(t)) {
      const twin = schemaTwin(model, t, seeds);
      if (!twin) continue;
      model.tables.delete(key);
      moved.set(key, twin.schema);
      merges.push({ t, schema: twin.schema });
    }
  }
  const at = (schema: string, table: string): string => moved.get(tableKey(schema, table)) ?? schema;
  /** Table key → its model column names → the migration's columns they are. */
  const renames = new Map<string, Map<string, string>>();
  for (const { t, schema } of merges) {
    const foreignKeys = declared.keys.get(t)?.map((f) => ({ ...f, refSchema: at(f.refSchema, f.refTable) }));
    const relations = t.relations?.map((r) => ({ ...r, schema: at(r.schema, r.table) }));
    const renamed = mergeModelTable(model, { ...t, schema, foreignKeys, relations });
    if (renamed.size) renames.set(tableKey(schema, t.name), renamed);
  }
  if (!moved.size && !renames.size) return;
  // Relations and keys (also of declarations no migration created) name the moved tables and renamed columns.
  const col = (schema: string, table: string, c: string): string => renames.get(tableKey(schema, table))?.get(c) ?? c;
  for (const t of model.tables.values()) {
    if (t.foreignKeys && seeds.has(t)) t.foreignKeys = t.foreignKeys.map((f) => ({ ...f, refSchema: at(f.refSchema, f.refTable) }));
    for (const f of t.foreignKeys ?? []) f.refColumns = f.refColumns.map((c) => col(f.refSchema, f.refTable, c));
    if (t.relations) {
      t.relations = t.relations.map((r) => {
        const schema = at(r.schema, r.table);
        return { ...r, schema, ownColumns: r.ownColumns.map((c) => col(t.schema, t.name, c)), otherColumns: r.otherColumns.map((c) => col(schema, r.table, c)) };
      });
    }
  }
}

/** Merges a model's table over the migration's of the same name; returns the model's columns that name another column (by naming strategy). */
export function mergeModelTable(model: SchemaModel, t: TableInfo): Map<string, string> {
  const key = tableKey(t.schema, t.name);
  const existing = model.tables.get(key);
  /** Model column name → the migration's column it is. */
  const renamed = new Map<string, string>();
  if (!existing) {
    model.tables.set(key, t);
    return renamed;
  }
  if (existing.origin === t.origin) {
    model.problems.push({ file: t.definedAt?.file ?? '', message: `model ${t.modelName} maps to table ${key}, already mapped by model ${existing.modelName}; ignored` });
    return renamed;
  }
  if (t.modelName) existing.modelName = t.modelName;
  existing.modelDefinedAt = t.modelDefinedAt ?? t.definedAt;
  for (const c of t.columns.values()) {
    const sqlCol = existing.columns.get(c.name);
    if (sqlCol && c.fieldName) sqlCol.fieldName = c.fieldName;
    if (sqlCol && c.declaredValues) sqlCol.declaredValues = c.declaredValues;
  }
  // A field the naming strategy maps (`userId` → `user_id`) names the column too; when a relation's join column
  // (`user` with `@JoinColumn({ name: 'user_id' })`) holds the field name already, as an alias.
  for (const c of t.columns.values()) {
    if (existing.columns.has(c.name)) continue;
    const sqlCol = existing.columns.get(snakeCase(c.name));
    if (!sqlCol) continue;
    renamed.set(c.name, sqlCol.name);
    const field = c.fieldName ?? c.name;
    if (sqlCol.fieldName === undefined || sqlCol.fieldName === sqlCol.name) sqlCol.fieldName = field;
    else if (sqlCol.fieldName !== field && !sqlCol.aliases?.includes(field)) (sqlCol.aliases ??= []).push(field);
    if (c.declaredValues) sqlCol.declaredValues = c.declaredValues;
  }
  const col = (c: string): string => renamed.get(c) ?? c;
  if (t.relations) existing.relations ??= t.relations;
  // Relations the SQL does not declare (a relation mode that creates no constraint) still join the tables.
  for (const m of t.foreignKeys ?? []) {
    const fk = renamed.size ? { ...m, columns: m.columns.map(col) } : m;
    const known = existing.foreignKeys?.find((x) => x.columns.join() === fk.columns.join() && x.refTable === fk.refTable && x.refSchema === fk.refSchema);
    if (known) known.field ??= fk.field;
    else if (fk.columns.every((c) => existing.columns.has(c))) (existing.foreignKeys ??= []).push(fk);
  }
  return renamed;
}
