/**
 * The schema model: what tables, columns and indexes exist, and where each was
 * defined. Built by `engine/schema/` from migrations, schema dumps and
 * `schema.prisma`; read by rules through the rule context.
 */
import type { Library } from '../adapters';
import type { StatsSnapshot, TableStats } from '../stats/snapshot';
import type { Range } from '../types';

export interface DefinedAt {
  file: string;
  range: Range;
}

export interface ColumnInfo {
  name: string;
  /** Normalised PostgreSQL type name, lower case: 'int4', 'text', 'jsonb', 'varchar', 'bytea', 'timestamptz' ... */
  type: string;
  notNull: boolean;
  definedAt?: DefinedAt;
  /** For Prisma models: the field name in the model (`createdAt` for a column `created_at` mapped with `@map`). */
  fieldName?: string;
  /**
   * Other names code uses for the column: a field a naming strategy maps to it (`userId` → `user_id`) when
   * `fieldName` is a relation's (TypeORM `user` with `@JoinColumn({ name: 'user_id' })`).
   */
  aliases?: string[];
  /** The only values a `CHECK (col IN (…))` constraint allows (a column of a few values). */
  allowedValues?: string[];
  /** The values the column's declared TypeScript type names (a model file's `$type<'a' | 'b'>()`): its domain, not a constraint. */
  declaredValues?: string[];
  /** A default that is one short word (`DEFAULT 'member'`): the value rows take unless told otherwise. */
  defaultWord?: string;
}

/** One key of an index: a plain column, or an expression (canonical key from `exprKey`). */
export interface IndexKey {
  column?: string;
  expression?: string;
  /** Operator class when one is given (`gin_trgm_ops`, `text_pattern_ops`, `jsonb_path_ops`), without schema. */
  opclass?: string;
}

export interface IndexInfo {
  name: string;
  /** 'primary' for PRIMARY KEY, 'unique' for UNIQUE constraints and unique indexes, 'index' otherwise. */
  kind: 'primary' | 'unique' | 'index';
  keys: IndexKey[];
  /** Columns carried by INCLUDE (not searchable). */
  include: string[];
  /** Canonical text of the WHERE of a partial index. */
  predicate?: string;
  /** Access method: btree, hash, gin, gist, brin ... */
  method: string;
  definedAt?: DefinedAt;
}

/**
 * A foreign key of a table: `columns` (of this table) reference `refColumns`
 * of `refSchema.refTable`. From `REFERENCES` on a column, a table-level
 * `FOREIGN KEY`, `ALTER TABLE … ADD [CONSTRAINT] FOREIGN KEY`, or a Prisma
 * `@relation(fields: […], references: […])`. Creates no index (PostgreSQL
 * does not index the referencing side). `REFERENCES t` without columns names
 * the primary key of `t`; `refColumns` is empty when that key is not known.
 */
export interface ForeignKeyInfo {
  /** Constraint name (given, or PostgreSQL's / Prisma's default `<table>_<cols>_fkey`). */
  name?: string;
  columns: string[];
  refTable: string;
  refSchema: string;
  refColumns: string[];
  definedAt?: DefinedAt;
  /** Prisma: the relation field holding `@relation(fields, references)` (`author` in `author User @relation(…)`). */
  field?: string;
}

/**
 * A relation field of a model (Prisma `members OrganizationMember[]`, `user User @relation(…)`): reading or filtering
 * through it reads `table`, matching its `otherColumns` with `ownColumns` of this table (`OrganizationMember.userId`
 * with `User.id`, in whichever table holds the foreign key). Implicit many-to-many relations (a hidden join table)
 * are not recorded.
 */
export interface RelationInfo {
  field: string;
  /** The other table as stored, and its schema. */
  table: string;
  schema: string;
  /** A list of rows of the other table (to-many). */
  many: boolean;
  ownColumns: string[];
  otherColumns: string[];
}

export interface TableInfo {
  /** Unqualified name as PostgreSQL stores it (unquoted identifiers folded to lower case). */
  name: string;
  /** Schema name; 'public' when not given. */
  schema: string;
  columns: Map<string, ColumnInfo>;
  indexes: IndexInfo[];
  /** Foreign keys (absent or empty when none are known). */
  foreignKeys?: ForeignKeyInfo[];
  definedAt?: DefinedAt;
  /** Estimated row count, from config or a stats snapshot. */
  rows?: number;
  rowsSource?: 'config' | 'stats' | 'default';
  /**
   * Declared PARTITION BY: its partitions may carry indexes of their own (often created at run time with each
   * partition), which the schema cannot see.
   */
  partitioned?: boolean;
  /**
   * A migration's `CREATE INDEX … ON` this table (or `ALTER TABLE` of it) was skipped as unreadable: the table
   * may have an index the schema cannot see.
   */
  unreadIndexDdl?: boolean;
  /** Statistics of the table from the stats snapshot (`querylens stats pull`): columns, live indexes, scans. */
  stats?: TableStats;
  /** Declared tiny in config: scans are cheap, never report unindexed predicates. */
  tiny?: boolean;
  /** A schema source inserts rows into it (`INSERT INTO` in a migration): the migrations fill it. */
  seeded?: boolean;
  /** Where the table came from. */
  /** Where the table comes from: SQL, the configuration, or a library's model file (its id). */
  origin: 'sql' | 'config' | Library;
  /** For models: their relation fields (RelationInfo). */
  relations?: RelationInfo[];
  /** For Prisma models: the model name (the table name may differ through @@map). */
  modelName?: string;
  /** For Prisma models: the `model X { … }` block in schema.prisma, where an `@@index` fix goes. */
  modelDefinedAt?: DefinedAt;
}

