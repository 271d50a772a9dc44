/**
 * Contracts between the TypeScript source layers:
 *
 *   provenance.ts  what an expression refers to (a pg Pool, a PrismaClient,
 *                  a TypeORM repository of entity User, a Knex instance ...),
 *                  from imports, constructors, declared types, constructor
 *                  injection and re-exports from local modules — never from
 *                  variable names.
 *   ts-sql.ts      SQL string/template literals reaching raw-SQL calls → SqlSite.
 *   orm.ts         ORM calls → QuerySite (what runs a query, which table,
 *                  which columns, whether it batches).
 *
 * Rules read QuerySites; they never look at import declarations themselves.
 */
import type { Range } from '../types';
import type { SqlSite } from './types';

export type Library =
  | 'pg'
  | 'postgres'
  | 'slonik'
  | 'kysely'
  | 'drizzle'
  | 'prisma'
  | 'typeorm'
  | 'sequelize'
  | 'knex';

/** What a value is, as far as database access goes. */
export interface Binding {
  library: Library;
  /**
   * client:        an object that runs queries (pg Client/Pool/PoolClient, PrismaClient,
   *                Kysely/Drizzle db, Knex instance, Sequelize instance, TypeORM DataSource)
   * sql-tag:       a tagged-template function that builds/runs SQL (postgres.js `sql`, slonik/drizzle/kysely `sql`)
   * repository:    TypeORM Repository / EntityManager, Sequelize model class, Prisma model delegate (`prisma.user`)
   * query-builder: a builder that executes later (Knex builder, TypeORM QueryBuilder, Kysely/Drizzle chains)
   * table:         a Drizzle table object (`pgTable('users', …)`)
   * operator:      a batching helper (`In`, `inArray`, `Op`)
   */
  role: 'client' | 'sql-tag' | 'repository' | 'query-builder' | 'table' | 'operator';
  /** For repositories/models/tables: the entity, model or table name as written in code. */
  entity?: string;
  /** Where the binding was established (import, constructor, parameter), for related ranges. */
  origin?: { file: string; range: Range };
}

export interface ColumnUse {
  column: string;
  range?: Range;
  /** How the column is compared: 'eq', 'in', 'range', 'like-prefix', 'like-contains', 'func' ... */
  op?: string;
}

/** One call that runs (or builds) a query. */
export interface QuerySite {
  file: string;
  /** The expression that executes the query (the awaited call). */
  range: Range;
  library: Library;
  /** Method or tag as written: 'findMany', 'query', 'getMany', 'sql' ... */
  operation: string;
  /** Whether this call sends a statement to the database (vs only building one). */
  executes: boolean;
  kind: 'read' | 'write' | 'unknown';
  /** Table as PostgreSQL knows it (after @@map/@Entity/tableName), when known. */
  table?: string;
  /** Entity/model name as written in code, when different from the table. */
  entity?: string;
  /** Columns selected; '*' when the call selects every column (no select/attributes/columns). */
  selects?: string[] | '*';
  filters: ColumnUse[];
  orderBy: ColumnUse[];
  /** LIMIT / take / first, when a literal. */
  limit?: number;
  /** Takes a whole collection at once (`in`, `IN`, `ANY($1)`, `whereIn`, `In()`, `inArray`, `Op.in`, createMany ...). */
  batched: boolean;
  /** Prisma `findUnique` (and friends) that Prisma's dataloader batches when issued in the same tick. */
  prismaBatchable?: boolean;
  /** The raw SQL behind a raw-SQL call, when there is one. */
  sql?: SqlSite;
}
