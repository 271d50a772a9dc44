/**
 * The contract of a migration tool: how it shows in a project (its migration
 * folder and files), and what it expects a new index to look like (a new
 * migration in its own format, or an edit of the library's schema file from
 * which the tool generates migrations). Library tools live in their adapters
 * (AdapterSchema.migrationTools); tools that run plain SQL files (Flyway,
 * golang-migrate, dbmate, sqlx, numbered SQL) in engine/migrations/sql-tools.ts.
 */
import type { ProjectServices } from '../context';
import type { SchemaModel, TableInfo } from '../schema/types';
import type { TextEdit } from '../types';

/** The index a fix adds: a plain B-tree over columns, an expression, or a trigram GIN index. */
export interface IndexPlan {
  table: TableInfo;
  /** Database column names, in key order (one for an expression or trigram index: the column it is over). */
  columns: string[];
  kind: 'plain' | 'expression' | 'trgm';
  /** The indexed expression's SQL text (kind 'expression'). */
  expression?: string;
  /** A name unique in the schema (naming.ts); a tool with its own naming convention may use its own. */
  name: string;
}

/** What a tool may read: the project's files and the schema built from them. */
export interface MigrationView {
  project: ProjectServices;
  schema: SchemaModel;
  /** Every project path known to exist (read or not), in natural order. */
  paths: readonly string[];
  exists(path: string): boolean;
  text(path: string): string | undefined;
  /** The host's clock (UTC) for tools whose versions are timestamps; absent: the number after the existing ones. */
  now?: Date;
}

/** One place a tool keeps migrations. */
export interface MigrationHome {
  tool: MigrationTool;
  /** Folder of the migrations (project-relative); '' when the tool has none yet (Prisma `db push`). */
  dir: string;
  /** Its migration files, in the order the tool applies them. */
  files: string[];
  /** What showed the tool (for messages and tests). */
  evidence: string;
  /** Tool-specific facts read while detecting (the schema file a Prisma folder belongs to, the file style of a TS tool). */
  facts: Record<string, string>;
}

/** A new index as the tool wants it. */
export interface IndexMigration {
  /** New files (an insertion at 0 of a file that does not exist) and edits of existing ones. */
  edits: TextEdit[];
  /** What the fix creates or changes, for its title and the `--fix` report (`Create migration … with …`). */
  title: string;
  /** Whether the statement is CREATE INDEX CONCURRENTLY (only where the tool runs it outside a transaction). */
  concurrently: boolean;
  /** A tool step that must run before the index exists in the schema (`drizzle-kit generate`). */
  followUp?: string;
}

export interface MigrationTool {
  id: string;
  /** As people write it: `Prisma Migrate`, `Knex`. */
  displayName: string;
  /** The tool's migration homes among the project's paths; `claimed` are files another tool already owns. */
  detect(view: MigrationView, claimed: ReadonlySet<string>): MigrationHome[];
  /** Whether `home` is where `table` belongs (its schema file or migration folder); undefined: no opinion. */
  owns?(home: MigrationHome, table: TableInfo, view: MigrationView): boolean;
  /** Whether the tool's own model already declares this index (a Prisma `@@index` the schema did not read). */
  hasIndex?(home: MigrationHome, plan: IndexPlan, view: MigrationView): boolean;
  /**
   * Where the tool's model declares this index while no migration creates it yet (a Drizzle table's `index(…)` before
   * `drizzle-kit generate`): what to say instead of a fix, which would declare it twice.
   */
  declaredIndex?(home: MigrationHome, plan: IndexPlan, view: MigrationView): string | undefined;
  /** The new index in the tool's format, or undefined when it cannot be written mechanically. */
  writeIndex(home: MigrationHome, plan: IndexPlan, view: MigrationView): IndexMigration | undefined;
}