export interface SchemaProblem {
  file: string;
  line?: number;
  range?: Range;
  message: string;
}

/** A folder the project's own configuration says holds another database's SQL (engine/schema/dialect.ts). */
export interface NonPostgresFolder {
  /** Project-relative folder, no trailing `/` ('' for the project root). */
  folder: string;
  /** Database name for messages: 'SQLite', 'MySQL' … */
  database: string;
  /** The file that says so (a drizzle.config.ts, a schema.prisma), and the 1-based line. */
  file: string;
  line?: number;
  /** What it says: `dialect: "turso"`, `provider = "sqlite"`. */
  evidence: string;
}

export interface SchemaModel {
  /** Keyed by `schema.name`, both parts as stored. */
  tables: Map<string, TableInfo>;
  /** Files that contributed, in the order applied. */
  sources: string[];
  /** Of the sources, those that declare the schema as code that also runs (TypeScript models and entities): linted like any file. */
  declarations?: string[];
  problems: SchemaProblem[];
  /** Folders of another database's SQL: not schema sources, and their `.sql` files are not linted as PostgreSQL. */
  nonPostgres?: NonPostgresFolder[];
  /**
   * The schema sources declare what only another database has (a column of type `blob`, `datetime`,
   * `longtext` …, which PostgreSQL would reject): they are another database's migrations (SQLite, MySQL),
   * so the statements and calls that run against this schema are not judged as PostgreSQL.
   */
  otherDatabase?: { evidence: string; file: string; range?: Range };
  /** Enum types (`CREATE TYPE … AS ENUM`, Prisma `enum`) by the name column types carry, with their labels. */
  enums?: Map<string, string[]>;
  /** The stats snapshot applied (querylens.stats.json): its file, and the workload and plans it holds. */
  stats?: { file: string; snapshot: StatsSnapshot };
}

/**
 * Whether `path` only changes the schema (a migration, a dump): rules do not lint its statements as
 * the application's queries. Model files (a Sequelize `Model.init`, a TypeORM entity) are sources
 * that are also code, and are linted.
 */
export function isSchemaChangeSource(schema: SchemaModel, path: string): boolean {
  return schema.sources.includes(path) && !schema.declarations?.includes(path);
}

/** The non-PostgreSQL folder `path` lies in, if any (see SchemaModel.nonPostgres). */
export function nonPostgresFolder(schema: SchemaModel | undefined, path: string): NonPostgresFolder | undefined {
  return schema?.nonPostgres?.find((f) => f.folder === '' || path.startsWith(`${f.folder}/`));
}

/** Looks a table up by name, optionally schema-qualified; unqualified names search `public` first, then any schema. */
export function findTable(schema: SchemaModel | undefined, name: string, schemaName?: string): TableInfo | undefined {
  if (!schema) return undefined;
  if (schemaName) return schema.tables.get(`${schemaName}.${name}`);
  const pub = schema.tables.get(`public.${name}`);
  if (pub) return pub;
  for (const t of schema.tables.values()) if (t.name === name) return t;
  return undefined;
}

/** The relation field `field` of a table (TableInfo.relations: Prisma relation fields, Drizzle `relations()`). */
export function findRelation(table: TableInfo, field: string): RelationInfo | undefined {
  return table.relations?.find((r) => r.field === field);
}

/** The table a relation leads to, when the schema has it. */
export function relationTable(schema: SchemaModel, r: RelationInfo): TableInfo | undefined {
  return findTable(schema, r.table, r.schema);
}

/** Finds a table by Prisma model name or by table name. */
export function findModel(schema: SchemaModel | undefined, modelOrTable: string): TableInfo | undefined {
  if (!schema) return undefined;
  for (const t of schema.tables.values()) if (t.modelName === modelOrTable) return t;
  const lower = modelOrTable.toLowerCase();
  for (const t of schema.tables.values()) if (t.modelName?.toLowerCase() === lower) return t;
  return findTable(schema, modelOrTable) ?? findTable(schema, lower);
}

/** Finds a column by its database name or, for Prisma models, by its field name. */
export function findColumn(table: TableInfo | undefined, nameOrField: string): ColumnInfo | undefined {
  if (!table) return undefined;
  const direct = table.columns.get(nameOrField);
  if (direct) return direct;
  for (const c of table.columns.values()) if (c.fieldName === nameOrField) return c;
  for (const c of table.columns.values()) if (c.aliases?.includes(nameOrField)) return c;
  return undefined;
}

export function emptySchema(): SchemaModel {
  return { tables: new Map(), sources: [], problems: [] };
}
